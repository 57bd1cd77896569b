import fc from 'fast-check';
import t from 'tap';
import { counterOf, descends } from '../../src/versioning/clock.js';
import { applyWrite, emptyObject, mergeObjects } from '../../src/versioning/object.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { bytes, holds, isCanonical } from './helpers.js';
import { historyArb, runHistory } from './history.js';

const RUNS = 250;

/** A history and three of the versions it produced (any replica, any time). */
const triplesArb = fc.record({ h: historyArb(), i: fc.nat(), j: fc.nat(), k: fc.nat() });

function pick(states: readonly VersionedObject[], i: number): VersionedObject {
  return states[i % states.length]!;
}

t.test('mergeObjects on versions from one history: the laws, byte for byte', async (t) => {
  holds(
    t,
    'commutative',
    fc.property(triplesArb, ({ h, i, j }) => {
      const { states } = runHistory(h.nodes, h.steps);
      const a = pick(states, i);
      const b = pick(states, j);
      return bytes(mergeObjects(a, b)) === bytes(mergeObjects(b, a));
    }),
    RUNS,
  );
  holds(
    t,
    'associative',
    fc.property(triplesArb, ({ h, i, j, k }) => {
      const { states } = runHistory(h.nodes, h.steps);
      const [a, b, c] = [pick(states, i), pick(states, j), pick(states, k)];
      return bytes(mergeObjects(mergeObjects(a, b), c)) === bytes(mergeObjects(a, mergeObjects(b, c)));
    }),
    RUNS,
  );
  holds(
    t,
    'idempotent: merging a version with itself gives it back, as does merging again',
    fc.property(triplesArb, ({ h, i, j }) => {
      const { states } = runHistory(h.nodes, h.steps);
      const a = pick(states, i);
      const ab = mergeObjects(a, pick(states, j));
      return bytes(mergeObjects(a, a)) === bytes(a) && bytes(mergeObjects(ab, pick(states, j))) === bytes(ab) && bytes(mergeObjects(ab, ab)) === bytes(ab);
    }),
    RUNS,
  );
  holds(
    t,
    'the result descends both inputs and keeps only their siblings',
    fc.property(triplesArb, ({ h, i, j }) => {
      const { states } = runHistory(h.nodes, h.steps);
      const a = pick(states, i);
      const b = pick(states, j);
      const m = mergeObjects(a, b);
      return descends(m.clock, a.clock) && descends(m.clock, b.clock) && m.siblings.every((s) => a.siblings.includes(s) || b.siblings.includes(s));
    }),
    RUNS,
  );
  holds(
    t,
    'every version is in canonical sibling order',
    fc.property(historyArb(), (h) => runHistory(h.nodes, h.steps).states.every(isCanonical)),
    RUNS,
  );
});

t.test('a merge drops a sibling only where the other side has seen its dot and not kept it', async (t) => {
  holds(
    t,
    'sibling rule',
    fc.property(triplesArb, ({ h, i, j }) => {
      const { states } = runHistory(h.nodes, h.steps);
      const a = pick(states, i);
      const b = pick(states, j);
      const m = mergeObjects(a, b);
      const has = (o: VersionedObject, s: VersionedObject['siblings'][number]) =>
        o.siblings.some((x) => x.dot.node === s.dot.node && x.dot.counter === s.dot.counter);
      const expected = (s: VersionedObject['siblings'][number], other: VersionedObject) => has(other, s) || counterOf(other.clock, s.dot.node) < s.dot.counter;
      return a.siblings.every((s) => has(m, s) === expected(s, b)) && b.siblings.every((s) => has(m, s) === expected(s, a));
    }),
    RUNS,
  );
});

t.test('examples', async (t) => {
  const p = (v: string, ts: number) => ({ value: Buffer.from(v), tombstone: false, expireAt: 0, ts });
  const x = applyWrite(undefined, {}, 'b', p('x', 1));
  const y = applyWrite(x, {}, 'a', p('y', 2));
  t.same(
    y.siblings.map((s) => s.dot.node),
    ['a', 'b'],
    'applyWrite leaves siblings in canonical order, as a merge would (it used to append)',
  );
  t.equal(bytes(mergeObjects(y, y)), bytes(y));
  const later = applyWrite(x, x.clock, 'b', p('z', 3));
  t.same(mergeObjects(later, y).siblings.map((s) => s.value.toString()), ['y', 'z'], 'x was seen and superseded: only y and z stay');
  t.same(mergeObjects(emptyObject(), y), y);
});
