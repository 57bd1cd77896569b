import t from 'tap';
import { createHash } from 'node:crypto';
import { RING_SIZE } from '../../src/core/hash.js';
import { buildTokenTable, compareIds, nodeTokens, vnodeToken } from '../../src/ring/tokens.js';
import { TokenLookup } from '../../src/ring/lookup.js';
import { SeededRng } from '../../src/core/rng.js';
import { fixedTokens, member, MAX_HASH, referenceOwnerIndex } from './helpers.js';

t.test('a vnode token is the MD5 ring position of "<id>#<index>"', async (t) => {
  const md5 = createHash('md5').update('n1#3').digest();
  t.equal(vnodeToken('n1', 3), md5.readBigUInt64BE(0));
  t.not(vnodeToken('n1', 3), vnodeToken('n1', 4));
  t.not(vnodeToken('n1', 0), vnodeToken('n2', 0));
  t.same(nodeTokens('n1', 3), [vnodeToken('n1', 0), vnodeToken('n1', 1), vnodeToken('n1', 2)]);
});

t.test('the table is sorted, deduplicated, and lists owners in id order', async (t) => {
  const table = buildTokenTable([member('b', 'r1', 64), member('a', 'r2', 64), member('c', 'r1', 64)], vnodeToken);
  t.same(table.nodes, ['a', 'b', 'c']);
  t.equal(table.tokens.length, 192);
  for (let i = 1; i < table.tokens.length; i++) t.ok(table.tokens[i - 1]! < table.tokens[i]!, `token ${i} ascends`);
  t.equal(table.rackCount, 2);
  t.equal(table.rackOf[1], table.rackOf[2], 'b and c share r1');
  t.not(table.rackOf[0], table.rackOf[1]);
  const counts = [0, 0, 0];
  for (const k of table.nodeAt) counts[k]!++;
  t.same(counts, [64, 64, 64]);
});

t.test('a rack is identified together with its data centre', async (t) => {
  const table = buildTokenTable([member('a', 'r1', 1, 'normal', 'dc1'), member('b', 'r1', 1, 'normal', 'dc2')], vnodeToken);
  t.equal(table.rackCount, 2);
});

t.test('a token drawn by two nodes goes to the lowest id, whatever the member order', async (t) => {
  const tokenOf = fixedTokens({ x: [10n, 20n], b: [20n, 30n], a: [30n, 40n] });
  for (const order of [['x', 'b', 'a'], ['a', 'x', 'b'], ['b', 'a', 'x']]) {
    const table = buildTokenTable(order.map((id) => member(id)).map((m) => ({ ...m, vnodes: 2 })), tokenOf);
    t.same(Array.from(table.tokens), [10n, 20n, 30n, 40n]);
    t.same(Array.from(table.nodeAt, (k) => table.nodes[k]), ['x', 'b', 'a', 'a']);
  }
});

t.test('a node whose every token collides with a lower id owns nothing', async (t) => {
  const tokenOf = fixedTokens({ a: [5n, 6n], z: [6n, 5n], m: [7n, 7n] });
  const table = buildTokenTable([member('a', 'r1', 2), member('z', 'r2', 2), member('m', 'r3', 2)], tokenOf);
  t.same(table.nodes, ['a', 'm'], 'z lost both tokens; m kept one of its two equal tokens');
  t.same(Array.from(table.tokens), [5n, 6n, 7n]);
  t.equal(table.rackCount, 2, 'the rack of a node without tokens does not count');
  t.same(Array.from(table.nodeAt), [0, 0, 1]);
});

t.test('tokens outside the ring are refused', async (t) => {
  t.throws(() => buildTokenTable([member('a', 'r1', 1)], () => RING_SIZE), { code: 'ERR' });
  t.throws(() => buildTokenTable([member('a', 'r1', 1)], () => -1n), { code: 'ERR' });
});

t.test('ids compare by code unit, not locale', async (t) => {
  t.ok(compareIds('B', 'a') < 0);
  t.ok(compareIds('a', 'B') > 0);
  t.equal(compareIds('a', 'a'), 0);
});

t.test('the bucketed lookup agrees with a plain binary search', async (t) => {
  const rng = new SeededRng(7);
  const random = (): bigint => rng.bytes(8).readBigUInt64BE(0);
  const layouts: bigint[][] = [
    [42n],
    [0n],
    [MAX_HASH],
    [0n, 1n, 2n, MAX_HASH - 1n, MAX_HASH],
    // Neighbours closer than a double can tell apart.
    [1n << 63n, (1n << 63n) + 1n, (1n << 63n) + 2n, (1n << 63n) + 2048n],
    Array.from({ length: 3000 }, random),
  ];
  for (const raw of layouts) {
    const tokens = [...new Set(raw)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const lookup = new TokenLookup(BigUint64Array.from(tokens));
    const probes = [0n, MAX_HASH, ...Array.from({ length: 2000 }, random)];
    for (const tk of tokens) for (const d of [-1n, 0n, 1n]) if (tk + d >= 0n && tk + d <= MAX_HASH) probes.push(tk + d);
    let mismatches = 0;
    for (const h of probes) if (lookup.ownerIndex(h) !== referenceOwnerIndex(tokens, h)) mismatches++;
    t.equal(mismatches, 0, `${tokens.length} tokens, ${probes.length} probes`);
  }
});

t.test('the lookup refuses positions outside the ring', async (t) => {
  const lookup = new TokenLookup(BigUint64Array.from([5n]));
  t.throws(() => lookup.ownerIndex(-1n), { code: 'ERR' });
  t.throws(() => lookup.ownerIndex(RING_SIZE * 2n), { code: 'ERR' });
});
