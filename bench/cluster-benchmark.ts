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
 *   npm run bench:cluster -- --cpu-prof D  # each node writes a V8 CPU profile into D when it stops
 *
 * Besides req/s it prints, per request and summed over the three nodes: CPU
 * microseconds (user + system, /proc), peer frames sent and storage batches.
 */
import { positiveInt } from './lib/args.js';
import { compareMedians, type CompareSample, type ComparisonRow } from './lib/compare.js';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { RespClient } from '../src/server/resp-client.js';
import { builtEntryExists, startCluster, type NodeProcess } from '../test/support/node-process.js';
import { runRedisBenchmark } from './lib/redis-benchmark-run.js';
import { startBaseline, stopAll } from './lib/servers.js';
import { fmtNumber, fmtRatio, formatTable, median } from './lib/stats.js';
import { cpuSeconds, metricSum } from './lib/process-cpu.js';

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
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opts.help) {
  process.stdout.write('usage: npm run bench:cluster -- [--quick] [-n requests] [--repeats R] [-c clients] [-d bytes] [-r keyspace] [-P pipeline] [--built] [--cpu-prof dir] [--json out.json]\n');
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

let cluster: NodeProcess[] = [];

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
    const prof = opts['cpu-prof'];
    const nodeArgs = prof === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', prof];
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, entry, sync: false, metricsPort: true, nodeArgs });
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
    const costs: CostSample[] = [];
    for (let rep = 1; rep <= repeats; rep++) {
      for (const pipeline of [1, deepPipeline]) {
        for (const t of targets) {
          // One test at a time, so each one's CPU, frames and batches are its own.
          const rows = [];
          for (const test of tests) {
            const pids = t.key === 'cluster' ? cluster.map((n) => n.pid) : [baseline.proc.pid];
            const before = await counters(pids, t.key === 'cluster');
            const [row] = await runRedisBenchmark({ ...base, tests: [test], port: t.port, requests, pipeline });
            const after = await counters(pids, t.key === 'cluster');
            if (row === undefined) continue;
            rows.push(row);
            samples.push({ target: t.key, pipeline, row });
            costs.push({
              target: t.key,
              pipeline,
              test: row.test,
              cpuUsPerOp: ((after.cpu - before.cpu) * 1e6) / requests,
              framesPerOp: (after.frames - before.frames) / requests,
              batchesPerOp: (after.batches - before.batches) / requests,
            });
          }
          process.stderr.write(`  run ${rep}/${repeats} -P ${pipeline} ${t.name}: ${rows.map((r) => `${r.test} ${fmtNumber(r.rps)}/s`).join(', ')}\n`);
        }
      }
    }
    const report = summarize(samples);
    process.stdout.write(`\n${header()}\n\n${report.table}\n\n${costTable(costs)}\n`);
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

interface CostSample {
  readonly target: 'cluster' | 'redis';
  readonly pipeline: number;
  readonly test: string;
  /** CPU (user + system, all threads) per request, summed over the target's processes, in microseconds. */
  readonly cpuUsPerOp: number;
  /** Requests the nodes sent each other per client request (each one frame; replies not counted). */
  readonly framesPerOp: number;
  /** Storage batches the nodes committed per client request. */
  readonly batchesPerOp: number;
}

/** CPU seconds of the processes and, for the cluster, peer frames and storage batches summed over its nodes. */
async function counters(pids: readonly number[], isCluster: boolean): Promise<{ cpu: number; frames: number; batches: number }> {
  let cpu = 0;
  for (const pid of pids) cpu += await cpuSeconds(pid);
  let frames = 0;
  let batches = 0;
  if (isCluster) {
    for (const node of cluster) {
      if (node.metricsPort === undefined) continue;
      frames += await metricSum(node.metricsPort, 'quorumkv_peer_frames_sent');
      batches += await infoField(node.port, 'write_batches');
    }
  }
  return { cpu, frames, batches };
}

/** One numeric field of a node's INFO. */
async function infoField(port: number, field: string): Promise<number> {
  const c = await RespClient.connect({ host: '127.0.0.1', port });
  try {
    const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(String(await c.call('INFO', 'all')));
    return m === null ? 0 : Number(m[1]);
  } finally {
    c.close();
  }
}

/** Medians of CPU, frames and batches per request. */
function costTable(costs: readonly CostSample[]): string {
  const rows: string[][] = [];
  for (const pipeline of [1, deepPipeline]) {
    for (const test of [...new Set(costs.map((c) => c.test))]) {
      const of = (target: CostSample['target']): CostSample[] => costs.filter((c) => c.target === target && c.pipeline === pipeline && c.test === test);
      const cl = of('cluster');
      const clusterCpu = median(cl.map((c) => c.cpuUsPerOp));
      const redisCpu = median(of('redis').map((c) => c.cpuUsPerOp));
      rows.push([
        `${test}${pipeline > 1 ? ` -P ${pipeline}` : ''}`,
        fmtNumber(clusterCpu, 1),
        fmtNumber(redisCpu, 1),
        fmtRatio(clusterCpu, redisCpu),
        fmtNumber(median(cl.map((c) => c.framesPerOp)), 2),
        fmtNumber(median(cl.map((c) => c.batchesPerOp)), 3),
      ]);
    }
  }
  return formatTable(['test', 'cluster CPU us/op (3 nodes)', 'redis CPU us/op', 'CPU cluster/redis', 'peer frames/op', 'storage batches/op'], rows);
}

function summarize(samples: readonly Sample[]): { table: string; rows: ComparisonRow[] } {
  return compareMedians(samples, [1, deepPipeline], { subject: 'cluster', baseline: 'redis', subjectLabel: 'cluster', baselineLabel: 'redis' });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
