/**
 * Joining a node under load: three QuorumKV nodes (N=3 R=2 W=2, WAL on, no
 * fsync) hold `keys` keys of `size` bytes; clients run a GET/SET mix through
 * node1 before and while a fourth node streams its share in. Reports how long
 * the stream took, its keys/s and MB/s, and client throughput and latency
 * before vs during, next to a redis-server (no persistence) measured with the
 * same clients in the same run.
 *
 *   node --import tsx bench/join-benchmark.ts                 # 1,000,000 keys of 1 KB
 *   node --import tsx bench/join-benchmark.ts --quick         # 50,000 keys
 *   node --import tsx bench/join-benchmark.ts --keys 200000 --size 1024 [--seconds 10] [--clients 16] [--built]
 */
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { positiveInt } from './lib/args.js';
import { keyName, loadKeys } from './lib/loader.js';
import { startBaseline, stopAll } from './lib/servers.js';
import { fmtNumber, fmtRatio, formatTable } from './lib/stats.js';
import { RespClient } from '../src/server/resp-client.js';
import { builtEntryExists, startCluster, startNode, type ServerProcess } from '../test/support/node-process.js';
import { PipelinedClient } from '../test/support/pipelined-resp.js';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    keys: { type: 'string' },
    size: { type: 'string', default: '1024' },
    seconds: { type: 'string' },
    clients: { type: 'string', default: '16' },
    built: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  process.stdout.write('usage: node --import tsx bench/join-benchmark.ts [--quick] [--keys N] [--size B] [--seconds S] [--clients C] [--built]\n');
  process.exit(0);
}
const keys = positiveInt(opts.keys, opts.quick ? 50_000 : 1_000_000, 'keys');
const size = positiveInt(opts.size, 1024, 'size');
const seconds = positiveInt(opts.seconds, opts.quick ? 5 : 10, 'seconds');
const clients = positiveInt(opts.clients, 16, 'clients');

/** Client-side figures of one measurement window. */
interface Window {
  readonly ops: number;
  readonly errors: number;
  readonly secs: number;
  readonly p50: number;
  readonly p99: number;
}

/** `clients` connections, each one request in flight, half GETs of loaded keys and half SETs, until `until` resolves. */
async function measure(port: number, until: Promise<unknown>): Promise<Window> {
  const value = 'x'.repeat(size);
  const lat: number[] = [];
  let errors = 0;
  let done = false;
  void until.then(() => (done = true));
  const started = process.hrtime.bigint();
  const loop = async (id: number): Promise<void> => {
    const c = await PipelinedClient.connect(port);
    let x = (id + 1) * 2_654_435_761;
    try {
      for (let n = 0; !done; n++) {
        x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
        const key = keyName(x % keys);
        const t0 = process.hrtime.bigint();
        const reply = await c.send(...(n % 2 === 0 ? ['GET', key] : ['SET', key, value]));
        lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (reply instanceof Error) errors++;
      }
    } finally {
      c.close();
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => loop(i)));
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  lat.sort((a, b) => a - b);
  const pct = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? NaN;
  return { ops: lat.length, errors, secs, p50: pct(0.5), p99: pct(0.99) };
}

function forSeconds(s: number): Promise<void> {
  return new Promise((r) => setTimeout(r, s * 1000));
}

async function statusOf(port: number): Promise<{ members: Array<{ id: string; status: string; state: string }>; streams?: StreamDoc[] }> {
  const c = await RespClient.connect({ host: '127.0.0.1', port, timeoutMs: 30_000 });
  try {
    return JSON.parse(String(await c.call('QKV.STATUS'))) as { members: Array<{ id: string; status: string; state: string }>; streams?: StreamDoc[] };
  } finally {
    c.close();
  }
}

interface StreamDoc {
  kind: string;
  state: string;
  keys: number;
  bytes: number;
  startedAt: number;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await forSeconds(0.25);
  }
}

let nodes: ServerProcess[] = [];
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => void Promise.allSettled(nodes.map((n) => n.dispose())).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143)));
}

