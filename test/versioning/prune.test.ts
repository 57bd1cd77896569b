import fc from 'fast-check';
import t from 'tap';
import { clockToText, covers, descends } from '../../src/versioning/clock.js';
import { applyWrite, liveSiblings, mergeObjects } from '../../src/versioning/object.js';
import { pruneObject } from '../../src/versioning/prune.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { assertValidObject, bytes, holds, mergeInTree, nodesArb, objectArb } from './helpers.js';
import { holdsDot, runHistory, stepsArb, superseded, type Removal, type Step, type World } from './history.js';

const RUNS = 300;

/** Some of the object's clock entries belong to members; maxEntries small enough that pruning happens. */
const pruneCaseArb = fc.record({ obj: objectArb, memberMask: fc.array(fc.boolean(), { maxLength: 5 }), maxEntries: fc.integer({ min: 0, max: 4 }) });

function membersOf(nodes: readonly string[], mask: readonly boolean[]): Set<string> {
  return new Set(nodes.filter((_, i) => mask[i % Math.max(1, mask.length)] ?? false));
}

t.test('pruneObject drops only entries of departed nodes no sibling needs', async (t) => {
  let pruned = 0;
  holds(
    t,
    'siblings untouched, every dot still covered by its own entry, members kept, the bound holds',
    fc.property(pruneCaseArb, ({ obj, memberMask, maxEntries }) => {
      const nodes = Object.keys(obj.clock);
      const members = membersOf(nodes, memberMask);
      const out = pruneObject(obj, { maxEntries, isMember: (n) => members.has(n) });
      if (nodes.length <= maxEntries && out !== obj) return false;
      if (out !== obj) pruned++;
      const kept = Object.keys(out.clock);
      const needed = new Set(obj.siblings.map((s) => s.dot.node));
      const expected = nodes.length <= maxEntries ? nodes : nodes.filter((n) => needed.has(n) || members.has(n));
      assertValidObject(out);
      return (
        out.siblings === obj.siblings &&
        [0, 1e15].every((now) => liveSiblings(out, now).length === liveSiblings(obj, now).length) &&
        out.siblings.every((s) => covers(out.clock, s.dot) && out.clock[s.dot.node] === obj.clock[s.dot.node]) &&
        descends(obj.clock, out.clock) &&
        kept.length === expected.length &&
        kept.every((n) => expected.includes(n) && out.clock[n] === obj.clock[n]) &&
        kept.length <= Math.max(maxEntries, new Set([...needed, ...nodes.filter((n) => members.has(n))]).size) &&
        bytes(pruneObject(out, { maxEntries, isMember: (n) => members.has(n) })) === bytes(out)
      );
    }),
    RUNS,
  );
  t.ok(pruned > RUNS / 10, `entries were dropped in ${pruned} of ${RUNS} runs`);
});

/**
 * A history in which some nodes leave for good part way (they coordinate
 * nothing after), after which replicas prune at random; at the end some
 * replicas prune once more before everything is merged.
 */
const removalCaseArb = fc
  .record({
    nodes: nodesArb(2, 5),
    goneMask: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
    maxEntries: fc.integer({ min: 0, max: 3 }),
    before: stepsArb(20),
    after: stepsArb(25, true),
    finalPrune: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
    picks: fc.array(fc.nat(), { maxLength: 8 }),
  })
  .map(({ nodes, goneMask, maxEntries, before, after, finalPrune, picks }) => {
    const gone = new Set(nodes.filter((_, i) => goneMask[i % goneMask.length]));
    gone.delete(nodes[0]!); // one member stays
    const removal: Removal = { nodes: gone, at: before.length, maxEntries };
    const ending: Step[] = nodes.flatMap((_, i) => (finalPrune[i % finalPrune.length] ? [{ op: 'prune' as const, replica: i }] : []));
    return { nodes, removal, steps: [...before, ...after, ...ending], picks };
  });

function prunedAny(world: World): boolean {
  return world.states.some((s, i) => i > 0 && Object.keys(s.clock).length < Object.keys(world.states[i - 1]!.clock).length);
}

