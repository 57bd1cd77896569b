/**
 * Repair under load: a three-node cluster (N=3 R=2 W=2, WAL on, no fsync)
 * is loaded with `--keys` distinct keys through node1; node3 is then
 * stopped, its data directory wiped, and restarted with the same node id,
 * so it has missed every write and hinted handoff has nothing to replay
 * (no write happened while it was down). While anti-entropy copies the keys
 * back, redis-benchmark passes run against node1; the same is done with
 * anti-entropy effectively off (no round within the run) and against a
 * redis-server in the same run, for ratios. Reports how fast node3 got its
 * keys back (QLOCAL on a sample, then on every key) and client throughput
 * and p99 with repair running and without.
 *
 *   node --import tsx bench/antientropy-benchmark.ts              # 100,000 keys
 *   node --import tsx bench/antientropy-benchmark.ts --quick      # 10,000 keys
 */
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { startCluster, type NodeProcess } from '../test/support/node-process.js';
import { positiveInt } from './lib/args.js';
import { keyName, loadKeys } from './lib/loader.js';
import { nodeStatus, waitForAllAlive } from './lib/local-copies.js';
import { runRedisBenchmark, type BenchRow } from './lib/redis-benchmark-run.js';
import { RepairWatch, type RepairSummary } from './lib/repair-watch.js';
import { startBaseline, stopAll } from './lib/servers.js';
import { fmtNumber, fmtRatio, formatTable, median } from './lib/stats.js';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    keys: { type: 'string' },
    'value-bytes': { type: 'string', default: '1024' },
    requests: { type: 'string', short: 'n' },
    'max-passes': { type: 'string', default: '40' },
    clients: { type: 'string', short: 'c', default: '50' },
    size: { type: 'string', short: 'd', default: '1024' },
    keyspace: { type: 'string', short: 'r', default: '10000' },
    'full-pass-ms': { type: 'string', default: '10000' },
    'ae-args': { type: 'string', default: '' },
    'repair-timeout-s': { type: 'string', default: '600' },
    idle: { type: 'boolean', default: false },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opts.help) {
  process.stdout.write(
    'usage: node --import tsx bench/antientropy-benchmark.ts [--quick] [--idle] [--keys K] [--value-bytes B] [-n requests per pass] [--max-passes P]\n' +
      '         [-c clients] [-d bytes] [-r keyspace] [--full-pass-ms MS] [--ae-args "--ae-max-keys-per-sec 5000 ..."] [--repair-timeout-s S] [--json out.json]\n',
  );
  process.exit(0);
}

const keys = positiveInt(opts.keys, opts.quick ? 10_000 : 100_000, 'keys');
const valueBytes = positiveInt(opts['value-bytes'], 1024, 'value-bytes');
const requests = positiveInt(opts.requests, opts.quick ? 10_000 : 20_000, 'requests');
const maxPasses = positiveInt(opts['max-passes'], 40, 'max-passes');
const clients = positiveInt(opts.clients, 50, 'clients');
const dataSize = positiveInt(opts.size, 1024, 'size');
const keyspace = positiveInt(opts.keyspace, 10_000, 'keyspace');
const fullPassMs = positiveInt(opts['full-pass-ms'], 10_000, 'full-pass-ms');
const repairTimeoutMs = positiveInt(opts['repair-timeout-s'], 600, 'repair-timeout-s') * 1000;
const extraAeArgs = opts['ae-args'].split(/\s+/).filter((s) => s.length > 0);
const TESTS = ['set', 'get'];
/** Only the AE-on run, without client passes: how fast repair goes on an otherwise idle cluster. */
const idle = opts.idle;

/** Anti-entropy on, with a full pass short enough that node3 is compared with both peers during the run. */
const AE_ON = ['--ae-full-pass-ms', String(fullPassMs), ...extraAeArgs];
/** Anti-entropy off in effect: the first round would start a day after the node. */
const AE_OFF = ['--ae-interval-ms', '86400000'];

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
    void Promise.allSettled([stopCluster(), stopAll()]).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

interface Scenario {
  readonly name: 'ae-on' | 'ae-off';
  readonly args: readonly string[];
}

interface ScenarioResult {
  readonly name: string;
  readonly passes: BenchRow[][];
  /** Passes that began before node3 held every key. */
  readonly passesDuringRepair: number;
  readonly repair: RepairSummary;
  readonly loadSeconds: number;
}

const allKeys = Array.from({ length: keys }, (_, i) => keyName(i));

