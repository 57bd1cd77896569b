import type { VersionedObject } from '../versioning/types.js';
import { RangeTree } from './range-tree.js';
import { deadSince, isTombstoneRecord, keyIdentity, versionDigest, type KeyIdentity } from './version-hash.js';

/** A tree's life: waiting for its rebuild scan, being scanned, or kept current by writes. */
export type TreeState = 'pending' | 'building' | 'ready';

export interface TreeSlot {
  readonly tree: RangeTree;
  state: TreeState;
  /** Keys written while the tree was being scanned: the scan must not overwrite what the write set. */
  touched: Set<string> | null;
}

export interface RangeBounds {
  readonly start: bigint;
  readonly end: bigint;
}

export function rangeId(r: RangeBounds): string {
  return `${r.start.toString(16)}-${r.end.toString(16)}`;
}

function idText(id: KeyIdentity): string {
  return `${id.pos.toString(16)}:${id.tag}`;
}

/**
 * The Merkle trees of every ring range this node replicates, kept current
 * by the store wrapper (apply on each put and remove). Ranges are sorted and
 * disjoint; a key outside all of them (a range this node does not hold) is
 * ignored, as are keys of a range whose rebuild scan has not started (the
 * scan will read them from storage).
 */
export class TreeSet {
  private slots: TreeSlot[] = [];

  constructor(readonly leaves: number) {}

  all(): readonly TreeSlot[] {
    return this.slots;
  }

  slot(r: RangeBounds): TreeSlot | undefined {
    const s = this.find(r.start);
    return s && s.tree.start === r.start && s.tree.end === r.end ? s : undefined;
  }

  /**
   * Keeps the trees of ranges that did not move and adds pending trees for
   * the others; returns whether anything changed.
   */
  configure(ranges: readonly RangeBounds[]): boolean {
    const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const old = new Map(this.slots.map((s) => [rangeId(s.tree), s]));
    let changed = sorted.length !== this.slots.length;
    this.slots = sorted.map((r) => {
      const kept = old.get(rangeId(r));
      if (kept) return kept;
      changed = true;
      return { tree: new RangeTree(r.start, r.end, this.leaves), state: 'pending', touched: null };
    });
    return changed;
  }

  /** A put (obj) or removal (null) of key, in the order the store accepts them; md5 is keyMd5(key) when the caller has it. */
  apply(key: Buffer, obj: VersionedObject | null, md5?: Buffer): void {
    const id = keyIdentity(key, md5);
    const slot = this.find(id.pos);
    if (!slot || slot.state === 'pending') return;
    if (slot.touched) slot.touched.add(idText(id));
    if (obj === null) slot.tree.set(id, null);
    else slot.tree.set(id, versionDigest(id.md5, obj), isTombstoneRecord(obj), deadSince(obj));
  }

  /** A record read by a rebuild scan; ignored when a write to the key came after the scan began. */
  applyScanned(slot: TreeSlot, key: Buffer, obj: VersionedObject): void {
    const id = keyIdentity(key);
    if (slot.touched?.has(idText(id)) || !slot.tree.contains(id.pos)) return;
    slot.tree.set(id, versionDigest(id.md5, obj), isTombstoneRecord(obj), deadSince(obj));
  }

  /** A record was purged as it was (digest of obj): drop it unless a later write already replaced it. */
  purged(key: Buffer, obj: VersionedObject): void {
    const id = keyIdentity(key);
    const slot = this.find(id.pos);
    if (!slot || slot.state === 'pending') return;
    if (slot.tree.get(id) === versionDigest(id.md5, obj)) slot.tree.set(id, null);
  }

  /** Every record is gone (FLUSHALL): every tree is empty and current. */
  clearAll(): void {
    this.slots = this.slots.map((s) => ({ tree: new RangeTree(s.tree.start, s.tree.end, this.leaves), state: 'ready', touched: null }));
  }

  /** A write to key failed: its tree no longer matches storage; scan the range again. */
  invalidate(key: Buffer): void {
    const slot = this.find(keyIdentity(key).pos);
    if (slot) this.reset(slot);
  }

  reset(slot: TreeSlot): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots[at] = { tree: new RangeTree(slot.tree.start, slot.tree.end, this.leaves), state: 'pending', touched: null };
  }

  /** Keys held by all trees. */
  keys(): number {
    let n = 0;
    for (const s of this.slots) n += s.tree.size;
    return n;
  }

  bytes(): number {
    let n = 0;
    for (const s of this.slots) n += s.tree.bytes();
    return n;
  }

  private find(pos: bigint): TreeSlot | undefined {
    let a = 0;
    let b = this.slots.length - 1;
    while (a <= b) {
      const m = (a + b) >>> 1;
      const t = this.slots[m]!.tree;
      if (pos < t.start) b = m - 1;
      else if (pos >= t.end) a = m + 1;
      else return this.slots[m];
    }
    return undefined;
  }
}