t.test('histories with pruning: no acknowledged write lost, false siblings only from departed nodes', async (t) => {
  let withPruning = 0;
  let falseSiblings = 0;
  holds(
    t,
    'after every replica is merged',
    fc.property(removalCaseArb, ({ nodes, removal, steps, picks }) => {
      const world = runHistory(nodes, steps, removal);
      if (prunedAny(world)) withPruning++;
      const final = mergeInTree(world.replicas, picks);
      for (const w of world.writes) {
        const kept = holdsDot(final, w.dot);
        const seen = superseded(world, w);
        // Never lost: a write no other write saw is a sibling.
        if (!seen && !kept) return false;
        // Brought back only when its node has left (its clock entry may have been dropped).
        if (seen && kept) {
          if (!removal.nodes.has(w.dot.node)) return false;
          falseSiblings++;
        }
      }
      return true;
    }),
    RUNS,
  );
  t.ok(withPruning > RUNS / 10, `pruning happened in ${withPruning} of ${RUNS} histories`);
  t.ok(falseSiblings > 0, `${falseSiblings} superseded writes came back as siblings`);
  holds(
    t,
    'merges of pruned and unpruned versions are still commutative, associative and idempotent',
    fc.property(removalCaseArb, fc.nat(), fc.nat(), fc.nat(), ({ nodes, removal, steps }, i, j, k) => {
      const { states } = runHistory(nodes, steps, removal);
      const [a, b, c] = [i, j, k].map((x) => states[x % states.length]!) as [VersionedObject, VersionedObject, VersionedObject];
      return (
        bytes(mergeObjects(a, b)) === bytes(mergeObjects(b, a)) &&
        bytes(mergeObjects(mergeObjects(a, b), c)) === bytes(mergeObjects(a, mergeObjects(b, c))) &&
        bytes(mergeObjects(a, a)) === bytes(a)
      );
    }),
    RUNS,
  );
  holds(
    t,
    'pruning some final replicas only adds siblings to the merge, and only departed nodes\u2019 ones',
    fc.property(removalCaseArb, fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), ({ nodes, removal, steps, picks }, which) => {
      const world = runHistory(nodes, steps.filter((s) => s.op !== 'prune'), removal);
      const isMember = (n: string) => !removal.nodes.has(n);
      const mixed = world.replicas.map((r, i) => (which[i % which.length] ? pruneObject(r, { maxEntries: removal.maxEntries, isMember }) : r));
      const plain = mergeInTree(world.replicas, picks);
      const withPruned = mergeInTree(mixed, picks);
      return (
        plain.siblings.every((s) => holdsDot(withPruned, s.dot)) &&
        withPruned.siblings.every((s) => holdsDot(plain, s.dot) || removal.nodes.has(s.dot.node)) &&
        descends(plain.clock, withPruned.clock)
      );
    }),
    RUNS,
  );
});

t.test('the cost, spelled out: a superseded sibling of a departed node comes back', async (t) => {
  const p = (v: string) => ({ value: Buffer.from(v), tombstone: false, expireAt: 0, ts: 1 });
  const fromX = applyWrite(undefined, {}, 'x', p('old')); // x later leaves the cluster
  const unpruned = fromX; // a replica that never saw what came next
  const current = applyWrite(fromX, fromX.clock, 'a', p('new')); // a client read 'old' and replaced it
  const opts = { maxEntries: 1, isMember: (n: string) => n !== 'x' };
  const pruned = pruneObject(current, opts);
  t.equal(clockToText(pruned.clock), '{"a":1}', "x's entry goes: no sibling holds an x dot");
  t.same(mergeObjects(current, unpruned).siblings.map((s) => s.value.toString()), ['new'], 'unpruned, the merge knows old was replaced');
  const merged = mergeObjects(pruned, unpruned);
  t.same(merged.siblings.map((s) => s.value.toString()), ['new', 'old'], 'pruned, old comes back as a false sibling');
  const resolved = applyWrite(merged, merged.clock, 'a', p('resolved'));
  t.same(resolved.siblings.map((s) => s.value.toString()), ['resolved'], 'which the next write with its context resolves');
  t.equal(pruneObject(current, { maxEntries: 2, isMember: () => false }), current, 'at most maxEntries entries: left alone');
  t.equal(pruneObject(current, { maxEntries: 0, isMember: () => true }), current, 'all members: nothing to drop');
  const needed = applyWrite(fromX, {}, 'a', p('concurrent'));
  t.same(Object.keys(pruneObject(needed, { maxEntries: 0, isMember: () => false }).clock).sort(), ['a', 'x'], 'entries siblings need stay');
});
