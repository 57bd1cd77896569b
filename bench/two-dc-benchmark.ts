/**
 * Local latency with a remote datacenter, and how far behind it is. Starts
 * one DC of three nodes (`--replicas-per-dc dc1:3`) and, in the same run,
 * two DCs of three (`dc1:3,dc2:3`) with a delay injected each way between
 * them (QKV.DEBUG DELAY, default 60 ms), both at the default level
 * LOCAL_QUORUM. Clients in dc1 write and read; the table prints p50/p99 of
 * each side by side and the ratio of the p99s (the local p99 should stay
 * within 2x of one DC's). Then dc1 writes keys one at a time while a client
 * in dc2 polls each at LOCAL_ONE: the time until dc2 reads it is the
 * cross-DC replication lag (p50/p99).
 *
 *   npm run bench:dc                    # 2,000 operations per kind, 8 clients, 60 ms, 200 lag samples
 *   npm run bench:dc -- --quick         # 400 operations, 50 lag samples
 *   npm run bench:dc -- --delay-ms 100 --clients 16 --ops 5000
 */
import { parseArgs } from 'node:util';
import { RespClient } from '../src/server/resp-client.js';
import { freeTcpUdpPort } from '../test/support/free-port.js';
import { startNode, type NodeProcess } from '../test/support/node-process.js';
import { positiveInt } from './lib/args.js';
import { fmtNumber, fmtRatio, formatTable } from './lib/stats.js';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    ops: { type: 'string' },
    clients: { type: 'string', default: '8' },
    'delay-ms': { type: 'string', default: '60' },
    lag: { type: 'string' },
    size: { type: 'string', default: '256' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  process.stdout.write('usage: npm run bench:dc -- [--quick] [--ops N] [--clients C] [--delay-ms MS] [--lag SAMPLES] [--size BYTES]\n');
  process.exit(0);
}
const ops = positiveInt(opts.ops, opts.quick ? 400 : 2000, 'ops');
const clientCount = positiveInt(opts.clients, 8, 'clients');
const delayMs = positiveInt(opts['delay-ms'], 60, 'delay-ms');
const lagSamples = positiveInt(opts.lag, opts.quick ? 50 : 200, 'lag');
const value = 'v'.repeat(positiveInt(opts.size, 256, 'size'));

const started: NodeProcess[] = [];

