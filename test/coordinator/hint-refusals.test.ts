import t, { type Test } from 'tap';
import type { WriteAcks, WriteOptions } from '../../src/coordinator/api.js';
import { keyHash } from '../../src/core/hash.js';
import { encodeObject } from '../../src/versioning/codec.js';
import { SimCluster } from '../support/sim-cluster.js';
import { counterValue, setReq } from './helpers.js';

// Stand-ins that cannot keep a hint refuse it (HINTREFUSED); the coordinator
// then asks the next candidate clockwise, and when no stand-in takes it and W
// is out of reach the write fails with UNAVAILABLE. A refused hint never counts.

const filler = encodeObject({ clock: { n9: 1 }, siblings: [{ dot: { node: 'n9', counter: 1 }, value: Buffer.from('old'), ts: 1, tombstone: false, expireAt: 0 }] });

/** Six nodes, N=3, sloppy quorum on; every hint store keeps at most one hint per target. */
async function boundedSim() {
  return SimCluster.start({ nodes: 6, n: 3, r: 2, w: 2, hints: true, sloppyQuorum: true, hintBounds: { maxHintsPerTarget: 1 } });
}

/** A bounded cluster closed at teardown, a key, its replicas, and its stand-ins clockwise from it. */
async function keyOnBoundedSim(t: Test, name: string) {
  const sim = await boundedSim();
  t.teardown(() => sim.close());
  const key = Buffer.from(name);
  const replicas = sim.replicasOf(key) as [string, string, string];
  const standIns = sim.ring.fallbacks(keyHash(key), 3, () => true);
  return { sim, key, replicas, standIns };
}

/** Writes `value` through `coordinator`; resolves the acknowledgements the coordinator counted. */
async function writeAcks(sim: SimCluster, coordinator: string, key: Buffer, value: string, opts: WriteOptions = {}): Promise<WriteAcks | undefined> {
  let acks: WriteAcks | undefined;
  await sim.settle(sim.node(coordinator).coord.write(key, setReq(value), { ...opts, onAcks: (x) => (acks = x) }));
  return acks;
}

const UNAVAILABLE_2_OF_3 = 'UNAVAILABLE 2 of 3 replicas acknowledged, 3 needed; the write may be present on some replicas';

/** Targets and keys of the hints a node holds. */
async function hintsOn(sim: SimCluster, id: string): Promise<string[]> {
  const store = sim.node(id).hints!;
  const out: string[] = [];
  for (const target of store.targets()) for (const h of await store.peek(target, 1000)) out.push(`${target}:${h.key.toString()}`);
  return out.sort();
}

/** Fills `holder`'s hint store for `owner` to its bound (one hint, for key 'earlier'). */
async function fill(sim: SimCluster, holder: string, owner: string): Promise<void> {
  await sim.settle(sim.node(holder).hints!.add(owner, Buffer.from('earlier'), filler, 0));
}

t.test('a stand-in at its bound refuses; the coordinator uses the next one clockwise, and only it counts', async (t) => {
  const { sim, key, replicas, standIns } = await keyOnBoundedSim(t, 'refused-once');
  const [a, b] = replicas;
  const [d, e, f] = standIns as [string, string, string];
  await fill(sim, d, b);
  sim.net.isolate(b);
  t.same(await writeAcks(sim, a, key, 'v', { w: 3, pw: 2 }), { home: 2, total: 3 }, 'W=3: two home replicas and the second stand-in; PW=2 met by home replicas');
  await sim.idle(5);
  t.same(await hintsOn(sim, d), [`${b}:earlier`], 'the first stand-in kept the hint it had acknowledged before');
  t.same(await hintsOn(sim, e), [`${b}:refused-once`], 'the next stand-in took the hint');
  t.same(await hintsOn(sim, f), [], 'and no other');
  t.same(await hintsOn(sim, a), [], 'the coordinator kept none');
  t.equal(sim.node(d).hints!.stats()[b]!.refused, 1, 'the refusal is counted where it happened');
  t.ok(sim.node(a).logs.some((l) => l.msg === 'stand-in refused the hint' && l.fields?.node === d));
});

t.test('when every stand-in refuses and W is out of reach the write is UNAVAILABLE; refused hints never count', async (t) => {
  const { sim, key, replicas, standIns: fallbacks } = await keyOnBoundedSim(t, 'refused-everywhere');
  const [a, b] = replicas;
  t.equal(fallbacks.length, 3);
  for (const s of fallbacks) await fill(sim, s, b);
  sim.net.isolate(b);
  const out = await sim.outcome(sim.node(a).coord.write(key, setReq('v'), { w: 3 }));
  t.equal(out, UNAVAILABLE_2_OF_3);
  t.equal(await counterValue(sim.node(a).metrics.quorumOperations, { type: 'write', outcome: 'unavailable' }), 1);
  await sim.idle(5);
  for (const s of fallbacks) t.same(await hintsOn(sim, s), [`${b}:earlier`], `${s} kept what it had and took nothing`);
  t.same(await hintsOn(sim, a), [`${b}:refused-everywhere`], 'the coordinator keeps the hint itself (uncounted)');
  // W=2 needs no stand-in: the home replicas answer, and the count says so.
  t.same(await writeAcks(sim, a, key, 'w'), { home: 2, total: 2 });
});

t.test('a home replica failing during the write gets a stand-in; a refusal there moves on too, else UNAVAILABLE', async (t) => {
  const { sim, key, replicas, standIns } = await keyOnBoundedSim(t, 'fails-then-refused');
  const [a, b] = replicas;
  const [d, e, f] = standIns as [string, string, string];
  // b is believed up but its disk fails; d and e are full for b, f takes it.
  await fill(sim, d, b);
  await fill(sim, e, b);
  sim.node(b).engine.failNextWrites(1);
  t.same(await writeAcks(sim, a, key, 'v', { w: 3 }), { home: 2, total: 3 });
  await sim.idle(5);
  t.same(await hintsOn(sim, f), [`${b}:fails-then-refused`]);
  // Now f is full too: the same failure cannot reach W=3.
  sim.node(b).engine.failNextWrites(1);
  const out = await sim.outcome(sim.node(a).coord.write(key, setReq('w'), { w: 3 }));
  t.equal(out, UNAVAILABLE_2_OF_3);
});

t.test('with PW, refusals leave the home count as it was: stand-ins never stand for home replicas', async (t) => {
  const { sim, key, replicas, standIns } = await keyOnBoundedSim(t, 'pw-refused');
  const [a, b, c] = replicas;
  const [d] = standIns as [string];
  await fill(sim, d, b);
  sim.net.isolate(b);
  sim.net.isolate(c);
  // W=2 PW=1: a is home, one stand-in needed; d refuses for b, the next takes it.
  t.same(await writeAcks(sim, a, key, 'v', { w: 3, pw: 1 }), { home: 1, total: 3 }, 'one home replica and two stand-ins, neither of them the refusing one');
  await sim.idle(5);
  const held = [];
  for (const node of sim.nodes) for (const h of await hintsOn(sim, node.id)) if (h.endsWith(':pw-refused')) held.push(`${node.id}>${h}`);
  t.equal(held.length, 2, 'one stand-in hint per down replica');
  t.notOk(held.some((h) => h.startsWith(`${d}>${b}:`)), 'not on the refusing stand-in');
});
