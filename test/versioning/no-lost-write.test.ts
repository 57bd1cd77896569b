import fc from 'fast-check';
import t from 'tap';
import { covers } from '../../src/versioning/clock.js';
import { applyWrite, mergeObjects } from '../../src/versioning/object.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { bytes, holds, mergeInTree, permutation } from './helpers.js';
import { holdsDot, historyArb, runHistory, superseded } from './history.js';

const RUNS = 300;

const caseArb = fc.record({ h: historyArb(40), picks: fc.array(fc.nat(), { maxLength: 8 }), keys: fc.array(fc.nat(), { maxLength: 8 }) });

t.test('after every replica is merged, exactly the writes no later write saw are siblings', async (t) => {
  holds(
    t,
    'no acknowledged write lost, none superseded brought back',
    fc.property(caseArb, ({ h, picks }) => {
      const world = runHistory(h.nodes, h.steps);
      const final = mergeInTree(world.replicas, picks);
      for (const w of world.writes) {
        const kept = holdsDot(final, w.dot);
        if (kept === superseded(world, w)) return false;
        if (kept && final.siblings.find((s) => s.dot.node === w.dot.node && s.dot.counter === w.dot.counter)!.value.toString() !== w.value) {
          return false;
        }
      }
      return final.siblings.length === world.writes.filter((w) => !superseded(world, w)).length;
    }),
    RUNS,
  );
  holds(
    t,
    'any merge order gives the same bytes',
    fc.property(caseArb, ({ h, picks, keys }) => {
      const world = runHistory(h.nodes, h.steps);
      const tree = mergeInTree(world.replicas, picks);
      const folded = permutation(world.replicas.length, keys)
        .map((i) => world.replicas[i]!)
        .reduce((acc, o) => mergeObjects(acc, o));
      return bytes(tree) === bytes(folded);
    }),
    RUNS,
  );
  holds(
    t,
    'merging every version that ever existed changes nothing: old and repeated deliveries are harmless',
    fc.property(caseArb, ({ h, picks }) => {
      const world = runHistory(h.nodes, h.steps);
      const final = mergeInTree(world.replicas, picks);
      return bytes(world.states.reduce((acc, o) => mergeObjects(acc, o), final)) === bytes(final);
    }),
    RUNS,
  );
});

t.test('dots: one per write, each node counting up', async (t) => {
  holds(
    t,
    'no dot issued twice, counters strictly increase per node',
    fc.property(historyArb(40), (h) => {
      const world = runHistory(h.nodes, h.steps);
      const last = new Map<string, number>();
      for (const w of world.writes) {
        if ((last.get(w.dot.node) ?? 0) >= w.dot.counter) return false;
        last.set(w.dot.node, w.dot.counter);
      }
      return true;
    }),
    RUNS,
  );
});

t.test('a write that did not see an acknowledged write does not hide it (example)', async (t) => {
  const p = (v: string) => ({ value: Buffer.from(v), tombstone: false, expireAt: 0, ts: 1 });
  // a acknowledges x; b, with a context read before x, writes y; replicas then meet.
  const before: VersionedObject = applyWrite(undefined, {}, 'a', p('w'));
  const x = applyWrite(before, before.clock, 'a', p('x'));
  const y = applyWrite(before, before.clock, 'b', p('y'));
  const m = mergeObjects(x, y);
  t.same(m.siblings.map((s) => s.value.toString()), ['x', 'y']);
  t.notOk(covers(y.clock, x.siblings[0]!.dot), "y's clock has not seen x");
});
