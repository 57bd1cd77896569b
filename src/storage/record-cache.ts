import type { VersionedObject } from '../versioning/types.js';

/** A cached record: the decoded object, or null when the key is known to be absent. */
export type CachedRecord = VersionedObject | null;

/**
 * Approximate heap bytes of a cached record: the key, the values, and a
 * fixed allowance for the objects around them (measured roughly on V8; it
 * only has to keep the cache's footprint proportional to its bound).
 */
export function recordBytes(keyLength: number, obj: CachedRecord): number {
  let bytes = 96 + keyLength;
  if (!obj) return bytes;
  for (const node in obj.clock) bytes += 40 + node.length;
  for (const s of obj.siblings) bytes += 120 + s.value.length + s.dot.node.length;
  return bytes;
}

interface Slot {
  readonly value: CachedRecord;
  readonly bytes: number;
}

/**
 * An LRU of decoded records bounded by bytes. A Map keeps insertion order, so
 * re-inserting on a hit makes the first entry the least recently used. Keys
 * are record keys as latin1 strings (one char per byte, so binary-safe).
 */
export class RecordCache {
  private readonly slots = new Map<string, Slot>();
  private used = 0;

  /** maxBytes 0 disables the cache: nothing is kept. */
  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.slots.size;
  }

  /** The cached record (marking it recently used), or undefined when not cached. */
  get(id: string): CachedRecord | undefined {
    const slot = this.slots.get(id);
    if (!slot) return undefined;
    this.slots.delete(id);
    this.slots.set(id, slot);
    return slot.value;
  }

  /** Like get, without changing the LRU order. */
  peek(id: string): CachedRecord | undefined {
    return this.slots.get(id)?.value;
  }

  set(id: string, value: CachedRecord): void {
    this.delete(id);
    const bytes = recordBytes(id.length, value);
    if (bytes > this.maxBytes) return;
    this.slots.set(id, { value, bytes });
    this.used += bytes;
    while (this.used > this.maxBytes) {
      const oldest = this.slots.keys().next().value as string;
      this.delete(oldest);
    }
  }

  delete(id: string): void {
    const slot = this.slots.get(id);
    if (!slot) return;
    this.slots.delete(id);
    this.used -= slot.bytes;
  }

  clear(): void {
    this.slots.clear();
    this.used = 0;
  }
}
