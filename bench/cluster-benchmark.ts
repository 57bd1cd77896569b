/**
 * Throughput and latency of a three-node QuorumKV cluster (N=3 R=2 W=2, WAL
 * on, no fsync; every write goes to three replicas) measured through one of
 * its nodes, against a redis-server (AOF on, fsync every second) in the same
 * run, on loopback, with redis-benchmark: SET and GET, with and without
 * pipelining, each target in turn, repeated; prints the medians and ratios.
 *
 *   npm run bench:cluster                  # -n 100000, 3 repeats
 *   npm run bench:cluster -- --quick       # -n 20000, 1 repeat
 *   npm run bench:cluster -- --built       # nodes from bin/quorumkv.js (run `npm run build` first)
 */
import { positiveInt } from './lib/args.js';
import { compareMedians, type CompareSample, type ComparisonRow } from './lib/compare.js';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { RespClient } from '../src/server/resp-client.js';
import { builtEntryExists, startCluster, type ServerProcess } from '../test/support/node-process.js';
import { runRedisBenchmark } from './lib/redis-benchmark-run.js';
import { startBaseline, stopAll } from './lib/servers.js';
import { fmtNumber } from './lib/stats.js';

const REDIS_PERSISTENCE = ['--appendonly', 'yes', '--appendfsync', 'everysec'];

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    requests: { type: 'string', short: 'n' },
    repeats: { type: 'string' },
    clients: { type: 'string', short: 'c', default: '50' },
    size: { type: 'string', short: 'd', default: '1024' },
    keyspace: { type: 'string', short: 'r', default: '100000' },
    pipeline: { type: 'string', short: 'P', default: '16' },
    json: { type: 'string' },
    built: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opts.help) {
  process.stdout.write('usage: npm run bench:cluster -- [--quick] [-n requests] [--repeats R] [-c clients] [-d bytes] [-r keyspace] [-P pipeline] [--built] [--json out.json]\n');
  process.exit(0);
}

const int = positiveInt;
const requests = int(opts.requests, opts.quick ? 20_000 : 100_000, 'requests');
const repeats = int(opts.repeats, opts.quick ? 1 : 3, 'repeats');
const clients = int(opts.clients, 50, 'clients');
const dataSize = int(opts.size, 1024, 'size');
const keyspace = int(opts.keyspace, 100_000, 'keyspace');
const deepPipeline = int(opts.pipeline, 16, 'pipeline');
const tests = ['set', 'get'];

for (const tool of ['redis-benchmark', 'redis-server']) {
  if (spawnSync(tool, ['--version']).status !== 0) {
    process.stderr.write(`${tool} is required (apt-get install -y redis-tools redis-server)\n`);
    process.exit(1);
  }
}

let cluster: ServerProcess[] = [];

async function stopCluster(): Promise<void> {
  const nodes = cluster.splice(0);
  await Promise.allSettled(nodes.map((n) => n.dispose()));
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void stopCluster().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

/** Waits until every node sees all three members alive, so no write starts before the ring is whole. */
async function waitForMembers(ports: readonly number[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let alive = 0;
    for (const port of ports) {
      const c = await RespClient.connect({ host: '127.0.0.1', port });
      try {
        const doc = JSON.parse(String(await c.call('QKV.STATUS'))) as { members: Array<{ status: string }> };
        if (doc.members.length === ports.length && doc.members.every((m) => m.status === 'alive')) alive++;
      } finally {
        c.close();
      }
    }
    if (alive === ports.length) return;
    if (Date.now() > deadline) throw new Error(`the cluster did not form within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

type Sample = CompareSample<'cluster' | 'redis'>;

async function main(): Promise<void> {
  // Source through tsx unless asked: a dist/ left from an older build would measure old code.
  if (opts.built && !builtEntryExists()) throw new Error('--built needs dist/ (npm run build)');
  const entry = opts.built ? 'built' : 'tsx';
  try {
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, entry, sync: false });
    await waitForMembers(cluster.map((n) => n.port));
    const baseline = await startBaseline(REDIS_PERSISTENCE);
    const entryPort = cluster[0]!.port;
    const targets = [
      { key: 'cluster' as const, port: entryPort, name: `quorumkv node1 of 3 (${entry === 'built' ? 'bin/quorumkv.js' : 'tsx'})` },
      { key: 'redis' as const, port: baseline.proc.port, name: 'redis-server' },
    ];
    const base = { tests, clients, dataSize, keyspace };
    process.stderr.write(`cluster: ${cluster.map((n) => n.port).join(', ')} (measured through ${entryPort}); redis-server on ${baseline.proc.port}\n`);

    // An unmeasured run first: the nodes' JIT warms up and both keyspaces fill.
    for (const t of targets) await runRedisBenchmark({ ...base, port: t.port, requests: Math.min(requests, 50_000), pipeline: deepPipeline });

    const samples: Sample[] = [];
    for (let rep = 1; rep <= repeats; rep++) {
      for (const pipeline of [1, deepPipeline]) {
        for (const t of targets) {
          const rows = await runRedisBenchmark({ ...base, port: t.port, requests, pipeline });
          for (const row of rows) samples.push({ target: t.key, pipeline, row });
          process.stderr.write(`  run ${rep}/${repeats} -P ${pipeline} ${t.name}: ${rows.map((r) => `${r.test} ${fmtNumber(r.rps)}/s`).join(', ')}\n`);
        }
      }
    }
    const report = summarize(samples);
    process.stdout.write(`\n${header()}\n\n${report.table}\n`);
    if (opts.json !== undefined) {
      await writeFile(opts.json, `${JSON.stringify({ params: { requests, repeats, clients, dataSize, keyspace, pipeline: deepPipeline, entry }, rows: report.rows }, null, 2)}\n`);
    }
  } finally {
    await stopCluster();
    await stopAll();
  }
}

function header(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  const rs = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ').slice(0, 3).join(' ');
  return [
    `QuorumKV cluster vs Redis, medians of ${repeats} run(s); ${cpus().length} x ${cpu}; node ${process.version}; ${rs}`,
    'cluster: 3 nodes on this host, N=3 R=2 W=2, WAL on, no fsync, measured through node1 | baseline: redis-server, appendonly yes, appendfsync everysec',
    `redis-benchmark -t ${tests.join(',')} -n ${requests} -c ${clients} -d ${dataSize} -r ${keyspace} --csv [-P ${deepPipeline}]`,
  ].join('\n');
}

function summarize(samples: readonly Sample[]): { table: string; rows: ComparisonRow[] } {
  return compareMedians(samples, [1, deepPipeline], { subject: 'cluster', baseline: 'redis', subjectLabel: 'cluster', baselineLabel: 'redis' });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
