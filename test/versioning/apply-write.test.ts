import fc from 'fast-check';
import t from 'tap';
import { clockToText, counterOf, covers, descends, joinClocks } from '../../src/versioning/clock.js';
import { applyWrite, emptyObject } from '../../src/versioning/object.js';
import type { VersionVector, VersionedObject } from '../../src/versioning/types.js';
import { clockArb, holds, onlyQkvErrors, isCanonical, nodeIdArb, sameDot } from './helpers.js';
import { historyArb, runHistory } from './history.js';

const RUNS = 300;

/** A version from a history, a context (another version's clock, or any clock at all) and a coordinator. */
const writeCaseArb = fc.record({
  h: historyArb(20),
  local: fc.nat(),
  context: fc.oneof(
    fc.record({ from: fc.nat() }),
    fc.record({ any: clockArb }),
    fc.constant({ blind: true }),
  ),
  node: fc.oneof(nodeIdArb, fc.constantFrom('a', 'b')),
  tombstone: fc.boolean(),
});

type WriteCase = typeof writeCaseArb extends fc.Arbitrary<infer T> ? T : never;

function setUp(c: WriteCase): {
  local: VersionedObject;
  context: VersionVector;
} {
  const { states } = runHistory(c.h.nodes, c.h.steps);
  const local = states[c.local % states.length]!;
  const context = 'from' in c.context ? states[c.context.from % states.length]!.clock : 'any' in c.context ? c.context.any : {};
  return { local, context };
}

/** applyWrite, or undefined where it refuses (a context at the last safe counter; the first property checks when). */
function write(local: VersionedObject, context: VersionVector, node: string): VersionedObject | undefined {
  return onlyQkvErrors(() => applyWrite(local, context, node, { value: Buffer.from('v'), tombstone: false, expireAt: 0, ts: 1 }));
}

t.test('applyWrite issues a new dot and supersedes exactly what the context covers', async (t) => {
  holds(
    t,
    'the new dot is covered by neither the local clock nor the context, and is the next counter',
    fc.property(writeCaseArb, (c) => {
      const { local, context } = setUp(c);
      const next = onlyQkvErrors(() => applyWrite(local, context, c.node, { value: Buffer.from('v'), tombstone: c.tombstone, expireAt: 0, ts: 7 }));
      // Refused only when the counter would pass 2^53 - 1, where +1 stops counting.
      if (!next) return counterOf(context, c.node) === Number.MAX_SAFE_INTEGER;
      const added = next.siblings.filter((s) => !local.siblings.includes(s));
      if (added.length !== 1) return false;
      const dot = added[0]!.dot;
      return (
        dot.node === c.node &&
        Number.isSafeInteger(dot.counter) &&
        !covers(local.clock, dot) &&
        !covers(context, dot) &&
        dot.counter === Math.max(counterOf(local.clock, c.node), counterOf(context, c.node)) + 1 &&
        added[0]!.tombstone === c.tombstone &&
        added[0]!.ts === 7
      );
    }),
    RUNS,
  );
  holds(
    t,
    'a local sibling stays if and only if the context does not cover it',
    fc.property(writeCaseArb, (c) => {
      const { local, context } = setUp(c);
      const next = write(local, context, c.node);
      if (!next) return true;
      return local.siblings.every((s) => next.siblings.includes(s) === !covers(context, s.dot));
    }),
    RUNS,
  );
  holds(
    t,
    'the new clock is the join of the local clock and the context, plus the new dot; siblings in canonical order',
    fc.property(writeCaseArb, (c) => {
      const { local, context } = setUp(c);
      const next = write(local, context, c.node);
      if (!next) return true;
      const expected = { ...joinClocks(local.clock, context) };
      Object.defineProperty(expected, c.node, { value: counterOf(next.clock, c.node), enumerable: true, writable: true, configurable: true });
      return (
        clockToText(next.clock) === clockToText(expected) &&
        descends(next.clock, local.clock) &&
        descends(next.clock, context) &&
        next.siblings.every((s) => covers(next.clock, s.dot)) &&
        isCanonical(next)
      );
    }),
    RUNS,
  );
  holds(
    t,
    'the local version and the context are left as they were',
    fc.property(writeCaseArb, (c) => {
      const { local, context } = setUp(c);
      const before = [clockToText(local.clock), local.siblings.length, clockToText(context)];
      write(local, context, c.node);
      return before[0] === clockToText(local.clock) && before[1] === local.siblings.length && before[2] === clockToText(context);
    }),
    RUNS,
  );
});

t.test('examples', async (t) => {
  const p = { value: Buffer.from('v'), tombstone: false, expireAt: 0, ts: 1 };
  const first = applyWrite(undefined, {}, 'constructor', p);
  t.same(first.siblings[0]!.dot, { node: 'constructor', counter: 1 }, "a node called 'constructor' counts from 1 (it used to get NaN)");
  t.same(applyWrite(emptyObject(), { a: 4 }, 'a', p).siblings[0]!.dot, { node: 'a', counter: 5 }, 'a context ahead of the local copy moves the counter past it');
  t.throws(() => applyWrite(emptyObject(), { a: Number.MAX_SAFE_INTEGER }, 'a', p), { code: 'ERR' }, 'no counter past 2^53 - 1: +1 would issue the same dot again');
  t.equal(applyWrite(emptyObject(), { a: Number.MAX_SAFE_INTEGER }, 'b', p).clock.a, Number.MAX_SAFE_INTEGER, "another node's entry is only carried");
  const two = applyWrite(applyWrite(undefined, {}, 'a', p), {}, 'b', p);
  const partial = applyWrite(two, { b: 1 }, 'a', p);
  t.same(
    partial.siblings.map((s) => `${s.dot.node}${s.dot.counter}`),
    ['a1', 'a2'],
    'a context covering only b1 supersedes only b1',
  );
  t.ok(partial.siblings.some((s) => sameDot(s.dot, { node: 'a', counter: 1 })));
});
