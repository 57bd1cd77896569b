import type { KeyIdentity } from './version-hash.js';

/** One key as a tree lists it: identity and version digest. */
export interface TreeEntry {
  readonly pos: bigint;
  readonly tag: number;
  readonly digest: bigint;
}

/** Words per entry in a leaf: pos hi, pos lo, tag | tombstone bit, digest hi, digest lo. */
const W = 5;
const TOMB = 0x80000000;
const M32 = 0xffffffffn;

/**
 * The Merkle tree of one ring range [start, end) on one node. The range is
 * cut into `leaves` equal buckets of ring positions (a power of two), so two
 * replicas with the same range boundaries have the same buckets. A leaf's
 * hash is the XOR of its keys' version digests: a write takes the key's old
 * digest out and puts the new one in, with no rescan. Inner nodes hash their
 * two children (a 64-bit mix) and are recomputed lazily: a write marks the
 * path to the root dirty, a read of a node rehashes only dirty nodes.
 *
 * Each leaf also keeps its keys' (position, tag, digest) sorted in a typed
 * array (20 bytes a key), which is where a write finds the old digest and
 * what an exchange lists for a differing leaf, without touching storage.
 */
export class RangeTree {
  readonly depth: number;
  readonly leafCount: number;
  private readonly width: bigint;
  /** Heap layout: node 1 is the root, node i has children 2i and 2i+1, leaves are leafCount..2*leafCount-1. */
  private readonly hashes: Uint32Array;
  private readonly dirty: Uint8Array;
  private readonly data: Array<Uint32Array | undefined>;
  private readonly counts: Uint32Array;
  private keyCount = 0;
  private tombCount = 0;
  /** No tombstone in this tree became dead before this (a lower bound; Infinity when none is known). */
  oldestTombstone = Infinity;

  constructor(
    readonly start: bigint,
    readonly end: bigint,
    leaves: number,
  ) {
    if (!(end > start)) throw new RangeError('a tree range must not be empty');
    this.depth = Math.max(0, Math.ceil(Math.log2(Math.max(1, leaves))));
    this.leafCount = 1 << this.depth;
    this.width = end - start;
    this.hashes = new Uint32Array(4 * this.leafCount);
    this.dirty = new Uint8Array(2 * this.leafCount).fill(1);
    this.data = new Array<Uint32Array | undefined>(this.leafCount);
    this.counts = new Uint32Array(this.leafCount);
  }

  get size(): number {
    return this.keyCount;
  }

  get tombstones(): number {
    return this.tombCount;
  }

  contains(pos: bigint): boolean {
    return pos >= this.start && pos < this.end;
  }

  leafOf(pos: bigint): number {
    return Number(((pos - this.start) * BigInt(this.leafCount)) / this.width);
  }

  /** The ring positions [from, to) of a leaf. */
  leafRange(leaf: number): [bigint, bigint] {
    const n = BigInt(this.leafCount);
    const from = this.start + (this.width * BigInt(leaf) + n - 1n) / n;
    const to = this.start + (this.width * BigInt(leaf + 1) + n - 1n) / n;
    return [from, leaf === this.leafCount - 1 ? this.end : to];
  }

  /** The digest stored for a key, or null when the tree does not hold it. */
  get(id: KeyIdentity): bigint | null {
    const leaf = this.leafOf(id.pos);
    const arr = this.data[leaf];
    const at = this.find(leaf, id);
    if (!arr || at < 0) return null;
    return (BigInt(arr[at * W + 3]!) << 32n) | BigInt(arr[at * W + 4]!);
  }

  /**
   * Sets a key's digest (null removes it) and returns the digest it had.
   * `deadAt` is when a tombstone record died, to keep oldestTombstone.
   */
  set(id: KeyIdentity, digest: bigint | null, tombstone = false, deadAt = 0): bigint | null {
    const leaf = this.leafOf(id.pos);
    let at = this.find(leaf, id);
    let arr = this.data[leaf];
    let prev: bigint | null = null;
    if (at >= 0) {
      const o = at * W;
      prev = (BigInt(arr![o + 3]!) << 32n) | BigInt(arr![o + 4]!);
      if (arr![o + 2]! & TOMB) this.tombCount--;
      this.xorLeaf(leaf, arr![o + 3]!, arr![o + 4]!);
      if (digest === null) {
        arr!.copyWithin(o, o + W, this.counts[leaf]! * W);
        this.counts[leaf]!--;
        this.keyCount--;
        if (this.counts[leaf] === 0) this.data[leaf] = undefined;
        return prev;
      }
    } else {
      if (digest === null) return null;
      at = -at - 1;
      const count = this.counts[leaf]!;
      if (!arr || arr.length < (count + 1) * W) {
        const grown = new Uint32Array(Math.max(4, count * 2) * W);
        if (arr) grown.set(arr.subarray(0, count * W));
        arr = grown;
        this.data[leaf] = arr;
      }
      arr.copyWithin((at + 1) * W, at * W, count * W);
      this.counts[leaf] = count + 1;
      this.keyCount++;
      arr[at * W] = Number(id.pos >> 32n);
      arr[at * W + 1] = Number(id.pos & M32);
    }
    const o = at * W;
    const hi = Number(digest >> 32n);
    const lo = Number(digest & M32);
    arr![o + 2] = (id.tag & 0x7fffffff) | (tombstone ? TOMB : 0);
    arr![o + 3] = hi;
    arr![o + 4] = lo;
    this.xorLeaf(leaf, hi, lo);
    if (tombstone) {
      this.tombCount++;
      if (deadAt < this.oldestTombstone) this.oldestTombstone = deadAt;
    }
    return prev;
  }