async function main(): Promise<void> {
  for (const tool of ['redis-server']) {
    if (spawnSync(tool, ['--version']).status !== 0) throw new Error(`${tool} is required (apt-get install -y redis-server)`);
  }
  if (opts.built && !builtEntryExists()) throw new Error('--built needs dist/ (npm run build)');
  const entry = opts.built ? 'built' : 'tsx';
  try {
    const seeds = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, entry, sync: false });
    nodes = [...seeds];
    const ports = seeds.map((n) => n.port);
    await waitUntil('the three nodes seeing each other', async () => (await Promise.all(ports.map(statusOf))).every((d) => d.members.filter((m) => m.status === 'alive').length === 3), 60_000);
    const baseline = await startBaseline([]);
    log(`cluster ${ports.join(', ')}; redis-server ${baseline.proc.port}; loading ${fmtNumber(keys)} keys of ${size} B`);
    let t0 = Date.now();
    // Few requests in flight: on a busy machine deeper pipelines run into the 5 s request timeout.
    await loadKeys({ port: ports[0]!, keys, valueBytes: size, connections: 4, batch: 200 });
    const loadSecs = (Date.now() - t0) / 1000;
    await loadKeys({ port: baseline.proc.port, keys, valueBytes: size, connections: 8, batch: 500 });
    log(`loaded the cluster in ${loadSecs.toFixed(1)} s (${fmtNumber(keys / loadSecs)} keys/s)`);

    const redis = await measure(baseline.proc.port, forSeconds(seconds));
    const before = await measure(ports[0]!, forSeconds(seconds));
    log(`before the join: ${fmtNumber(before.ops / before.secs)} ops/s, p99 ${before.p99.toFixed(2)} ms`);

    t0 = Date.now();
    const node4 = await startNode({ entry, sync: false, n: 3, r: 2, w: 2, args: ['--node-id', 'node4', '--seeds', seeds.map((s) => `127.0.0.1:${s.peerPort}`).join(',')] });
    nodes.push(node4);
    let stream: StreamDoc | undefined;
    let doneAt = 0;
    const joined = waitUntil(
      'node4 turning normal everywhere',
      async () => {
        const mine = (await statusOf(node4.port)).streams?.find((s) => s.kind === 'join');
        if (mine) {
          stream = mine;
          if (mine.state === 'done' && doneAt === 0) doneAt = Date.now();
        }
        const docs = await Promise.all([...ports, node4.port].map(statusOf));
        return docs.every((d) => d.members.some((m) => m.id === 'node4' && m.state === 'normal'));
      },
      3_600_000,
    );
    // Measured from the stream's start (the node first waits for its view to settle) to its end.
    await waitUntil('the join stream starting', async () => stream !== undefined, 120_000);
    const during = await measure(ports[0]!, joined);
    const normalSecs = (Date.now() - t0) / 1000;
    const s = stream!;
    const streamSecs = ((doneAt || Date.now()) - s.startedAt) / 1000;
    log(`node4 normal ${normalSecs.toFixed(1)} s after it started`);

    const table = formatTable(
      ['window', 'ops/s', 'p50 ms', 'p99 ms', 'errors', 'vs redis'],
      [
        ['redis-server (baseline)', fmtNumber(redis.ops / redis.secs), redis.p50.toFixed(2), redis.p99.toFixed(2), String(redis.errors), '1.00x'],
        ['cluster, before the join', fmtNumber(before.ops / before.secs), before.p50.toFixed(2), before.p99.toFixed(2), String(before.errors), fmtRatio(before.ops / before.secs, redis.ops / redis.secs)],
        ['cluster, while node4 streams', fmtNumber(during.ops / during.secs), during.p50.toFixed(2), during.p99.toFixed(2), String(during.errors), fmtRatio(during.ops / during.secs, redis.ops / redis.secs)],
      ],
    );
    const streamTable = formatTable(
      ['join stream', 'seconds', 'keys', 'MB', 'keys/s', 'MB/s'],
      [['node4 pulls its share', streamSecs.toFixed(1), fmtNumber(s.keys), (s.bytes / 1e6).toFixed(1), fmtNumber(s.keys / streamSecs), (s.bytes / 1e6 / streamSecs).toFixed(2)]],
    );
    process.stdout.write(`\n${header(loadSecs)}\n\n${streamTable}\n\n${table}\n`);
  } finally {
    await Promise.allSettled(nodes.map((n) => n.dispose()));
    await stopAll();
  }
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function header(loadSecs: number): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  return [
    `Joining a fourth node: ${fmtNumber(keys)} keys of ${size} B on 3 nodes (N=3 R=2 W=2, WAL on, no fsync, ${opts.built ? 'bin/quorumkv.js' : 'tsx'}); loaded in ${loadSecs.toFixed(1)} s`,
    `${cpus().length} x ${cpu}; node ${process.version}; clients: ${clients} connections through node1, one request in flight each, 50% GET / 50% SET of loaded keys`,
    `windows: ${seconds} s each before the join; "while node4 streams" from the stream's start until node4 is normal everywhere; redis-server without persistence`,
  ].join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
