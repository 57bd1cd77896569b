import t from 'tap';
import { RING_SIZE } from '../../src/core/hash.js';
import { Ring, diffRings, type RangeChange } from '../../src/ring/index.js';
import { newNodeId } from '../../src/core/ids.js';
import { SeededRng } from '../../src/core/rng.js';
import { fixedTokens, member, members } from './helpers.js';

const Q = RING_SIZE / 4n;

function share(changes: readonly RangeChange[], pick: (c: RangeChange) => boolean): number {
  const width = changes.filter(pick).reduce((s, c) => s + (c.end - c.start), 0n);
  return Number(width) / Number(RING_SIZE);
}

t.test('a join splits ranges at both rings\' boundaries and names gains and losses', async (t) => {
  const tokenOf = fixedTokens({ a: [Q], b: [2n * Q], c: [3n * Q], j: [Q + 100n] });
  const before = Ring.build([member('a', 'r1', 1), member('b', 'r1', 1), member('c', 'r1', 1)], { tokenOf });
  const after = Ring.build([...before.members, member('j', 'r1', 1)], { tokenOf });
  t.same(diffRings(before, after, 2), [
    // [3Q, 2^64) and [0, Q) list [a, b] in both rings: unchanged.
    { start: Q, end: Q + 100n, before: ['b', 'c'], after: ['j', 'b'], gained: ['j'], lost: ['c'] },
    { start: 3n * Q, end: RING_SIZE, before: ['a', 'b'], after: ['a', 'j'], gained: ['j'], lost: ['b'] },
    { start: 0n, end: Q, before: ['a', 'b'], after: ['a', 'j'], gained: ['j'], lost: ['b'] },
  ].sort((x, y) => (x.start < y.start ? -1 : 1)));
  t.same(diffRings(after, before, 2).map((c) => [c.gained, c.lost]), [
    [['b'], ['j']],
    [['c'], ['j']],
    [['b'], ['j']],
  ], 'the leave is the join reversed');
});

t.test('identical rings, or a change of order alone, move nothing', async (t) => {
  const ring = Ring.build(members(5, 16));
  t.same(diffRings(ring, Ring.build([...ring.members].reverse()), 3), []);
  const ab = Ring.build([member('a', 'r1', 1), member('b', 'r1', 1)], { tokenOf: fixedTokens({ a: [10n], b: [20n] }) });
  const ba = Ring.build([member('a', 'r1', 1), member('b', 'r1', 1)], { tokenOf: fixedTokens({ a: [20n], b: [10n] }) });
  t.not(ab.preferenceList(5n, 2)[0], ba.preferenceList(5n, 2)[0]);
  t.same(diffRings(ab, ba, 2), []);
});

t.test('from an empty ring every replica is gained; to one, every replica is lost', async (t) => {
  const empty = Ring.build([]);
  const ring = Ring.build(members(3, 4));
  const up = diffRings(empty, ring, 2);
  t.same(up.map((c) => c.lost.length), up.map(() => 0));
  t.same(up.map((c) => c.gained), up.map((c) => c.after));
  t.equal(share(up, () => true), 1);
  const down = diffRings(ring, empty, 2);
  t.equal(down.length, up.length);
  t.ok(down.every((c) => c.gained.length === 0 && c.after.length === 0));
});

t.test('a join moves about 1/(k+1) of the ring per replica, only to the new node', async (t) => {
  const rng = new SeededRng(11);
  for (const [k, vnodes] of [
    [4, 256],
    [9, 256],
    [19, 64],
  ] as const) {
    // Generated ids, as real nodes have, all in one rack.
    const before = Ring.build(Array.from({ length: k }, () => member(newNodeId(rng), 'r0', vnodes)));
    const joiner = newNodeId(rng);
    const after = Ring.build([...before.members, member(joiner, 'r0', vnodes)]);
    for (const n of [1, 3]) {
      const changes = diffRings(before, after, n);
      t.ok(changes.every((c) => c.gained.length === 1 && c.gained[0] === joiner && c.lost.length === 1), `k=${k} n=${n}: only the joiner gains`);
      const moved = share(changes, () => true);
      const expected = n / (k + 1);
      const tolerance = vnodes >= 256 ? 0.25 : 0.4;
      t.ok(Math.abs(moved - expected) / expected < tolerance, `k=${k} n=${n}: moved ${moved.toFixed(4)}, expected about ${expected.toFixed(4)}`);
      t.ok(Math.abs(moved - after.ownership(joiner, n).replica) < 1e-9, 'what moves is what the joiner will hold');
    }
  }
});

t.test('with racks of uneven size a join still moves data only to the new node', async (t) => {
  const rng = new SeededRng(12);
  const racked = Array.from({ length: 12 }, (_, i) => member(`n${i}`, `r${rng.int(3)}`, 32));
  const before = Ring.build(racked);
  for (const rack of ['r0', 'r1', 'r9']) {
    const after = Ring.build([...racked, member('joiner', rack, 32)]);
    const changes = diffRings(before, after, 3);
    t.ok(changes.length > 0);
    t.ok(changes.every((c) => c.gained.join() === 'joiner' && c.lost.length === 1), `joiner on ${rack}`);
  }
});