async function runScenario(s: Scenario, passLimit: number): Promise<ScenarioResult> {
  log(`\n[${s.name}] starting 3 nodes: ${s.args.join(' ')}`);
  cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, sync: false, args: s.args });
  const ports = cluster.map((n) => n.port);
  await waitForAllAlive(ports);
  const loadStart = Date.now();
  await loadKeys({ port: ports[0]!, keys, valueBytes, connections: 4, batch: 500 });
  const loadSeconds = (Date.now() - loadStart) / 1000;
  log(`[${s.name}] loaded ${fmtNumber(keys)} keys of ${valueBytes} bytes through node1 in ${loadSeconds.toFixed(1)} s (${fmtNumber(keys / loadSeconds)} keys/s)`);

  // node3 loses its disk and comes back under the same id: it has missed every write, and no hint is waiting for it.
  const node3 = cluster[2]!;
  await node3.stop();
  await rm(node3.dataDir, { recursive: true, force: true });
  await mkdir(node3.dataDir, { recursive: true });
  node3.spawn();
  await node3.ready();
  const watch = new RepairWatch({ ports, targetPort: node3.port, keys: allKeys, sampleSize: 1000, pollMs: 500 });
  await watch.start();
  await waitForAllAlive(ports);
  log(`[${s.name}] node3 is back with an empty store; benchmarking node1 while it is repaired`);

  const passes: BenchRow[][] = [];
  let passesDuringRepair = 0;
  while (passes.length < passLimit && !idle) {
    if (s.name === 'ae-on' && watch.complete && passes.length > 0) break;
    const during = !watch.complete;
    const rows = await runRedisBenchmark({ port: ports[0]!, tests: TESTS, requests, clients, dataSize, keyspace, pipeline: 1 });
    passes.push(rows);
    if (during) passesDuringRepair++;
    log(`  pass ${passes.length}${during ? ' (repair under way)' : ''}: ${rows.map((r) => `${r.test} ${fmtNumber(r.rps)}/s p99 ${r.p99Ms} ms`).join(', ')}`);
  }
  if (s.name === 'ae-on' && !watch.complete) {
    // With --idle the repair runs with no client load: the repair rate alone.
    log(`[${s.name}] passes done; waiting for node3 to hold every key`);
    await watch.waitComplete(repairTimeoutMs);
  }
  const repair = await watch.stop();
  for (const [i, port] of ports.entries()) {
    const st = (await nodeStatus(port)).repair;
    log(`[${s.name}] node${i + 1} repair: ${JSON.stringify({ ranges: st.ranges, exchanges: st.exchanges, inSync: st.exchangesInSync, failed: st.exchangesFailed, keysRepaired: st.keysRepaired, repairRate: st.repairRate, prioritized: st.prioritized, lastFullPassSeconds: st.lastFullPassSeconds })}`);
  }
  log(`[${s.name}] node3 holds ${fmtNumber(repair.heldAtEnd)} of ${fmtNumber(keys)} keys${repair.completeMs !== null ? ` after ${(repair.completeMs / 1000).toFixed(1)} s` : ''}`);
  await stopCluster();
  return { name: s.name, passes, passesDuringRepair, repair, loadSeconds };
}

async function runRedis(passCount: number): Promise<BenchRow[][]> {
  const baseline = await startBaseline(['--appendonly', 'yes', '--appendfsync', 'everysec']);
  const out: BenchRow[][] = [];
  await loadKeys({ port: baseline.proc.port, keys, valueBytes });
  for (let i = 0; i < passCount; i++) out.push(await runRedisBenchmark({ port: baseline.proc.port, tests: TESTS, requests, clients, dataSize, keyspace, pipeline: 1 }));
  await stopAll();
  return out;
}

/** Median rps and p99 of one test over the passes given. */
function figures(passes: readonly BenchRow[][], test: string): { rps: number; p99: number } {
  const rows = passes.flat().filter((r) => r.test.toLowerCase() === test);
  return { rps: median(rows.map((r) => r.rps)), p99: median(rows.map((r) => r.p99Ms)) };
}

