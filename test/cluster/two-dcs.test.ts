import t from 'tap';
import { startTwoDcs } from './two-dc-processes.js';
import type { NodeProcess } from '../support/node-process.js';
import { call, client, sleep, waitForViews } from './helpers.js';
import type { RespClient } from '../../src/server/resp-client.js';

// Two DCs of three processes each, three replicas per DC (every node holds every key), the default level
// LOCAL_QUORUM, and 60 ms injected each way between the DCs (a 120 ms round trip): local writes do not wait
// for the remote DC, reach it within a second, and keep working while it is cut off; once the link is back,
// every acknowledged write is read through the remote DC.

const DC1 = ['d1a', 'd1b', 'd1c'];
const DC2 = ['d2a', 'd2b', 'd2c'];
const ONE_WAY_MS = 60;
const ids = [...DC1, ...DC2];
const nodes: NodeProcess[] = await startTwoDcs(t, ids, { args: ['--ae-interval-ms', '500'] });
const ports = nodes.map((n) => n.port);
const clients: RespClient[] = [];

async function debugAll(dcA: readonly string[], dcB: readonly string[], ...cmd: string[]): Promise<void> {
  for (const [i, id] of ids.entries()) {
    const others = dcA.includes(id) ? dcB : dcB.includes(id) ? dcA : [];
    for (const other of others) t.equal(await call(clients[i]!, 'QKV.DEBUG', ...cmd.map((c) => (c === '{peer}' ? other : c))), 'OK');
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

t.before(async () => {
  await waitForViews(ports, ids, ids.length, 60_000);
  for (const port of ports) clients.push(await client(t, port));
  await debugAll(DC1, DC2, 'DELAY', '{peer}', String(ONE_WAY_MS));
});

t.test('a write acknowledged in dc1 is read through dc2 at LOCAL_ONE within a second, and local writes do not wait for dc2', async (t) => {
  const c1 = clients[0]!;
  const c2 = clients[3]!;
  // Interleaved, so both see the same load on this machine: LOCAL_QUORUM (the default) and EACH_QUORUM.
  const local: number[] = [];
  const each: number[] = [];
  for (let i = 0; i < 20; i++) {
    let start = performance.now();
    t.equal(await call(c1, 'SET', `lat${i}`, 'v'), 'OK');
    local.push(performance.now() - start);
    start = performance.now();
    t.type(await call(c1, 'QSET', `each${i}`, 'v', 'CL', 'EACH_QUORUM'), 'string');
    each.push(performance.now() - start);
  }
  local.sort((a, b) => a - b);
  each.sort((a, b) => a - b);
  const [l50, e50] = [percentile(local, 50), percentile(each, 50)];
  t.ok(e50 >= 2 * ONE_WAY_MS, `EACH_QUORUM waits for dc2: p50 ${e50.toFixed(1)} ms, p99 ${percentile(each, 99).toFixed(1)} ms`);
  t.ok(l50 < e50 - ONE_WAY_MS, `LOCAL_QUORUM does not: p50 ${l50.toFixed(1)} ms, p99 ${percentile(local, 99).toFixed(1)} ms`);
  const start = performance.now();
  t.equal(await call(c1, 'SET', 'fresh', 'hello'), 'OK');
  let seen: unknown = null;
  while (performance.now() - start < 1000) {
    seen = await call(c2, 'QGET', 'fresh', 'CL', 'LOCAL_ONE');
    if (Array.isArray(seen) && (seen[1] as string[]).includes('hello')) break;
    await sleep(20);
  }
  t.same((seen as [string, string[]])[1], ['hello'], `read through dc2 after ${(performance.now() - start).toFixed(0)} ms`);
  // quorumkv status shows each DC, and toward dc2 the lag of this node's writes (at least the injected round trip).
  const doc = JSON.parse(String(await call(c1, 'QKV.STATUS'))) as { dcs: Array<{ dc: string; local: boolean; alive: number; lag?: { p50Ms: number; samples: number } }> };
  t.same(doc.dcs.map((d) => [d.dc, d.local, d.alive]), [['dc1', true, 3], ['dc2', false, 3]], 'both DCs, all alive');
  const toDc2 = doc.dcs[1]!.lag!;
  t.ok(toDc2.samples >= 20 && toDc2.p50Ms >= 2 * ONE_WAY_MS, `lag toward dc2: p50 ${toDc2.p50Ms} ms over ${toDc2.samples} writes`);
});

t.test('with the DCs partitioned, dc1 and dc2 both keep writing and reading at LOCAL_QUORUM; after healing dc2 reads every acknowledged write', async (t) => {
  await debugAll(DC1, DC2, 'PARTITION', '{peer}');
  const acked = new Map<string, string>();
  const deadline = Date.now() + 8000;
  for (let i = 0; Date.now() < deadline; i++) {
    const [c, side] = i % 2 === 0 ? [clients[i % 3]!, 'dc1'] : [clients[3 + (i % 3)]!, 'dc2'];
    const key = `p:${side}:${i}`;
    const reply = await call(c, 'SET', key, `v${i}`);
    t.equal(reply, 'OK', `${key} written in ${side} while cut off`);
    if (reply === 'OK') acked.set(key, `v${i}`);
    t.equal(await call(c, 'GET', key), `v${i}`, `and read back in ${side}`);
    await sleep(100);
  }
  t.ok(acked.size >= 20, `${acked.size} writes acknowledged during the partition`);
  const hinted = async (i: number): Promise<number> =>
    (JSON.parse(String(await call(clients[i]!, 'QKV.STATUS'))) as { dcs: Array<{ local: boolean; hintsPending: number }> }).dcs.find((d) => !d.local)!.hintsPending;
  const pending = (await Promise.all([0, 1, 2].map(hinted))).reduce((a, b) => a + b, 0);
  t.ok(pending > 0, `dc1's nodes keep hints for dc2 while it is cut off (${pending} in all, in quorumkv status)`);
  // One key written on both sides while they were cut off: neither side's write is lost, both are siblings.
  t.equal(await call(clients[0]!, 'SET', 'both-sides', 'from-dc1'), 'OK', 'dc1 writes both-sides');
  t.equal(await call(clients[3]!, 'SET', 'both-sides', 'from-dc2'), 'OK', 'dc2 writes both-sides');
  await debugAll(DC1, DC2, 'HEAL', '{peer}');
  const start = Date.now();
  let missing: string[] = [...acked.keys()];
  while (missing.length > 0 && Date.now() - start < 60_000) {
    const still: string[] = [];
    for (const key of missing) {
      const side = key.startsWith('p:dc1') ? 3 : 0;
      // Read through the other side, from every one of its nodes in turn.
      const reader = clients[side + (still.length % 3)]!;
      if ((await call(reader, 'QGET', key, 'CL', 'LOCAL_QUORUM').then((r) => (r as [string, string[]])[1]?.includes(acked.get(key)!))) !== true) still.push(key);
    }
    missing = still;
    if (missing.length > 0) await sleep(500);
  }
  t.same(missing, [], `every acknowledged write read through the other DC ${((Date.now() - start) / 1000).toFixed(1)} s after healing`);
  for (const [i, side] of [[0, 'dc1'], [3, 'dc2']] as const) {
    let values: string[] = [];
    for (const until = Date.now() + 60_000; Date.now() < until; await sleep(500)) {
      values = [...((await call(clients[i]!, 'QGET', 'both-sides', 'CL', 'LOCAL_QUORUM')) as [string, string[]])[1]].sort();
      if (values.length === 2) break;
    }
    t.same(values, ['from-dc1', 'from-dc2'], `QGET through ${side} shows both sides' writes as siblings`);
  }
});
