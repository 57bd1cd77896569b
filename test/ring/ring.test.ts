import t from 'tap';
import { isQkvError } from '../../src/core/errors.js';
import { RING_SIZE } from '../../src/core/hash.js';
import { Ring } from '../../src/ring/index.js';
import { fixedTokens, member, MAX_HASH } from './helpers.js';

const Q = RING_SIZE / 4n;
// a owns [3Q, 2^64) and [0, Q); b owns [Q, 2Q); c owns [2Q, 3Q).
const abc = (): Ring =>
  Ring.build([member('a', 'r1', 1), member('b', 'r2', 1), member('c', 'r3', 1)], {
    tokenOf: fixedTokens({ a: [Q], b: [2n * Q], c: [3n * Q] }),
  });

t.test('a hash belongs to the first token strictly greater than it, wrapping past the last', async (t) => {
  const ring = abc();
  t.same(ring.preferenceList(0n, 1), ['a']);
  t.same(ring.preferenceList(Q - 1n, 1), ['a']);
  t.same(ring.preferenceList(Q, 1), ['b'], 'a token itself belongs to the next range');
  t.same(ring.preferenceList(2n * Q, 1), ['c']);
  t.same(ring.preferenceList(3n * Q, 1), ['a'], 'past the last token wraps to the first');
  t.same(ring.preferenceList(MAX_HASH, 1), ['a']);
  t.same(ring.preferenceList(Q + 5n, 2), ['b', 'c']);
  t.same(ring.preferenceList(3n * Q + 5n, 3), ['a', 'b', 'c']);
  t.same(ring.preferenceList(2n * Q + 5n, 3), ['c', 'a', 'b']);
  t.same(ring.preferenceList(5n, 7), ['a', 'b', 'c'], 'all owners when there are fewer than n');
  t.throws(() => ring.preferenceList(-1n, 1), { code: 'ERR' });
});

t.test('lists are computed once per range and shared', async (t) => {
  const ring = abc();
  const first = ring.preferenceList(Q + 1n, 2);
  t.equal(ring.preferenceList(2n * Q - 1n, 2), first, 'same range, same array');
  t.not(ring.preferenceList(2n * Q, 2), first);
});

t.test('replica counts must be positive integers', async (t) => {
  const ring = abc();
  for (const n of [0, -1, 1.5, NaN]) {
    t.throws(() => ring.preferenceList(0n, n), { code: 'ERR' }, `n=${n}`);
    t.throws(() => ring.ranges(n), { code: 'ERR' });
    t.throws(() => ring.fallbacks(0n, n, () => true), { code: 'ERR' });
    t.throws(() => ring.ownership('a', n), { code: 'ERR' });
    t.throws(() => Ring.build([]).preferenceList(0n, n), { code: 'ERR' });
  }
});

t.test('malformed member lists are refused', async (t) => {
  try {
    Ring.build([member('a'), member('a')]);
    t.fail('a duplicate id was accepted');
  } catch (e) {
    t.ok(isQkvError(e), 'a QkvError, so it reaches a client as an error reply');
    t.match(isQkvError(e) && e.toReplyText(), /^ERR duplicate ring member 'a'$/);
  }
  t.throws(() => Ring.build([member('a'), member('a')]), { code: 'ERR', message: /duplicate/ });
  t.throws(() => Ring.build([member('a#1')]), { code: 'ERR', message: /invalid/ });
  t.throws(() => Ring.build([member('')]), { code: 'ERR' });
  for (const vnodes of [0, 1.5, 5000]) t.throws(() => Ring.build([member('a', 'r1', vnodes)]), { code: 'ERR' }, `vnodes ${vnodes}`);
  const bad = { ...member('a'), state: 'gone' } as unknown as Parameters<typeof Ring.build>[0][number];
  t.throws(() => Ring.build([bad]), { code: 'ERR', message: /state/ });
});

t.test('members are copied and sorted', async (t) => {
  const input = [member('b'), member('a')];
  const ring = Ring.build(input);
  t.same(ring.members.map((m) => m.id), ['a', 'b']);
  input[0] = member('zz');
  t.equal(ring.member('b')?.id, 'b');
  t.equal(ring.member('zz'), undefined);
  t.ok(Object.isFrozen(ring.members[0]), 'member records cannot change under the ring');
  t.equal(ring.tokenCount, 16);
});