  /** The hash of node `index` (0-based) at `level` (0 = root, depth = leaves). */
  nodeHash(level: number, index: number): bigint {
    if (level < 0 || level > this.depth || index < 0 || index >= 1 << level) throw new RangeError(`no tree node ${level}/${index}`);
    const node = (1 << level) + index;
    this.refresh(node);
    return (BigInt(this.hashes[2 * node]!) << 32n) | BigInt(this.hashes[2 * node + 1]!);
  }

  root(): bigint {
    return this.nodeHash(0, 0);
  }

  /** The keys of a leaf, in ring order. */
  entries(leaf: number): TreeEntry[] {
    const arr = this.data[leaf];
    const out: TreeEntry[] = [];
    if (!arr) return out;
    for (let i = 0; i < this.counts[leaf]!; i++) {
      const o = i * W;
      out.push({
        pos: (BigInt(arr[o]!) << 32n) | BigInt(arr[o + 1]!),
        tag: arr[o + 2]! & 0x7fffffff,
        digest: (BigInt(arr[o + 3]!) << 32n) | BigInt(arr[o + 4]!),
      });
    }
    return out;
  }

  leafSize(leaf: number): number {
    return this.counts[leaf]!;
  }

  /** Bytes of typed arrays this tree holds. */
  bytes(): number {
    let n = this.hashes.byteLength + this.dirty.byteLength + this.counts.byteLength;
    for (const a of this.data) if (a) n += a.byteLength;
    return n;
  }

  /** Binary search: the entry's index, or -(insertion point) - 1. */
  private find(leaf: number, id: KeyIdentity): number {
    const arr = this.data[leaf];
    if (!arr) return -1;
    const hi = Number(id.pos >> 32n);
    const lo = Number(id.pos & M32);
    const tag = id.tag & 0x7fffffff;
    let a = 0;
    let b = this.counts[leaf]! - 1;
    while (a <= b) {
      const m = (a + b) >>> 1;
      const o = m * W;
      const c = arr[o]! - hi || arr[o + 1]! - lo || (arr[o + 2]! & 0x7fffffff) - tag;
      if (c === 0) return m;
      if (c < 0) a = m + 1;
      else b = m - 1;
    }
    return -a - 1;
  }

  private xorLeaf(leaf: number, hi: number, lo: number): void {
    let node = this.leafCount + leaf;
    this.hashes[2 * node] = (this.hashes[2 * node]! ^ hi) >>> 0;
    this.hashes[2 * node + 1] = (this.hashes[2 * node + 1]! ^ lo) >>> 0;
    for (node >>= 1; node >= 1 && !this.dirty[node]; node >>= 1) this.dirty[node] = 1;
  }

  private refresh(node: number): void {
    if (node >= this.leafCount || !this.dirty[node]) return;
    this.refresh(2 * node);
    this.refresh(2 * node + 1);
    const l = 2 * node;
    const r = 2 * node + 1;
    const h = this.hashes;
    h[2 * node] = mix4(0x9747b28c, h[2 * l]!, h[2 * l + 1]!, h[2 * r]!, h[2 * r + 1]!);
    h[2 * node + 1] = mix4(0x5bd1e995, h[2 * l]!, h[2 * l + 1]!, h[2 * r]!, h[2 * r + 1]!);
    this.dirty[node] = 0;
  }
}

/** 32 bits of a murmur3-style hash of four words. */
function mix4(seed: number, a: number, b: number, c: number, d: number): number {
  let h = seed;
  for (const k0 of [a, b, c, d]) {
    let k = Math.imul(k0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= 16;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
