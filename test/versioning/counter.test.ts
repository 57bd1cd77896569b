import fc from 'fast-check';
import t from 'tap';
import { decodeObject, encodeObject } from '../../src/versioning/codec.js';
import {
  NO_ORIGIN,
  addToCounter,
  counterTotal,
  decodeCounter,
  encodeCounter,
  mergeCounters,
  newCounter,
  type CounterState,
} from '../../src/versioning/counter.js';
import { counterIncrement, counterValue } from '../../src/versioning/counter-view.js';
import { applyWrite, liveSiblings, mergeObjects, visibleSibling } from '../../src/versioning/object.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { holds } from './helpers.js';

const RUNS = 300;

const originArb = fc.constantFrom(NO_ORIGIN, { ts: 5, node: 'a', counter: 1 }, { ts: 5, node: 'b', counter: 1 }, { ts: 9, node: 'a', counter: 2 });

/** States on a few origins and actors, so merges meet equal origins and shared actors often. */
const stateArb: fc.Arbitrary<CounterState> = fc
  .record({
    origin: originArb,
    base: fc.bigInt({ min: -100n, max: 100n }),
    entries: fc.array(fc.tuple(fc.constantFrom('a~1', 'b~1', 'c~1', 'a~2'), fc.bigInt({ min: 0n, max: 50n }), fc.bigInt({ min: 0n, max: 50n })), { maxLength: 4 }),
  })
  .map(({ origin, base, entries }) => ({ origin, base, entries: new Map(entries.map(([actor, inc, dec]) => [actor, { inc, dec }])) }));

const hex = (s: CounterState): string => encodeCounter(s).toString('hex');

t.test('mergeCounters: commutative, associative, idempotent, byte for byte', async (t) => {
  holds(t, 'commutative', fc.property(stateArb, stateArb, (a, b) => hex(mergeCounters(a, b)) === hex(mergeCounters(b, a))), RUNS);
  holds(
    t,
    'associative',
    fc.property(stateArb, stateArb, stateArb, (a, b, c) => hex(mergeCounters(mergeCounters(a, b), c)) === hex(mergeCounters(a, mergeCounters(b, c)))),
    RUNS,
  );
  holds(t, 'idempotent', fc.property(stateArb, stateArb, (a, b) => hex(mergeCounters(a, a)) === hex(a) && hex(mergeCounters(mergeCounters(a, b), b)) === hex(mergeCounters(a, b))), RUNS);
  holds(
    t,
    'on one origin, no count of either side is lost',
    fc.property(stateArb, stateArb, (a, b) => {
      const m = mergeCounters(a, { ...b, origin: a.origin, base: a.base });
      return [a, b].every((s) => [...s.entries].every(([actor, e]) => m.entries.get(actor)!.inc >= e.inc && m.entries.get(actor)!.dec >= e.dec));
    }),
    RUNS,
  );
  holds(t, 'the codec carries every state', fc.property(stateArb, (a) => hex(decodeCounter(encodeCounter(a))) === hex(a)), RUNS);
});

/** One replica: its copy of the key and the actor it writes under. */
interface Replica {
  obj: VersionedObject | undefined;
  readonly actor: string;
}

function increment(r: Replica, delta: bigint, now = 1000): void {
  const inc = counterIncrement(r.obj, r.actor, delta, now);
  if ('refused' in inc) throw new Error(inc.refused);
  r.obj = applyWrite(r.obj, r.obj?.clock ?? {}, r.actor, { ...inc.payload, ts: now });
}

function sync(a: Replica, b: Replica): void {
  const m = a.obj && b.obj ? mergeObjects(a.obj, b.obj) : (a.obj ?? b.obj);
  a.obj = m;
  b.obj = m;
}

const stepsArb = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('incr' as const), at: fc.nat({ max: 2 }), delta: fc.bigInt({ min: -5n, max: 9n }) }),
    fc.record({ kind: fc.constant('sync' as const), at: fc.nat({ max: 2 }), with: fc.nat({ max: 2 }) }),
  ),
  { maxLength: 40 },
);

t.test('increments through three replicas at once: the converged total is the sum of every increment', async (t) => {
  holds(
    t,
    'no increment is lost, whatever the order of increments and merges',
    fc.property(stepsArb, fc.nat(), (steps, order) => {
      const replicas: Replica[] = ['a', 'b', 'c'].map((actor) => ({ obj: undefined, actor }));
      let sum = 0n;
      for (const s of steps) {
        if (s.kind === 'incr') {
          increment(replicas[s.at]!, s.delta);
          sum += s.delta;
        } else {
          sync(replicas[s.at]!, replicas[s.with]!);
        }
      }
      // Converge in some order: the result must not depend on it.
      const rotated = [...replicas.slice(order % 3), ...replicas.slice(0, order % 3)];
      sync(rotated[0]!, rotated[1]!);
      sync(rotated[1]!, rotated[2]!);
      sync(rotated[0]!, rotated[1]!);
      const total = replicas[0]!.obj ? counterValue(replicas[0]!.obj) : 0n;
      const shown = replicas[0]!.obj ? visibleSibling(replicas[0]!.obj, 1000)?.value.toString() : undefined;
      return total === sum && (steps.every((s) => s.kind === 'sync') || shown === sum.toString());
    }),
    RUNS,
  );
});

