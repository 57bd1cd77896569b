import t from 'tap';
import type { WriteRequest } from '../../src/coordinator/api.js';
import { keyDigest } from '../../src/antientropy/version-hash.js';
import { AeSim, live } from './ae-sim.js';

// Collection is decided by every replica on its own clock: a node whose clock runs ahead may propose
// purges, but the replicas with a correct clock refuse them, and a purge request is judged again by
// the receiver before anything is removed.

const GRACE = 2000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function set(value: string, expireAt = 0): WriteRequest {
  return { value: Buffer.from(value), tombstone: false, expireAt, supersedes: { kind: 'local' } };
}
const del: WriteRequest = { value: Buffer.alloc(0), tombstone: true, expireAt: 0, supersedes: { kind: 'local' } };

t.test('a receiver judges a purge request itself and keeps what it would not collect', async (t) => {
  const sim = await AeSim.start(3, 3, { graceMs: GRACE });
  t.teardown(() => sim.close());
  const coord = sim.nodes[0]!.coord;
  const liveKey = Buffer.from('live');
  const freshDead = Buffer.from('fresh-tombstone');
  const changed = Buffer.from('changed');
  await sim.settle(coord.write(liveKey, set('v')));
  await sim.settle(coord.write(freshDead, set('v')));
  await sim.settle(coord.write(freshDead, del));
  await sim.settle(coord.write(changed, set('v1')));
  await sim.idle(20);
  const n1 = sim.node('n1');
  const heldLive = (await n1.store.get(liveKey))!;
  const heldDead = (await n1.store.get(freshDead))!;
  const oldVersion = (await n1.store.get(changed))!;
  await sim.settle(coord.write(changed, del));
  sim.startAll();
  await sim.idle(300, 5);
  const req = {
    type: 'a.purge',
    keys: [liveKey, freshDead, changed, Buffer.from('never-written')],
    digests: [keyDigest(liveKey, heldLive).digest, keyDigest(freshDead, heldDead).digest, keyDigest(changed, oldVersion).digest, 7n],
  };
  const reply = (await n1.ae.handleRequest('n2', req)) as { removed: number; verdicts: string[] };
  t.same(reply, { removed: 0, verdicts: ['live', 'within-grace', 'changed', 'absent'] });
  t.same(live(await n1.store.get(liveKey)), ['v'], 'a live record with the same version is kept');
  t.ok(await n1.store.get(freshDead), 'a tombstone younger than the grace is kept');
  t.ok(await n1.store.get(changed), 'a newer version is kept');
  t.equal(n1.ae.status().purgesRefused, 3);
});

t.test('a node two hours ahead cannot get records with a live TTL collected', async (t) => {
  const sim = await AeSim.start(3, 3, { graceMs: GRACE });
  t.teardown(() => sim.close());
  const coord = sim.nodes[0]!.coord;
  const keys = Array.from({ length: 20 }, (_, i) => Buffer.from(`ttl${i}`));
  for (const k of keys) await sim.settle(coord.write(k, set('v', sim.clock.now() + HOUR)));
  // A deleted key gives the ranges tombstones, so the collector scans them too.
  const gone = Array.from({ length: 10 }, (_, i) => Buffer.from(`gone${i}`));
  for (const k of gone) await sim.settle(coord.write(k, set('v')));
  for (const k of gone) await sim.settle(coord.write(k, del));
  sim.setSkew('n2', 2 * HOUR);
  sim.startAll();
  for (let i = 0; i < 6; i++) {
    await sim.idle(GRACE, 10);
    for (const node of sim.nodes) await node.store.sweepExpired(node.clock.now(), 1000);
  }
  await sim.idle(200, 10);
  for (const id of ['n0', 'n1', 'n2']) {
    const held = await sim.node(id).store.getMany(keys);
    t.equal(held.filter((o) => o !== undefined).length, keys.length, `${id} holds every key whose TTL is still running`);
  }
  for (const k of keys.slice(0, 3)) t.same(live(await sim.settle(coord.read(k))), ['v'], 'reads through a correct node see it');
  t.ok(sim.node('n0').ae.status().purgesRefused + sim.node('n1').ae.status().purgesRefused > 0, 'the correct replicas refused the skewed proposals');
  // The tombstones, dead on every clock past the grace, are still collected.
  for (const id of ['n0', 'n1', 'n2']) {
    const held = await sim.node(id).store.getMany(gone);
    t.equal(held.filter((o) => o !== undefined).length, 0, `${id} collected the old tombstones`);
  }
});

t.test('a node twenty days ahead cannot get tombstones collected within the grace', async (t) => {
  const sim = await AeSim.start(3, 3, { graceMs: 10 * DAY });
  t.teardown(() => sim.close());
  const coord = sim.nodes[0]!.coord;
  const keys = Array.from({ length: 20 }, (_, i) => Buffer.from(`d${i}`));
  for (const k of keys) await sim.settle(coord.write(k, set('v')));
  for (const k of keys) await sim.settle(coord.write(k, del));
  const expiring = Buffer.from('expiring');
  await sim.settle(coord.write(expiring, set('v', sim.clock.now() + 5 * DAY)));
  sim.setSkew('n2', 20 * DAY);
  sim.startAll();
  for (let i = 0; i < 4; i++) {
    await sim.idle(1000, 10);
    await sim.node('n2').store.sweepExpired(sim.node('n2').clock.now(), 1000);
  }
  await sim.idle(200, 10);
  for (const id of ['n0', 'n1', 'n2']) {
    const held = await sim.node(id).store.getMany(keys);
    t.equal(held.filter((o) => o !== undefined).length, keys.length, `${id} keeps every tombstone`);
    t.ok(await sim.node(id).store.get(expiring), `${id} keeps the record that expires in 5 days`);
  }
});

t.test('a purge that one replica refuses removes the record nowhere', async (t) => {
  const sim = await AeSim.start(3, 3, { graceMs: GRACE });
  t.teardown(() => sim.close());
  const coord = sim.nodes[0]!.coord;
  const keys = Array.from({ length: 10 }, (_, i) => Buffer.from(`k${i}`));
  for (const k of keys) await sim.settle(coord.write(k, set('v')));
  for (const k of keys) await sim.settle(coord.write(k, del));
  // n1's clock is behind by the grace and more: by its clock the tombstones are younger than the grace.
  sim.setSkew('n1', -10 * GRACE);
  sim.startAll();
  await sim.idle(GRACE * 4, 10);
  for (const id of ['n0', 'n1', 'n2']) {
    const held = await sim.node(id).store.getMany(keys);
    t.equal(held.filter((o) => o !== undefined).length, keys.length, `${id} keeps every tombstone`);
  }
  t.ok(sim.node('n1').ae.status().purgesRefused > 0, 'n1 refused');
  // Once n1's clock is right again, all three agree and collect.
  sim.setSkew('n1', 0);
  await sim.idle(GRACE * 3, 10);
  for (const id of ['n0', 'n1', 'n2']) {
    const held = await sim.node(id).store.getMany(keys);
    t.equal(held.filter((o) => o !== undefined).length, 0, `${id} collected them`);
  }
});
