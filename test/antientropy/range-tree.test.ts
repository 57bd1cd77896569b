import t from 'tap';
import { SeededRng } from '../../src/core/rng.js';
import { RING_SIZE } from '../../src/core/hash.js';
import { RangeTree } from '../../src/antientropy/range-tree.js';
import { TreeSet } from '../../src/antientropy/tree-set.js';
import { keyDigest, keyIdentity, deadSince, versionText } from '../../src/antientropy/version-hash.js';
import type { VersionedObject } from '../../src/versioning/types.js';

function obj(node: string, counter: number, tombstone = false, value = 'v'): VersionedObject {
  return { clock: { [node]: counter }, siblings: [{ dot: { node, counter }, value: Buffer.from(tombstone ? '' : value), ts: 1000 + counter, tombstone, expireAt: 0 }] };
}

function fill(tree: RangeTree, entries: Map<string, VersionedObject>): void {
  for (const [k, o] of entries) {
    const d = keyDigest(Buffer.from(k), o);
    if (tree.contains(d.pos)) tree.set(d, d.digest, d.tombstone);
  }
}

t.test('incremental updates equal a tree built from the final state', async (t) => {
  const rng = new SeededRng(42);
  for (const [start, end] of [
    [0n, RING_SIZE],
    [RING_SIZE / 4n, RING_SIZE / 2n],
  ] as const) {
    const inc = new RangeTree(start, end, 64);
    const state = new Map<string, VersionedObject>();
    for (let i = 0; i < 3000; i++) {
      const key = `k${rng.int(500)}`;
      const id = keyIdentity(Buffer.from(key));
      if (rng.int(4) === 0) {
        state.delete(key);
        if (inc.contains(id.pos)) inc.set(id, null);
      } else {
        const o = obj(`n${rng.int(3)}`, 1 + rng.int(50), rng.int(5) === 0);
        state.set(key, o);
        const d = keyDigest(Buffer.from(key), o);
        if (inc.contains(d.pos)) inc.set(d, d.digest, d.tombstone);
      }
      if (i % 700 === 0) inc.root(); // hash inner nodes midway, so later writes must mark them dirty
    }
    const built = new RangeTree(start, end, 64);
    fill(built, state);
    t.equal(inc.root(), built.root(), `roots equal for [${start}, ${end})`);
    t.equal(inc.size, built.size);
    t.equal(inc.tombstones, built.tombstones);
    for (let leaf = 0; leaf < 64; leaf++) t.same(inc.entries(leaf), built.entries(leaf));
    for (let level = 0; level <= inc.depth; level++) {
      for (let i = 0; i < 1 << level; i++) if (inc.nodeHash(level, i) !== built.nodeHash(level, i)) t.fail(`node ${level}/${i}`);
    }
  }
});

t.test('a changed version changes the root; the same version in any sibling order does not', async (t) => {
  const a: VersionedObject = {
    clock: { x: 2, y: 1 },
    siblings: [
      { dot: { node: 'x', counter: 2 }, value: Buffer.from('a'), ts: 5, tombstone: false, expireAt: 0 },
      { dot: { node: 'y', counter: 1 }, value: Buffer.from('b'), ts: 6, tombstone: false, expireAt: 0 },
    ],
  };
  const b: VersionedObject = { clock: { y: 1, x: 2 }, siblings: [...a.siblings].reverse() };
  t.equal(versionText(a), versionText(b));
  t.equal(keyDigest(Buffer.from('k'), a).digest, keyDigest(Buffer.from('k'), b).digest);
  t.not(keyDigest(Buffer.from('k'), a).digest, keyDigest(Buffer.from('k2'), a).digest);
  const tomb = { ...a, siblings: a.siblings.map((s) => ({ ...s, tombstone: true })) };
  t.not(keyDigest(Buffer.from('k'), a).digest, keyDigest(Buffer.from('k'), tomb).digest, 'tombstone flags count');
  t.equal(deadSince(tomb), 6);
  t.equal(deadSince(a), Infinity);
  t.equal(deadSince({ clock: { x: 1 }, siblings: [{ dot: { node: 'x', counter: 1 }, value: Buffer.from('v'), ts: 5, tombstone: false, expireAt: 50 }] }), 50);

  const tree = new RangeTree(0n, RING_SIZE, 16);
  const empty = tree.root();
  const d = keyDigest(Buffer.from('k'), a);
  t.equal(tree.set(d, d.digest), null);
  const one = tree.root();
  t.not(one, empty);
  t.equal(tree.get(d), d.digest);
  t.equal(tree.set(d, d.digest), d.digest, 'same digest again returns the old one');
  t.equal(tree.root(), one);
  t.equal(tree.set(d, null), d.digest);
  t.equal(tree.root(), empty, 'removing the only key restores the empty root');
  t.equal(tree.set(d, null), null, 'removing an absent key is a no-op');
  t.equal(tree.get(d), null);
});

