import fc from 'fast-check';
import t from 'tap';
import {
  clocksEqual,
  clockToText,
  compareClocks,
  counterOf,
  covers,
  descends,
  emptyClock,
  joinClocks,
  setCounter,
} from '../../src/versioning/clock.js';
import type { VersionVector } from '../../src/versioning/types.js';
import { clockArb, clockOf, holds, nodeIdArb } from './helpers.js';

const RUNS = 300;

/**
 * Clocks as versions carry them: every entry at least 1. A 0 entry (only a
 * client's context can hold one) means the same as none, so with those the
 * laws hold up to clocksEqual, not byte for byte.
 */
const positiveClockArb = fc
  .uniqueArray(fc.tuple(nodeIdArb, fc.integer({ min: 1, max: 8 })), { selector: (e) => e[0], maxLength: 5 })
  .map(clockOf);

/** Clocks compared entry by entry, a missing entry counting as 0: the meaning descends must have. */
function pointwiseLe(a: VersionVector, b: VersionVector): boolean {
  return Object.keys(a).every((n) => a[n]! <= (Object.hasOwn(b, n) ? b[n]! : 0));
}

t.test('descends is reflexive and transitive, and means entry-wise >=', async (t) => {
  holds(t, 'reflexive', fc.property(clockArb, (a) => descends(a, a)), RUNS);
  holds(
    t,
    'transitive',
    fc.property(clockArb, clockArb, clockArb, (a, b, c) => {
      // Chains are rare among random clocks; joins make them.
      const ab = joinClocks(a, b);
      const abc = joinClocks(ab, c);
      return descends(abc, ab) && descends(ab, a) && descends(abc, a) && (!(descends(a, b) && descends(b, c)) || descends(a, c));
    }),
    RUNS,
  );
  holds(t, 'entry-wise', fc.property(clockArb, clockArb, (a, b) => descends(a, b) === pointwiseLe(b, a)), RUNS);
});

t.test('joinClocks is commutative, associative, idempotent, the least clock descending both', async (t) => {
  holds(
    t,
    'join laws',
    fc.property(positiveClockArb, positiveClockArb, positiveClockArb, (a, b, c) => {
      const ab = joinClocks(a, b);
      return (
        clocksEqual(ab, joinClocks(b, a)) &&
        clockToText(ab) === clockToText(joinClocks(b, a)) &&
        clockToText(joinClocks(ab, c)) === clockToText(joinClocks(a, joinClocks(b, c))) &&
        clockToText(joinClocks(a, a)) === clockToText(a) &&
        descends(ab, a) &&
        descends(ab, b) &&
        // least: anything descending both descends the join
        descends(joinClocks(joinClocks(c, a), b), ab)
      );
    }),
    RUNS,
  );
  holds(
    t,
    'with zero entries, the laws hold up to clocksEqual',
    fc.property(clockArb, clockArb, clockArb, (a, b, c) => {
      const ab = joinClocks(a, b);
      return (
        clocksEqual(ab, joinClocks(b, a)) &&
        clocksEqual(joinClocks(ab, c), joinClocks(a, joinClocks(b, c))) &&
        clocksEqual(joinClocks(a, a), a) &&
        descends(ab, a) &&
        descends(ab, b)
      );
    }),
    RUNS,
  );
  holds(
    t,
    'join does not change its inputs',
    fc.property(clockArb, clockArb, (a, b) => {
      const before = [clockToText(a), clockToText(b)];
      joinClocks(a, b);
      return clockToText(a) === before[0] && clockToText(b) === before[1];
    }),
    RUNS,
  );
});

t.test('compareClocks agrees with descends', async (t) => {
  holds(
    t,
    'ordering',
    fc.property(clockArb, clockArb, (a, b) => {
      const expected = descends(a, b) ? (descends(b, a) ? 'equal' : 'after') : descends(b, a) ? 'before' : 'concurrent';
      const flipped = { equal: 'equal', after: 'before', before: 'after', concurrent: 'concurrent' } as const;
      return compareClocks(a, b) === expected && compareClocks(b, a) === flipped[expected] && clocksEqual(a, b) === (expected === 'equal');
    }),
    RUNS,
  );
  t.equal(compareClocks({ a: 1 }, { a: 1, b: 0 }), 'equal', 'a zero entry is no entry');
  t.equal(compareClocks({ a: 2 }, { a: 1 }), 'after');
  t.equal(compareClocks({ a: 1 }, { b: 1 }), 'concurrent');
});

t.test('clockToText is stable: sorted entries, independent of insertion order', async (t) => {
  holds(
    t,
    'stable text',
    fc.property(fc.uniqueArray(fc.tuple(nodeIdArb, fc.nat()), { selector: (e) => e[0], maxLength: 6 }), (entries) => {
      const forward = clockToText(clockOf(entries));
      const backward = clockToText(clockOf([...entries].reverse()));
      const sorted = [...entries].sort((x, y) => (x[0] < y[0] ? -1 : 1));
      const parsed = JSON.parse(forward) as Record<string, number>;
      return (
        forward === backward &&
        forward === `{${sorted.map(([n, c]) => `${JSON.stringify(n)}:${c}`).join(',')}}` &&
        entries.every(([n, c]) => Object.hasOwn(parsed, n) && parsed[n] === c)
      );
    }),
    RUNS,
  );
  t.equal(clockToText({ 'node-b': 1, 'node-a': 3 }), '{"node-a":3,"node-b":1}');
  t.equal(clockToText(emptyClock()), '{}');
  // A JS object would print '2' before '10' and both before 'a'.
  t.equal(clockToText({ a: 1, '10': 2, '2': 3 }), '{"10":2,"2":3,"a":1}', 'numeric node ids sort as text');
});

t.test("node ids Object.prototype knows are plain entries", async (t) => {
  // 'constructor' is a valid node id: read through the prototype it was a function, so the
  // node's counter came out NaN and an empty clock descended {constructor: 3}.
  t.notOk(descends({}, { constructor: 3 }), 'an empty clock has not seen constructor:3');
  t.notOk(clocksEqual({}, { toString: 1 }));
  t.equal(counterOf({}, 'constructor'), 0);
  t.equal(counterOf({}, 'hasOwnProperty'), 0);
  t.notOk(covers({}, { node: 'valueOf', counter: 1 }));
  const proto = clockOf([['__proto__', 2]]);
  t.same(Object.keys(joinClocks({}, proto)), ['__proto__'], 'join keeps a __proto__ entry from a context');
  t.equal(clockToText(proto), '{"__proto__":2}');
  const c: VersionVector = {};
  setCounter(c, '__proto__', 4);
  setCounter(c, 'constructor', 5);
  t.equal(Object.getPrototypeOf(c), Object.prototype, 'the prototype is untouched');
  t.same(Object.keys(c), ['__proto__', 'constructor']);
  t.equal(counterOf(c, '__proto__'), 4);
});