t.test('a ring that nothing owns', async (t) => {
  for (const ring of [Ring.build([]), Ring.build([member('a', 'r1', 4, 'joining')])]) {
    t.same(ring.owners, []);
    t.equal(ring.tokenCount, 0);
    t.same(ring.preferenceList(123n, 3), []);
    t.same(ring.fallbacks(123n, 3, () => true), []);
    t.same(ring.ranges(3), [{ start: 0n, end: RING_SIZE, owners: [] }]);
    t.same(ring.ownership('a', 3), { primary: 0, replica: 0 });
  }
});

t.test('joining members own nothing now but appear in the pending ring', async (t) => {
  const tokenOf = fixedTokens({ a: [Q], b: [2n * Q], c: [3n * Q], j: [Q + 100n] });
  const ring = Ring.build([member('a', 'r1', 1), member('b', 'r2', 1), member('c', 'r3', 1), member('j', 'r4', 1, 'joining')], {
    tokenOf,
  });
  t.same(ring.owners, ['a', 'b', 'c']);
  t.ok(ring.hasPendingChanges);
  t.same(ring.preferenceList(Q + 5n, 2), ['b', 'c']);
  t.same(ring.pendingPreferenceList(Q + 5n, 2), ['j', 'b']);
  t.same(ring.writeTargets(Q + 5n, 2), ['b', 'c', 'j'], 'old owners first, then the new one');
  t.same(ring.writeTargets(Q + 200n, 2), ['b', 'c'], 'beyond the joiner nothing changes');
  const pending = ring.pending();
  t.equal(ring.pending(), pending, 'built once');
  t.same(pending.owners, ['a', 'b', 'c', 'j']);
  t.equal(pending.member('j')?.state, 'normal');
  t.notOk(pending.hasPendingChanges);
  t.equal(pending.pending(), pending);
});

t.test('leaving members still own ranges but are gone from the pending ring', async (t) => {
  const ring = Ring.build([member('a', 'r1', 1), member('b', 'r2', 1, 'leaving'), member('c', 'r3', 1)], {
    tokenOf: fixedTokens({ a: [Q], b: [2n * Q], c: [3n * Q] }),
  });
  t.same(ring.owners, ['a', 'b', 'c']);
  t.same(ring.preferenceList(Q + 5n, 2), ['b', 'c']);
  t.same(ring.pendingPreferenceList(Q + 5n, 2), ['c', 'a']);
  t.same(ring.writeTargets(Q + 5n, 2), ['b', 'c', 'a']);
  t.same(ring.pending().members.map((m) => m.id), ['a', 'c']);
});

t.test('with nothing pending the pending ring is the ring itself', async (t) => {
  const ring = abc();
  t.notOk(ring.hasPendingChanges);
  t.equal(ring.pending(), ring);
  t.equal(ring.writeTargets(5n, 2), ring.preferenceList(5n, 2));
});

t.test('fallbacks are the owners after the first n, in order, that are up', async (t) => {
  const ring = Ring.build(['a', 'b', 'c', 'd', 'e'].map((id) => member(id, `r-${id}`, 1)), {
    tokenOf: fixedTokens({ a: [10n], b: [20n], c: [30n], d: [40n], e: [50n] }),
  });
  t.same(ring.preferenceList(15n, 2), ['b', 'c']);
  t.same(ring.fallbacks(15n, 2, () => true), ['d', 'e', 'a']);
  t.same(ring.fallbacks(15n, 2, (id) => id !== 'e'), ['d', 'a']);
  t.same(ring.fallbacks(15n, 5, () => true), []);
  t.same(ring.fallbacks(15n, 9, () => true), []);
});

