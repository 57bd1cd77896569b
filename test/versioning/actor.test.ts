import t from 'tap';
import { startActor, ACTOR_EPOCH_META } from '../../src/coordinator/start-actor.js';
import { ManualClock } from '../../src/core/clock.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore } from '../../src/storage/record-store.js';
import { actorEpoch, actorId, DotIssuer, nextActorEpoch, nodeOfActor } from '../../src/versioning/actor.js';
import { applyWrite, mergeObjects } from '../../src/versioning/object.js';
import { MAX_CLOCK_ENTRIES, pruneRetiredActors } from '../../src/versioning/prune.js';
import type { VersionedObject } from '../../src/versioning/types.js';

const payload = (v: string, ts = 1) => ({ value: Buffer.from(v), tombstone: false, expireAt: 0, ts });

t.test('actor ids name their node and epoch; plain node ids are epoch 0', async (t) => {
  const a = actorId('node-1', 1_700_000_000_000);
  t.equal(nodeOfActor(a), 'node-1');
  t.equal(actorEpoch(a), 1_700_000_000_000);
  t.equal(nodeOfActor('node-1'), 'node-1');
  t.equal(actorEpoch('node-1'), 0);
  t.equal(actorEpoch('n~NOT-BASE36'), 0, 'a malformed (forged) epoch counts as 0');
  t.equal(nextActorEpoch(100, 0), 100);
  t.equal(nextActorEpoch(100, 500), 501, 'a clock behind the last start still moves past it');
  t.equal(nextActorEpoch(0, 0), 1);
});

t.test('one counter per actor across keys: a key whose record is gone never gets an old dot again', async (t) => {
  const dots = new DotIssuer(actorId('n1', 5));
  const first = applyWrite(undefined, {}, dots, payload('a'));
  applyWrite(undefined, {}, dots, payload('other key'));
  // The first key's record is collected; its next write starts from nothing.
  const again = applyWrite(undefined, {}, dots, payload('b'));
  t.equal(first.siblings[0]!.dot.counter, 1);
  t.equal(again.siblings[0]!.dot.counter, 3);
  t.equal(dots.issued, 3);
  // A context naming a higher counter of this actor (forged, or from a clock) is passed, never repeated.
  const ctx = { [dots.actor]: 40 };
  t.equal(applyWrite(undefined, ctx, dots, payload('c')).siblings[0]!.dot.counter, 41);
  t.throws(() => new DotIssuer('x').next(Number.MAX_SAFE_INTEGER), /cannot advance/);
});

t.test('a plain string issues per-key counters (tests and tools)', async (t) => {
  const one = applyWrite(undefined, {}, 'n1', payload('a'));
  const two = applyWrite(one, one.clock, 'n1', payload('b'));
  t.same(two.siblings.map((s) => s.dot), [{ node: 'n1', counter: 2 }]);
});

t.test('startActor raises the stored epoch at every start, and an empty store starts from the clock', async (t) => {
  const clock = new ManualClock(1_000);
  const engine = new MemoryEngine();
  await engine.open();
  const store = await openRecordStore(engine, { sync: true, clock });
  const a = await startActor(store, 'n1', clock.now());
  const b = await startActor(store, 'n1', clock.now());
  t.equal(actorEpoch(a.actor), 1_000);
  t.equal(actorEpoch(b.actor), 1_001, 'a restart within the same ms still gets a new actor');
  t.ok((await store.getMeta(ACTOR_EPOCH_META))?.length === 8);
  const wiped = new MemoryEngine();
  await wiped.open();
  const fresh = await startActor(await openRecordStore(wiped, { sync: true, clock }), 'n1', 5_000);
  t.equal(fresh.actor, actorId('n1', 5_000));
  // An unreadable epoch: the clock decides.
  const broken = { ...store, getMeta: () => Promise.reject(new Error('io')), putMeta: () => Promise.resolve() } as unknown as typeof store;
  t.equal((await startActor(broken, 'n1', 7_000)).actor, actorId('n1', 7_000));
});

function bigClock(node: string, epochs: number, others: number): VersionedObject {
  const clock: Record<string, number> = {};
  for (let e = 1; e <= epochs; e++) clock[actorId(node, e)] = e;
  for (let o = 0; o < others; o++) clock[`other${o}`] = 1;
  const newest = actorId(node, epochs);
  return { clock, siblings: [{ dot: { node: newest, counter: epochs }, ...payload('v') }] };
}

t.test('retired actors leave clocks past the bound; what a sibling needs and current actors stay', async (t) => {
  const small = bigClock('n1', 3, 2);
  t.equal(pruneRetiredActors(small), small, 'a small clock is left alone');
  const big = bigClock('n1', MAX_CLOCK_ENTRIES, 2);
  const pruned = pruneRetiredActors(big);
  t.same(Object.keys(pruned.clock).sort(), [actorId('n1', MAX_CLOCK_ENTRIES), 'other0', 'other1']);
  // A retired actor whose dot a sibling holds is kept.
  const old = actorId('n1', 1);
  const held: VersionedObject = { clock: big.clock, siblings: [...big.siblings, { dot: { node: old, counter: 1 }, ...payload('old') }] };
  t.ok(Object.hasOwn(pruneRetiredActors(held).clock, old));
  // Pruning only makes the clock cover less: merging the pruned copy with the full one loses no sibling.
  const merged = mergeObjects(pruned, big);
  t.same(merged.siblings.map((s) => s.value.toString()), ['v']);
});

t.test('applyWrite prunes the retired actors of a big clock', async (t) => {
  const big = bigClock('n1', MAX_CLOCK_ENTRIES, 0);
  const next = applyWrite(big, big.clock, new DotIssuer(actorId('n1', 999)), payload('w'));
  t.same(Object.keys(next.clock), [actorId('n1', 999)]);
});
