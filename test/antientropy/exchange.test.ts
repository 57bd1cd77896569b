import t from 'tap';
import { mergeObjects } from '../../src/versioning/object.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { AeSim, live } from './ae-sim.js';

function version(node: string, counter: number, value: string, ts = 1000): VersionedObject {
  return { clock: { [node]: counter }, siblings: [{ dot: { node, counter }, value: Buffer.from(value), ts, tombstone: false, expireAt: 0 }] };
}

async function allKeys(sim: AeSim, id: string): Promise<Map<string, VersionedObject>> {
  const out = new Map<string, VersionedObject>();
  const page = await sim.node(id).store.scan({ limit: 1_000_000 });
  for (const e of page.entries) out.set(e.key.toString(), e.obj);
  return out;
}

t.test('replicas that diverged converge both ways, concurrent versions kept as siblings', async (t) => {
  const sim = await AeSim.start(3, 3);
  t.teardown(() => sim.close());
  const [a, b, c] = sim.nodes;
  const expected = new Map<string, VersionedObject>();
  for (let i = 0; i < 60; i++) {
    const key = Buffer.from(`only-a-${i}`);
    await a!.ae.store.put(key, version('n0', 1, `a${i}`));
    expected.set(key.toString(), version('n0', 1, `a${i}`));
    const other = Buffer.from(`only-b-${i}`);
    await b!.ae.store.put(other, version('n1', 1, `b${i}`));
    expected.set(other.toString(), version('n1', 1, `b${i}`));
  }
  for (let i = 0; i < 20; i++) {
    const key = Buffer.from(`both-${i}`);
    const va = version('n0', 1, `x${i}`);
    const vb = version('n1', 1, `y${i}`);
    await a!.ae.store.put(key, va);
    await b!.ae.store.put(key, vb);
    expected.set(key.toString(), mergeObjects(va, vb));
  }
  sim.startAll();
  await sim.idle(4000, 5);
  for (const node of [a!, b!, c!]) {
    const got = await allKeys(sim, node.id);
    t.equal(got.size, expected.size, `${node.id} holds every key`);
    let wrong = 0;
    for (const [k, v] of expected) if (JSON.stringify(live(got.get(k))) !== JSON.stringify(live(v))) wrong++;
    t.equal(wrong, 0, `${node.id}: every key has the merged siblings`);
  }
  t.same(live((await allKeys(sim, 'n2')).get('both-3')), ['x3', 'y3'], 'both concurrent values survive');
  const st = a!.ae.status();
  t.ok(st.exchanges > 0 && st.keysRepaired > 0 && st.bytesRepaired > 0);
  t.equal(st.rebuild.running, false);
  t.equal(st.trackedKeys, expected.size);
  t.ok(st.lastFullPassSeconds !== null, 'a full pass completed');
  // Now in sync: further exchanges find equal roots.
  const before = a!.ae.status().exchangesInSync;
  await sim.idle(1200, 5);
  t.ok(a!.ae.status().exchangesInSync > before);
  t.equal(a!.ae.status().exchangesFailed, 0);
});

t.test('a node restarted with an empty disk gets every key back from anti-entropy alone', async (t) => {
  const sim = await AeSim.start(3, 3);
  t.teardown(() => sim.close());
  for (let i = 0; i < 150; i++) await sim.settle(sim.nodes[0]!.coord.write(Buffer.from(`key${i}`), { value: Buffer.from(`v${i}`), tombstone: false, expireAt: 0, supersedes: { kind: 'blind' } }));
  await sim.idle(20);
  await sim.stop('n2');
  const n2 = await sim.restart('n2', true);
  t.equal((await allKeys(sim, 'n2')).size, 0, 'wiped');
  sim.startAll();
  n2.ae.prioritize('n0');
  await sim.idle(3000, 5);
  const got = await allKeys(sim, 'n2');
  t.equal(got.size, 150);
  t.same(live(got.get('key7')), ['v7']);
  t.ok(n2.ae.status().prioritized === 1);
});