function plainSet(r: Replica, value: string, ts: number): void {
  r.obj = applyWrite(r.obj, r.obj?.clock ?? {}, r.actor, { value: Buffer.from(value), tombstone: false, expireAt: 0, ts });
}

function read(r: Replica, now = 1000): string | undefined {
  return r.obj ? visibleSibling(r.obj, now)?.value.toString() : undefined;
}

t.test('SET, DEL and expiry against counters', async (t) => {
  const [a, b, c] = ['a', 'b', 'c'].map((actor): Replica => ({ obj: undefined, actor }));
  plainSet(a!, '10', 100);
  sync(a!, b!);
  increment(a!, 1n);
  increment(b!, 2n);
  sync(a!, b!);
  t.equal(read(a!), '13', 'concurrent increments on one SET both count');

  // A SET after the counter wins over everything it saw.
  plainSet(a!, '5', 200);
  sync(a!, b!);
  t.equal(read(b!), '5');
  increment(b!, 1n);
  t.equal(read(b!), '6', 'a counter starts again from the SET');

  // A SET concurrent with increments that did not see it: the newer origin (the SET) wins.
  sync(b!, c!);
  increment(c!, 100n);
  plainSet(a!, '7', 300);
  sync(a!, c!);
  t.equal(read(a!), '7', 'a newer SET wins over concurrent increments built on an older value');
  t.equal(liveSiblings(a!.obj, 1000).length, 2, 'the increment is kept as a sibling (QGET shows it)');

  // A delete concurrent with an increment on an older origin wins the same way.
  const [d, e] = ['d', 'e'].map((actor): Replica => ({ obj: undefined, actor }));
  increment(d!, 4n);
  sync(d!, e!);
  increment(e!, 1n);
  d!.obj = applyWrite(d!.obj, d!.obj!.clock, 'd', { value: Buffer.alloc(0), tombstone: true, expireAt: 0, ts: 500 });
  sync(d!, e!);
  t.equal(read(d!), undefined, 'a delete wins over increments that did not see it');
  increment(d!, 3n);
  increment(e!, 2n);
  sync(d!, e!);
  t.equal(read(d!), '5', 'increments after the delete start from 0 and, sharing its origin, all count');

  // Expiry: an expired counter reads as absent, and the next increment starts from 0 after it.
  const [f, g] = ['f', 'g'].map((actor): Replica => ({ obj: undefined, actor }));
  increment(f!, 9n);
  const ttl = counterIncrement(f!.obj, 'f', 0n, 1000);
  if ('refused' in ttl) throw new Error('refused');
  f!.obj = applyWrite(f!.obj, f!.obj!.clock, 'f', { ...ttl.payload, expireAt: 2000, ts: 1000 });
  t.equal(read(f!, 1500), '9');
  increment(f!, 1n, 1600);
  t.equal(f!.obj!.siblings[0]!.expireAt, 2000, 'an increment keeps the expiry');
  t.equal(read(f!, 2000), undefined, 'expired');
  sync(f!, g!);
  increment(f!, 1n, 2100);
  increment(g!, 1n, 2100);
  sync(f!, g!);
  t.equal(read(f!, 2200), '2', 'concurrent first increments after the expiry both count, from 0');
  t.equal(f!.obj!.siblings.every((s) => s.expireAt === 0), true, 'and carry no expiry');
});

t.test('refusals, the codec and QGET', async (t) => {
  const r: Replica = { obj: undefined, actor: 'a' };
  plainSet(r, 'abc', 1);
  t.same(counterIncrement(r.obj, 'a', 1n, 10), { refused: 'not-an-integer' });
  plainSet(r, '9223372036854775807', 2);
  t.same(counterIncrement(r.obj, 'a', 1n, 10), { refused: 'overflow' });
  t.same(counterIncrement(r.obj, 'a', -1n, 10).hasOwnProperty('payload'), true);
  plainSet(r, '-9223372036854775808', 3);
  t.same(counterIncrement(r.obj, 'a', -1n, 10), { refused: 'overflow' });
  increment(r, 5n);
  const again = decodeObject(encodeObject(r.obj!));
  t.same(again, r.obj, 'a counter sibling round-trips through the record codec');
  t.equal(again.siblings[0]!.counter, true);
  t.equal(liveSiblings(again, 10)[0]!.value.toString(), '-9223372036854775803', 'QGET shows a counter sibling as its total');
  t.throws(() => decodeCounter(Buffer.from([2])), /unknown counter format/);
  const bad = encodeCounter(addToCounter(newCounter(NO_ORIGIN, 0n), 'x', 1n));
  t.throws(() => decodeCounter(Buffer.concat([bad, Buffer.from([0])])), /trailing bytes/);
  t.equal(counterTotal(mergeCounters(addToCounter(newCounter(NO_ORIGIN, 1n), 'x', -3n), addToCounter(newCounter(NO_ORIGIN, 1n), 'x', 2n))), 0n);
  t.equal(counterValue({ clock: {}, siblings: [] }), undefined);
});