/** Starts the DCs' nodes, every one a seed, and waits until each sees all of them alive. */
async function startDcs(dcs: readonly string[]): Promise<{ nodes: NodeProcess[]; ids: string[] }> {
  const ids = dcs.flatMap((dc) => [`${dc}a`, `${dc}b`, `${dc}c`]);
  const peers: number[] = [];
  for (let i = 0; i < ids.length; i++) peers.push(await freeTcpUdpPort());
  const seeds = peers.map((p) => `127.0.0.1:${p}`).join(',');
  const layout = dcs.map((dc) => `${dc}:3`).join(',');
  const nodes = await Promise.all(
    ids.map((id, i) =>
      startNode({
        n: ids.length,
        r: 2,
        w: 2,
        peerPort: peers[i]!,
        readyTimeoutMs: 60_000,
        metricsPort: true,
        args: ['--node-id', id, '--dc', dcs[Math.floor(i / 3)]!, '--seeds', seeds, '--replicas-per-dc', layout, '--debug'],
      }),
    ),
  );
  started.push(...nodes);
  const deadline = Date.now() + 60_000;
  for (const node of nodes) {
    const c = await RespClient.connect({ host: '127.0.0.1', port: node.port });
    try {
      for (;;) {
        const doc = JSON.parse(String(await c.call('QKV.STATUS'))) as { members: Array<{ status: string }>; notServing?: string[] };
        if (doc.members.length === ids.length && doc.members.every((m) => m.status === 'alive') && (await c.call('SET', 'ready', '1').then(() => true, () => false))) break;
        if (Date.now() > deadline) throw new Error('the DCs did not form within 60 s');
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      c.close();
    }
  }
  return { nodes, ids };
}

/** Injects the delay on every link between dc1 and dc2, both ways. */
async function delayBetween(nodes: readonly NodeProcess[], ids: readonly string[]): Promise<void> {
  for (const [i, node] of nodes.entries()) {
    const c = await RespClient.connect({ host: '127.0.0.1', port: node.port });
    try {
      for (const other of ids.filter((id) => id.slice(0, 3) !== ids[i]!.slice(0, 3))) await c.call('QKV.DEBUG', 'DELAY', other, String(delayMs));
    } finally {
      c.close();
    }
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Per-operation latencies (ms) of `ops` SETs, then as many GETs of the same keys, from clients spread over dc1's nodes. */
async function latencies(dc1: readonly NodeProcess[], tag: string): Promise<{ set: number[]; get: number[] }> {
  const clients = await Promise.all(Array.from({ length: clientCount }, (_, i) => RespClient.connect({ host: '127.0.0.1', port: dc1[i % dc1.length]!.port })));
  const out = { set: [] as number[], get: [] as number[] };
  try {
    for (const kind of ['set', 'get'] as const) {
      let next = 0;
      await Promise.all(
        clients.map(async (c) => {
          for (let i = next++; i < ops; i = next++) {
            const key = `${tag}:${i}`;
            const t0 = performance.now();
            if (kind === 'set') await c.call('SET', key, value);
            else await c.call('GET', key);
            out[kind].push(performance.now() - t0);
          }
        }),
      );
    }
  } finally {
    for (const c of clients) c.close();
  }
  return out;
}

/** Cross-DC payload bytes the nodes sent so far (quorumkv_dc_replication_bytes_total, every DC label, summed over nodes). */
async function wanBytes(nodes: readonly NodeProcess[]): Promise<number> {
  let total = 0;
  for (const node of nodes) {
    const text = await (await fetch(`http://127.0.0.1:${node.metricsPort!}/metrics`)).text();
    for (const line of text.split('\n')) if (line.startsWith('quorumkv_dc_replication_bytes_total{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Milliseconds from a write acknowledged in dc1 until a dc2 node reads it at LOCAL_ONE, one key at a time. */
async function replicationLag(writerPort: number, readerPort: number): Promise<number[]> {
  const writer = await RespClient.connect({ host: '127.0.0.1', port: writerPort });
  const reader = await RespClient.connect({ host: '127.0.0.1', port: readerPort });
  const lags: number[] = [];
  try {
    for (let i = 0; i < lagSamples; i++) {
      const key = `lag:${i}`;
      await writer.call('SET', key, value);
      const acked = performance.now();
      for (;;) {
        const seen = (await reader.call('QGET', key, 'CL', 'LOCAL_ONE')) as [unknown, unknown[]] | null;
        if (Array.isArray(seen) && Array.isArray(seen[1]) && seen[1].length > 0) break;
        if (performance.now() - acked > 10_000) throw new Error(`${key} not read in dc2 within 10 s`);
      }
      lags.push(performance.now() - acked);
    }
  } finally {
    writer.close();
    reader.close();
  }
  return lags;
}

async function main(): Promise<void> {
  try {
    process.stderr.write('starting one DC of three nodes\n');
    const one = await startDcs(['dc1']);
    const single = await latencies(one.nodes, 'one');
    await Promise.allSettled(one.nodes.map((n) => n.dispose()));
    process.stderr.write(`starting two DCs of three nodes, ${delayMs} ms each way between them\n`);
    const two = await startDcs(['dc1', 'dc2']);
    await delayBetween(two.nodes, two.ids);
    const bytesBefore = await wanBytes(two.nodes);
    const dual = await latencies(two.nodes.slice(0, 3), 'two');
    // Every SET of the latency run, its payload (--size) included; the GETs at LOCAL_QUORUM send nothing across.
    const wanPerWrite = ((await wanBytes(two.nodes)) - bytesBefore) / ops;
    const lag = await replicationLag(two.nodes[0]!.port, two.nodes[3]!.port);
    const ms = (v: number): string => fmtNumber(v, 2);
    const rows = (['set', 'get'] as const).map((kind) => [
      `${kind.toUpperCase()} at LOCAL_QUORUM`,
      ms(percentile(single[kind], 50)),
      ms(percentile(single[kind], 99)),
      ms(percentile(dual[kind], 50)),
      ms(percentile(dual[kind], 99)),
      fmtRatio(percentile(dual[kind], 99), percentile(single[kind], 99)),
    ]);
    process.stdout.write(`${ops} operations per kind from ${clientCount} clients in dc1; ${delayMs} ms injected each way between dc1 and dc2\n\n`);
    process.stdout.write(`${formatTable(['latency (ms)', 'one DC p50', 'one DC p99', 'two DCs p50', 'two DCs p99', 'p99 two/one'], rows)}\n\n`);
    process.stdout.write(`cross-DC replication payload: ${fmtNumber(wanPerWrite, 0)} bytes per write of ${value.length} bytes (${fmtNumber(wanPerWrite / value.length, 2)} copies)\n\n`);
    process.stdout.write(
      `${formatTable(['cross-DC replication lag (ms)', 'p50', 'p99', 'samples'], [['dc1 write acknowledged -> read in dc2 at LOCAL_ONE', ms(percentile(lag, 50)), ms(percentile(lag, 99)), String(lag.length)]])}\n`,
    );
  } finally {
    await Promise.allSettled(started.map((n) => n.dispose()));
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void Promise.allSettled(started.map((n) => n.dispose())).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

await main();
