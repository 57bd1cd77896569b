import type { VersionedObject } from '../versioning/types.js';

/** A cached record: the decoded object, or null when the key is known to be absent. */
export type CachedRecord = VersionedObject | null;

/**
 * Approximate memory of a cached record: the key, the values (each in memory
 * of its own, see ownValues) and the objects around them, calibrated on V8
 * (Node 20): about 570 bytes of structure for a one-sibling record besides
 * the key and value bytes. Erring high keeps the cache within its bound.
 */
export function recordBytes(keyLength: number, obj: CachedRecord): number {
  let bytes = 160 + keyLength;
  if (!obj) return bytes;
  bytes += 160;
  for (const node in obj.clock) bytes += 60 + node.length;
  for (const s of obj.siblings) bytes += 260 + s.value.length + s.dot.node.length;
  return bytes;
}

/**
 * The object with every sibling value in memory of its own. Small Buffers
 * (from the request parser or the record decoder) are slices of shared 8 KB
 * pool slabs; a cached slice would keep its whole slab alive, several times
 * the value's size. One copy on the way in keeps the cache's memory honest.
 */
export function ownValues(obj: VersionedObject): VersionedObject {
  let copied: VersionedObject['siblings'] | undefined;
  obj.siblings.forEach((s, i) => {
    const v = s.value;
    if (v.byteOffset === 0 && v.buffer.byteLength === v.length) return;
    const own = Buffer.allocUnsafeSlow(v.length);
    v.copy(own);
    copied ??= [...obj.siblings];
    (copied as VersionedObject['siblings'][number][])[i] = { ...s, value: own };
  });
  return copied ? { clock: obj.clock, siblings: copied } : obj;
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
    this.slots.set(id, { value: value && ownValues(value), bytes });
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