t.test('repair stays within its keys-per-second budget', async (t) => {
  const rate = 50;
  // Only n1 runs exchanges, so one bucket paces the whole repair.
  const sim = await AeSim.start(2, 2, { maxKeysPerSec: rate, batchKeys: 10, intervalMs: 50, fullPassMs: 200 }, ['n0']);
  t.teardown(() => sim.close());
  const total = 400;
  for (let i = 0; i < total; i++) await sim.nodes[0]!.ae.store.put(Buffer.from(`r${i}`), version('n0', 1, `v${i}`));
  sim.startAll();
  const perSecond: number[] = [];
  let last = 0;
  for (let s = 0; s < 12; s++) {
    await sim.idle(1000, 5);
    const n = (await allKeys(sim, 'n1')).size;
    perSecond.push(n - last);
    last = n;
  }
  t.comment(`keys repaired per simulated second: ${perSecond.join(' ')}`);
  // The bucket starts full (one second's worth), then pays as it goes.
  t.ok(perSecond[0]! <= 2 * rate, `first second ${perSecond[0]} <= ${2 * rate}`);
  for (const n of perSecond.slice(1)) t.ok(n <= rate + 10, `${n} <= ${rate} + one batch`);
  t.ok(perSecond.slice(1, 6).every((n) => n >= rate / 2), 'and repair keeps going at about the budget');
  t.equal(last, Math.min(total, last), 'never more than exist');
  await sim.idle(3000, 10);
  t.equal((await allKeys(sim, 'n1')).size, total, 'eventually complete');
});

t.test('a replica still rebuilding answers not-ready; the exchange waits for it', async (t) => {
  const sim = await AeSim.start(2, 2);
  t.teardown(() => sim.close());
  await sim.nodes[0]!.ae.store.put(Buffer.from('k'), version('n0', 1, 'v'));
  sim.nodes[0]!.ae.start();
  await sim.idle(500, 5);
  t.equal(sim.nodes[0]!.ae.status().exchangesInSync, 0, 'nothing compared with a peer that has no trees');
  t.equal((await allKeys(sim, 'n1')).size, 0);
  sim.nodes[1]!.ae.start();
  await sim.idle(1500, 5);
  t.equal((await allKeys(sim, 'n1')).size, 1);
});

t.test('malformed anti-entropy requests are refused', async (t) => {
  const sim = await AeSim.start(1, 1);
  t.teardown(() => sim.close());
  const ae = sim.nodes[0]!.ae;
  const bad: unknown[] = [
    null,
    { type: 'a.nope' },
    { type: 'a.hashes', start: 5n, last: 1n, depth: 2, level: 0, nodes: [0] },
    { type: 'a.hashes', start: 0n, last: 9n, depth: 2, level: 3, nodes: [0] },
    { type: 'a.hashes', start: 0n, last: 9n, depth: 99, level: 0, nodes: [0] },
    { type: 'a.hashes', start: 0n, last: 9n, depth: 2, level: 1, nodes: [2] },
    { type: 'a.entries', start: 0n, last: 9n, depth: 2, leaves: 'x' },
    { type: 'a.fetch', start: 0n, last: 9n, pos: [1n], tags: [] },
    { type: 'a.fetch', start: 0n, last: 9n, pos: [-1n], tags: [1] },
    { type: 'a.push', epoch: -1, keys: [], objs: [] },
    { type: 'a.push', epoch: 0, keys: [Buffer.from('k')], objs: [] },
    { type: 'a.push', epoch: 0, keys: ['k'], objs: ['v'] },
    { type: 'a.purge', keys: [Buffer.from('k')], digests: [] },
  ];
  for (const msg of bad) await t.rejects(ae.handleRequest('x', msg), { code: 'ERR' }, JSON.stringify(msg, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  t.same(await ae.handleRequest('x', { type: 'a.hashes', start: 0n, last: 9n, depth: 2, level: 0, nodes: [0] }), { ready: false });
  t.same(await ae.handleRequest('x', { type: 'a.entries', start: 0n, last: 9n, depth: 2, leaves: [0] }), { ready: false });
  t.ok(ae.handles({ type: 'a.push' }));
  t.notOk(ae.handles({ type: 'r.get' }));
  t.notOk(ae.handles('a.push'));
});
