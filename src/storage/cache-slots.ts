import type { VersionedObject } from '../versioning/types.js';

/**
 * The record cache's entries as parallel arrays indexed by slot number: no
 * object per entry, so an entry costs a few array cells instead of a V8
 * object (and the garbage collector has almost nothing to trace). Freed
 * slots are reused. Arrays grow by doubling; read them through the table
 * each time, since growing replaces the typed arrays.
 */
export class SlotTable {
  /** The entry's key, undefined for a free slot. */
  key: Array<string | undefined> = [];
  /** The segment buffer holding the record. */
  buf: Array<Buffer | undefined> = [];
  /** A large record's decoded object (record-cache.ts), else undefined. */
  obj: Array<VersionedObject | undefined> = [];
  offset = new Int32Array(0);
  /** Encoded length, or -1 for a key known to be absent. */
  length = new Int32Array(0);
  /** Set by a hit, cleared when the entry is placed (CLOCK's reference bit). */
  ref = new Uint8Array(0);
  private readonly freed: number[] = [];
  private next = 0;

  alloc(key: string): number {
    let slot = this.freed.pop();
    if (slot === undefined) {
      slot = this.next++;
      if (slot >= this.offset.length) this.grow(Math.max(1024, this.offset.length * 2));
    }
    this.key[slot] = key;
    return slot;
  }

  free(slot: number): void {
    this.key[slot] = undefined;
    this.buf[slot] = undefined;
    this.obj[slot] = undefined;
    this.freed.push(slot);
  }

  clear(): void {
    this.key = [];
    this.buf = [];
    this.obj = [];
    this.offset = new Int32Array(0);
    this.length = new Int32Array(0);
    this.ref = new Uint8Array(0);
    this.freed.length = 0;
    this.next = 0;
  }

  private grow(capacity: number): void {
    const offset = new Int32Array(capacity);
    offset.set(this.offset);
    this.offset = offset;
    const length = new Int32Array(capacity);
    length.set(this.length);
    this.length = length;
    const ref = new Uint8Array(capacity);
    ref.set(this.ref);
    this.ref = ref;
  }
}
