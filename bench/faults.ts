import { parseArgs } from 'node:util';
import { positiveInt } from './lib/args.js';
import { FaultCluster } from '../test/support/fault-cluster.js';
import { DC_SCHEDULES, SCHEDULES, runCampaign, scheduleNamed, type CampaignRow } from '../test/faults/campaigns.js';
import { makeTlsFiles } from '../test/support/tls-certs.js';
import type { NodeTls } from '../test/support/node-process.js';

/**
 * The long fault runner: each named schedule for --seconds of faults against
 * a fresh --debug cluster, every workload at once (campaigns.ts, DEFAULT_WORKLOADS), then a Jepsen-style
 * table with published anchors for comparison.
 *
 *   node --import tsx bench/faults.ts [--seconds 30] [--nodes 3] [--clients 3]
 *        [--seed 1] [--schedule name,...] [--json]
 *   node --import tsx bench/faults.ts --dcs 2 --nodes 6 --seconds 35   # the DC schedules (dc-partition)
 *   node --import tsx bench/faults.ts --tls-cluster                    # peers over mutual TLS (certificates made with openssl)
 */
const ANCHORS: ReadonlyArray<readonly [string, string]> = [
  ['Riak, LWW, no faults (Jepsen)', '71.7% lost'],
  ['Riak, quorum + partition, LWW (Jepsen)', '91.4% lost'],
  ['Riak, siblings merged by union (Jepsen)', '0% lost'],
  ['Redis Sentinel, partition (Jepsen)', '56% lost'],
  ['Cassandra, QUORUM, LWW (Jepsen)', '28% lost'],
];

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    nodes: { type: 'string' },
    dcs: { type: 'string' },
    clients: { type: 'string' },
    seed: { type: 'string' },
    schedule: { type: 'string' },
    json: { type: 'boolean', default: false },
    'tls-cluster': { type: 'boolean', default: false },
  },
});
const seconds = positiveInt(values.seconds, 30, 'seconds');
const nodes = positiveInt(values.nodes, 3, 'nodes');
const clients = positiveInt(values.clients, 3, 'clients');
const seed = positiveInt(values.seed, 1, 'seed');
const dcs = positiveInt(values.dcs, 1, 'dcs');
const schedules = values.schedule ? values.schedule.split(',').map(scheduleNamed) : dcs > 1 ? DC_SCHEDULES : SCHEDULES;

const cleanups: Array<() => unknown> = [];
let tls: NodeTls | undefined;
if (values['tls-cluster']) {
  const files = await makeTlsFiles({ teardown: (fn) => cleanups.push(fn) });
  tls = { certFile: files.serverCert, keyFile: files.serverKey, caFile: files.caCert, cluster: true };
}

const rows: CampaignRow[] = [];
for (const schedule of schedules) {
  process.stderr.write(`\n== ${schedule.name}: ${schedule.description} (${seconds} s${tls ? ', --tls-cluster yes' : ''})\n`);
  const cluster = await FaultCluster.start({ nodes, dcs, tls });
  try {
    const result = await runCampaign(cluster, schedule, {
      faultMs: seconds * 1000,
      quietMs: 2000,
      clients,
      seed,
      convergeTimeoutMs: 120_000,
      log: (m) => process.stderr.write(`  ${new Date().toISOString().slice(11, 23)} ${m}\n`),
    });
    rows.push(...result);
    for (const r of result) if (r.lost > 0) process.stderr.write(`  LOST (${r.workload}): ${r.lostExamples.join('; ')}\n`);
  } finally {
    await cluster.stop();
  }
}

for (const cleanup of cleanups) await cleanup();

if (values.json) {
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
} else {
  process.stdout.write(`\n${formatTable(rows)}\n\nAnchors (published Jepsen results):\n\n${ANCHORS.map(([a, b]) => `| ${a} | ${b} |`).join('\n')}\n`);
}
process.exitCode = rows.some((r) => r.lost > 0) ? 1 : 0;

function formatTable(rs: readonly CampaignRow[]): string {
  const head = ['schedule', 'workload', 'acked', 'lost', '% lost', 'unknown present', 'failed present', 'max siblings', 'converge s'];
  const body = rs.map((r) => [
    r.schedule,
    r.workload,
    String(r.acked),
    String(r.lost),
    r.acked === 0 ? '-' : `${((100 * r.lost) / r.acked).toFixed(1)}%`,
    `${r.unknownPresent}/${r.unknown}`,
    `${r.failedPresent}/${r.failed}`,
    String(r.maxSiblings),
    r.convergeSeconds === null ? 'no' : r.convergeSeconds.toFixed(2),
  ]);
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...body.map(line)].join('\n');
}