function report(on: ScenarioResult, off: ScenarioResult, redis: BenchRow[][]): string {
  const r = on.repair;
  const secs = (ms: number | null): string => (ms === null ? 'not within the run' : `${(ms / 1000).toFixed(1)} s`);
  const repairTable = formatTable(
    ['run', 'node3 keys held', 'all held after', 'effective keys/s', 'peak keys/s (1 s)', 'keysRepaired (all nodes)', 'exchanges'],
    [on, off].map((x) => [
      x.name,
      `${fmtNumber(x.repair.heldAtEnd)} / ${fmtNumber(x.repair.keys)}`,
      secs(x.repair.completeMs),
      fmtNumber(x.repair.effectiveRate),
      fmtNumber(x.repair.peakRate),
      fmtNumber(x.repair.keysRepairedTotal),
      fmtNumber(x.repair.exchangesTotal),
    ]),
  );
  // The AE-on figures come from the passes that ran while node3 was missing keys.
  const onPasses = on.passes.slice(0, Math.max(1, on.passesDuringRepair));
  const offPasses = off.passes.slice(0, onPasses.length);
  const rows = TESTS.map((test) => {
    const a = figures(onPasses, test);
    const b = figures(offPasses, test);
    const c = figures(redis.slice(0, onPasses.length), test);
    return [test.toUpperCase(), fmtNumber(a.rps), fmtNumber(b.rps), fmtRatio(a.rps, b.rps), fmtNumber(c.rps), fmtRatio(a.rps, c.rps), fmtRatio(b.rps, c.rps), fmtNumber(a.p99, 3), fmtNumber(b.p99, 3), fmtNumber(c.p99, 3)];
  });
  const clientTable = formatTable(
    ['test', 'AE on req/s', 'AE off req/s', 'on/off', 'redis req/s', 'on/redis', 'off/redis', 'AE on p99 ms', 'AE off p99 ms', 'redis p99 ms'],
    rows,
  );
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  const rs = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ').slice(0, 3).join(' ');
  return [
    `Repair under load; ${cpus().length} x ${cpu}; node ${process.version}; ${rs}`,
    `cluster: 3 nodes, N=3 R=2 W=2, WAL on, no fsync; ${fmtNumber(keys)} keys of ${valueBytes} bytes loaded through node1, then node3 wiped and restarted (same --node-id)`,
    `AE on: ${AE_ON.join(' ')} (defaults otherwise: --ae-interval-ms 1000 --ae-max-keys-per-sec 2000 --ae-max-bytes-per-sec 8mb) | AE off: ${AE_OFF.join(' ')}`,
    `client load on node1: redis-benchmark -t ${TESTS.join(',')} -n ${requests} -c ${clients} -d ${dataSize} -r ${keyspace} --csv, ${onPasses.length} pass(es) each (medians); redis-server appendfsync everysec`,
    '',
    repairTable,
    '',
    clientTable,
    '',
    `AE on: ${on.passesDuringRepair} of ${on.passes.length} pass(es) ran while node3 was missing keys; loading took ${on.loadSeconds.toFixed(1)} s / ${off.loadSeconds.toFixed(1)} s (on/off runs)`,
    `node3 sample held over time (AE on, s: held of ${r.sampleSize}): ${timeline(r)}`,
  ].join('\n');
}

function timeline(r: RepairSummary): string {
  const out: string[] = [];
  let nextAt = 0;
  for (const p of r.points) {
    if (p.atMs < nextAt) continue;
    out.push(`${(p.atMs / 1000).toFixed(0)}:${p.sampleHeld}`);
    nextAt = p.atMs + Math.max(2000, (r.points.at(-1)?.atMs ?? 0) / 20);
  }
  return out.join(' ');
}

async function main(): Promise<void> {
  try {
    const on = await runScenario({ name: 'ae-on', args: AE_ON }, maxPasses);
    if (idle) {
      const r = on.repair;
      process.stdout.write(
        `\nidle repair of ${fmtNumber(keys)} keys (${AE_ON.join(' ')}): all held after ${r.completeMs === null ? '-' : `${(r.completeMs / 1000).toFixed(1)} s`}, ` +
          `effective ${fmtNumber(r.effectiveRate)} keys/s, peak ${fmtNumber(r.peakRate)} keys/s, keysRepaired ${fmtNumber(r.keysRepairedTotal)}, exchanges ${fmtNumber(r.exchangesTotal)}\n` +
          `node3 sample held over time (s:held of ${r.sampleSize}): ${timeline(r)}\n`,
      );
      return;
    }
    const off = await runScenario({ name: 'ae-off', args: AE_OFF }, Math.max(1, on.passesDuringRepair));
    log('\n[redis] baseline');
    const redis = await runRedis(Math.max(1, on.passesDuringRepair));
    process.stdout.write(`\n${report(on, off, redis)}\n`);
    if (opts.json !== undefined) {
      await writeFile(opts.json, `${JSON.stringify({ params: { keys, valueBytes, requests, clients, dataSize, keyspace, aeOn: AE_ON, aeOff: AE_OFF }, on, off, redis }, null, 2)}\n`);
    }
  } finally {
    await stopCluster();
    await stopAll();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