t.test('replicas prefer distinct racks, then fill with distinct nodes', async (t) => {
  // Clockwise from 0: a1 a2 b1 a3 b2 c1 (rack = first letter).
  const ids = ['a1', 'a2', 'b1', 'a3', 'b2', 'c1'];
  const tokenOf = fixedTokens(Object.fromEntries(ids.map((id, i) => [id, [BigInt(i + 1) * 100n]])));
  const ring = Ring.build(ids.map((id) => member(id, id[0], 1)), { tokenOf });
  t.same(ring.preferenceList(0n, 3), ['a1', 'b1', 'c1'], 'three racks: one replica on each');
  t.same(ring.preferenceList(0n, 4), ['a1', 'b1', 'c1', 'a2'], 'then the others in ring order');
  t.same(ring.preferenceList(0n, 6), ['a1', 'b1', 'c1', 'a2', 'a3', 'b2']);
  t.same(ring.preferenceList(450n, 2), ['b2', 'c1']);
  // Two racks and n = 3: both racks first, the rest in ring order.
  const two = Ring.build(ids.slice(0, 5).map((id) => member(id, id[0], 1)), { tokenOf });
  t.same(two.preferenceList(0n, 3), ['a1', 'b1', 'a2']);
  t.same(two.preferenceList(250n, 3), ['b1', 'a3', 'b2']);
  t.same(two.preferenceList(350n, 3), ['a3', 'b2', 'a1']);
  // The same rack name in another data centre is another rack.
  const dcs = Ring.build([member('a1', 'r', 1, 'normal', 'x'), member('a2', 'r', 1, 'normal', 'x'), member('b1', 'r', 1, 'normal', 'y')], {
    tokenOf,
  });
  t.same(dcs.preferenceList(0n, 2), ['a1', 'b1']);
});

t.test('ranges cover the ring once, split at zero, and carry their owners', async (t) => {
  const ring = abc();
  t.same(ring.ranges(2), [
    { start: 0n, end: Q, owners: ['a', 'b'] },
    { start: Q, end: 2n * Q, owners: ['b', 'c'] },
    { start: 2n * Q, end: 3n * Q, owners: ['c', 'a'] },
    { start: 3n * Q, end: RING_SIZE, owners: ['a', 'b'] },
  ]);
  t.same(
    ring.rangesOf('a', 2).map((r) => [r.start, r.end]),
    [
      [0n, Q],
      [2n * Q, 3n * Q],
      [3n * Q, RING_SIZE],
    ],
  );
  t.same(ring.rangesOf('zz', 2), []);
  const atZero = Ring.build([member('a', 'r1', 1), member('b', 'r1', 1)], { tokenOf: fixedTokens({ a: [0n], b: [Q] }) });
  t.same(atZero.ranges(1), [
    { start: 0n, end: Q, owners: ['b'] },
    { start: Q, end: RING_SIZE, owners: ['a'] },
  ], 'no empty range before a token at 0');
  const single = Ring.build([member('a', 'r1', 1)], { tokenOf: () => Q });
  t.same(single.ranges(3), [
    { start: 0n, end: Q, owners: ['a'] },
    { start: Q, end: RING_SIZE, owners: ['a'] },
  ]);
});

t.test('ownership is the share of the ring a node is first for, or a replica of', async (t) => {
  const ring = abc();
  t.same(ring.ownership('a', 1), { primary: 0.5, replica: 0.5 });
  t.same(ring.ownership('b', 2), { primary: 0.25, replica: 0.75 });
  t.same(ring.ownership('c', 2), { primary: 0.25, replica: 0.5 });
  t.same(ring.ownership('a', 3), { primary: 0.5, replica: 1 });
  t.same(ring.ownership('nobody', 2), { primary: 0, replica: 0 });
  t.same(Ring.build([member('a', 'r1', 3)]).ownership('a', 1), { primary: 1, replica: 1 });
  const big = Ring.build(Array.from({ length: 8 }, (_, i) => member(`n${i}`, 'r1', 64)));
  const sum = big.owners.reduce((s, id) => s + big.ownership(id, 3).primary, 0);
  t.ok(Math.abs(sum - 1) < 1e-9, `primary shares sum to 1 (${sum})`);
  const replicas = big.owners.reduce((s, id) => s + big.ownership(id, 3).replica, 0);
  t.ok(Math.abs(replicas - 3) < 1e-9, `replica shares sum to n (${replicas})`);
});
