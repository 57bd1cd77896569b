import fc from 'fast-check';
import t from 'tap';
import { isDeadObject, isExpired, liveSiblings, newestSibling, visibleSibling } from '../../src/versioning/object.js';
import type { Sibling, VersionedObject } from '../../src/versioning/types.js';
import { holds, permutation, sameDot } from './helpers.js';

const RUNS = 400;

/** Siblings with distinct dots and few distinct timestamps, node ids and counters, so ties are common. */
const siblingsArb: fc.Arbitrary<Sibling[]> = fc
  .uniqueArray(
    fc.record({
      dot: fc.record({ node: fc.constantFrom('a', 'b', 'B', 'node-10', 'node-9', 'constructor'), counter: fc.integer({ min: 1, max: 3 }) }),
      ts: fc.integer({ min: 0, max: 3 }),
      tombstone: fc.boolean(),
      expireAt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 6 })),
      value: fc.constant(Buffer.from('v')),
    }),
    { selector: (s) => `${s.dot.node}/${s.dot.counter}`, maxLength: 6 },
  );

const obj = (siblings: readonly Sibling[]): VersionedObject => ({ clock: {}, siblings });

/** The reference order: timestamp, then node id, then counter; the greatest is the newest. */
function newer(a: Sibling, b: Sibling): boolean {
  if (a.ts !== b.ts) return a.ts > b.ts;
  if (a.dot.node !== b.dot.node) return a.dot.node > b.dot.node;
  return a.dot.counter > b.dot.counter;
}

t.test('newestSibling: timestamp, then node id, then counter, whatever the sibling order', async (t) => {
  holds(
    t,
    'the newest is newer than every other sibling, in every order',
    fc.property(siblingsArb, fc.array(fc.nat(), { maxLength: 6 }), (siblings, keys) => {
      const best = newestSibling(obj(siblings));
      if (siblings.length === 0) return best === undefined;
      const shuffled = permutation(siblings.length, keys).map((i) => siblings[i]!);
      const again = newestSibling(obj(shuffled));
      return best !== undefined && again !== undefined && sameDot(best.dot, again.dot) && siblings.every((s) => s === best || newer(best, s));
    }),
    RUNS,
  );
  const s = (node: string, counter: number, ts: number): Sibling => ({ dot: { node, counter }, ts, tombstone: false, expireAt: 0, value: Buffer.from(`${node}${counter}`) });
  t.equal(newestSibling(obj([s('b', 1, 2), s('a', 5, 1)]))?.dot.node, 'b', 'the later timestamp wins');
  t.equal(newestSibling(obj([s('b', 1, 1), s('a', 5, 1)]))?.dot.node, 'b', 'then the greater node id');
  t.equal(newestSibling(obj([s('a', 2, 1), s('a', 3, 1), s('a', 1, 1)]))?.dot.counter, 3, 'then the greater counter');
  t.equal(newestSibling(undefined), undefined);
  t.equal(newestSibling(obj([])), undefined);
});

t.test('visibleSibling, liveSiblings and isDeadObject agree on tombstones and expiry', async (t) => {
  holds(
    t,
    'visible is the newest unless it is a tombstone or expired; live are the others; dead means none live',
    fc.property(siblingsArb, fc.integer({ min: 0, max: 7 }), (siblings, now) => {
      const o = obj(siblings);
      const best = newestSibling(o);
      const visible = visibleSibling(o, now);
      const live = liveSiblings(o, now);
      const expectedLive = siblings.filter((x) => !x.tombstone && !(x.expireAt !== 0 && x.expireAt <= now));
      return (
        visible === (best && !best.tombstone && !isExpired(best, now) ? best : undefined) &&
        (visible === undefined || live.includes(visible)) &&
        live.length === expectedLive.length &&
        live.every((x, i) => x === expectedLive[i]) &&
        isDeadObject(o, now) === (live.length === 0)
      );
    }),
    RUNS,
  );
  const v = (node: string, ts: number, extra: Partial<Sibling> = {}): Sibling => ({
    dot: { node, counter: 1 },
    ts,
    tombstone: false,
    expireAt: 0,
    value: Buffer.from(node),
    ...extra,
  });
  const deleted = obj([v('a', 1), v('b', 2, { tombstone: true })]);
  t.equal(visibleSibling(deleted, 0), undefined, 'a newer concurrent delete hides the older value from GET');
  t.same(liveSiblings(deleted, 0).map((x) => x.value.toString()), ['a'], 'but QGET still lists it');
  t.notOk(isDeadObject(deleted, 0));
  const expiring = obj([v('a', 1), v('b', 2, { expireAt: 10 })]);
  t.equal(visibleSibling(expiring, 9)?.value.toString(), 'b', 'alive until its expiry');
  t.equal(visibleSibling(expiring, 10), undefined, 'expired at exactly expireAt');
  t.same(liveSiblings(expiring, 10).map((x) => x.value.toString()), ['a']);
  t.notOk(isExpired(v('a', 1), Number.MAX_SAFE_INTEGER), 'expireAt 0 never expires');
  t.ok(isDeadObject(obj([v('a', 1, { tombstone: true }), v('b', 1, { expireAt: 3 })]), 3));
  t.same(liveSiblings(undefined, 0), []);
  t.equal(visibleSibling(undefined, 0), undefined);
});
