import t from 'tap';
import type { WriteRequest } from '../../src/coordinator/api.js';
import { AeSim, live } from './ae-sim.js';
import { Ring } from '../../src/ring/ring.js';

const GRACE = 2000;

function set(value: string): WriteRequest {
  return { value: Buffer.from(value), tombstone: false, expireAt: 0, supersedes: { kind: 'local' } };
}
const del: WriteRequest = { value: Buffer.alloc(0), tombstone: true, expireAt: 0, supersedes: { kind: 'local' } };

async function records(sim: AeSim, id: string, keys: readonly Buffer[]): Promise<Array<ReturnType<typeof live> | null>> {
  const objs = await sim.node(id).store.getMany(keys);
  return objs.map((o) => (o ? live(o) : null));
}

t.test('tombstones are collected only once every replica has agreed after the grace period', async (t) => {
  const sim = await AeSim.start(3, 3, { graceMs: GRACE });
  t.teardown(() => sim.close());
  const keys = Array.from({ length: 20 }, (_, i) => Buffer.from(`t${i}`));
  const coord = sim.nodes[0]!.coord;
  for (const k of keys) await sim.settle(coord.write(k, set('v')));
  for (const k of keys) await sim.settle(coord.write(k, del));
  sim.startAll();
  await sim.idle(300, 5);
  // n2 is cut off: n0 and n1 cannot agree with it, so nothing is collected however old the tombstones get.
  sim.net.isolate('n2');
  await sim.idle(GRACE * 3, 10);
  for (const id of ['n0', 'n1', 'n2']) t.same(await records(sim, id, keys), keys.map(() => []), `${id} still holds every tombstone`);
  t.equal(sim.nodes[0]!.ae.status().tombstonesPurged, 0);
  sim.net.restore('n2');
  await sim.idle(GRACE * 2, 10);
  for (const id of ['n0', 'n1', 'n2']) t.same(await records(sim, id, keys), keys.map(() => null), `${id} collected them`);
  t.ok(sim.nodes.some((n) => n.ae.status().tombstonesPurged > 0));
});

t.test('a replica that missed the delete and returns after the grace does not bring the key back', async (t) => {
  const sim = await AeSim.start(3, 3, { graceMs: GRACE });
  t.teardown(() => sim.close());
  const keys = Array.from({ length: 20 }, (_, i) => Buffer.from(`z${i}`));
  for (const k of keys) await sim.settle(sim.nodes[0]!.coord.write(k, set('old')));
  await sim.idle(20);
  t.same(await records(sim, 'n2', keys), keys.map(() => ['old']));
  await sim.stop('n2');
  sim.net.isolate('n2');
  for (const k of keys) await sim.settle(sim.nodes[0]!.coord.write(k, del));
  sim.nodes[0]!.ae.start();
  sim.nodes[1]!.ae.start();
  await sim.idle(GRACE * 3, 10);
  t.same(await records(sim, 'n0', keys), keys.map(() => []), 'tombstones kept while a replica is missing');
  // n2 returns with its old values.
  const n2 = await sim.restart('n2');
  sim.net.restore('n2');
  t.same(await records(sim, 'n2', keys), keys.map(() => ['old']));
  n2.ae.start();
  n2.ae.prioritize('n0');
  for (let i = 0; i < 8; i++) {
    await sim.idle(500, 10);
    for (const id of ['n0', 'n1']) {
      const got = await records(sim, id, keys);
      if (got.some((g) => g !== null && g.length > 0)) t.fail(`${id} holds a deleted value again`);
    }
  }
  for (const id of ['n0', 'n1', 'n2']) t.same(await records(sim, id, keys), keys.map(() => null), `${id}: deleted and collected`);
  for (const k of keys.slice(0, 5)) t.same(live(await sim.settle(sim.nodes[2]!.coord.read(k))), [], 'reads as absent');
});

t.test('expired records wait for the same rule before the sweep removes them', async (t) => {
  const sim = await AeSim.start(2, 2, { graceMs: GRACE });
  t.teardown(() => sim.close());
  const key = Buffer.from('ttl');
  const expireAt = sim.clock.now() + 100;
  await sim.settle(sim.nodes[0]!.coord.write(key, { value: Buffer.from('v'), tombstone: false, expireAt, supersedes: { kind: 'local' } }));
  await sim.idle(200);
  sim.net.isolate('n1');
  sim.startAll();
  await sim.idle(GRACE * 2, 10);
  t.equal(await sim.nodes[0]!.store.sweepExpired(sim.clock.now(), 100), 0, 'no agreement with n1: kept');
  t.ok(await sim.nodes[0]!.store.get(key));
  sim.net.restore('n1');
  // The refused sweep asked to look again after min(grace, 1 min).
  await sim.idle(GRACE + 500, 10);
  // Due by n0's horizon: the sweep keeps it and proposes the purge to n1, which agrees; both then drop it.
  t.equal(await sim.nodes[0]!.store.sweepExpired(sim.clock.now(), 100), 0, 'proposed, not removed on the sweep\'s own word');
  await sim.idle(50);
  t.equal(await sim.nodes[0]!.store.get(key), undefined);
  t.equal(await sim.nodes[1]!.store.get(key), undefined, 'the other replica dropped the same version');
  t.equal(sim.nodes[0]!.ae.status().expiredPurged, 1);
  t.same(sim.nodes.map((n) => n.store.stats().expiredSwept), [1, 1], 'INFO expired_keys counts it on both');
  // The replicas agree again: no expired record travels back.
  await sim.idle(1500, 10);
  t.equal(await sim.nodes[0]!.store.get(key), undefined);
});

t.test('no tombstone is collected while a member joins: its copies are covered by no agreement', async (t) => {
  const sim = await AeSim.start(3, 3, { graceMs: GRACE });
  t.teardown(() => sim.close());
  const keys = Array.from({ length: 20 }, (_, i) => Buffer.from(`j${i}`));
  const coord = sim.nodes[0]!.coord;
  for (const k of keys) await sim.settle(coord.write(k, set('v')));
  for (const k of keys) await sim.settle(coord.write(k, del));
  // A fourth member is joining: it may hold (or be streamed) older copies of these keys, and would bring
  // them back once it owns its ranges if the tombstones were gone by then.
  const settled = sim.ring;
  const joining = Ring.build([...settled.members, { id: 'n9', rack: 'r1', dc: 'dc1', vnodes: 4, state: 'joining' as const }]);
  (sim as { ring: Ring }).ring = joining;
  t.ok(joining.hasPendingChanges);
  sim.startAll();
  await sim.idle(GRACE * 3, 10);
  for (const id of ['n0', 'n1', 'n2']) t.same(await records(sim, id, keys), keys.map(() => []), `${id} still holds every tombstone`);
  t.equal(sim.nodes.reduce((n, x) => n + x.ae.status().tombstonesPurged, 0), 0);
  // The join is over (here: called off): collection resumes.
  (sim as { ring: Ring }).ring = settled;
  await sim.idle(GRACE * 2, 10);
  for (const id of ['n0', 'n1', 'n2']) t.same(await records(sim, id, keys), keys.map(() => null), `${id} collected them`);
});