t.test('leaf ranges tile the tree range and match leafOf', async (t) => {
  const tree = new RangeTree(1000n, 1000n + 1001n, 8);
  let prev = tree.start;
  for (let leaf = 0; leaf < tree.leafCount; leaf++) {
    const [from, to] = tree.leafRange(leaf);
    t.equal(from, prev);
    t.equal(tree.leafOf(from), leaf);
    t.equal(tree.leafOf(to - 1n), leaf);
    prev = to;
  }
  t.equal(prev, tree.end);
  t.throws(() => new RangeTree(5n, 5n, 4));
  t.throws(() => tree.nodeHash(4, 0));
  t.throws(() => tree.nodeHash(1, 2));
  t.ok(tree.bytes() > 0);
});

t.test('the tree set routes keys to their range and ignores pending ranges', async (t) => {
  const set = new TreeSet(8);
  const half = RING_SIZE / 2n;
  t.ok(set.configure([{ start: half, end: RING_SIZE }, { start: 0n, end: half }]));
  t.notOk(set.configure([{ start: 0n, end: half }, { start: half, end: RING_SIZE }]), 'same ranges: nothing changes');
  const [low, high] = set.all();
  t.equal(low!.tree.start, 0n);
  set.apply(Buffer.from('a'), obj('x', 1));
  t.equal(set.keys(), 0, 'pending trees take no writes');
  low!.state = 'ready';
  high!.state = 'building';
  high!.touched = new Set();
  for (let i = 0; i < 50; i++) set.apply(Buffer.from(`k${i}`), obj('x', i + 1));
  t.equal(set.keys(), 50);
  t.ok(high!.touched.size > 0, 'writes to a range being scanned are remembered');
  // A scan result for a touched key does not overwrite the newer write.
  const touchedKey = Array.from({ length: 50 }, (_, i) => Buffer.from(`k${i}`)).find((k) => high!.tree.contains(keyIdentity(k).pos))!;
  const before = high!.tree.get(keyIdentity(touchedKey));
  set.applyScanned(high!, touchedKey, obj('x', 999));
  t.equal(high!.tree.get(keyIdentity(touchedKey)), before);
  // purged() drops only the version that was purged.
  set.purged(touchedKey, obj('x', 999));
  t.equal(high!.tree.get(keyIdentity(touchedKey)), before);
  set.purged(touchedKey, obj('x', 1 + Number(touchedKey.toString().slice(1))));
  t.equal(high!.tree.get(keyIdentity(touchedKey)), null);
  set.invalidate(Buffer.from('k1'));
  t.ok(set.all().some((s) => s.state === 'pending'), 'a failed write sends its range back to be rebuilt');
  set.clearAll();
  t.ok(set.all().every((s) => s.state === 'ready' && s.tree.size === 0));
  t.ok(set.bytes() > 0);
  t.same(set.slot({ start: 1n, end: 2n }), undefined);
});
