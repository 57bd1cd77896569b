import { decodeObject, encodeObject } from '../versioning/codec.js';
import type { VersionedObject } from '../versioning/types.js';
import { SlotTable } from './cache-slots.js';

/** A cached record: the decoded object, or null when the key is known to be absent. */
export type CachedRecord = VersionedObject | null;

/**
 * Memory of one entry besides its record bytes and key characters, measured
 * on Node 20 (test/storage/record-cache-cost.test.ts measures it again): the
 * Map entry and its share of the table, the key string's header, the slot
 * arrays and the segment's list of its entries, each at their growth slack.
 */
export const ENTRY_OVERHEAD_BYTES = 128;

/**
 * Segments are this large at most. A record over half a segment is kept
 * decoded in a segment of its own instead: its object costs little beside
 * its value, and a hit on it then shares the value instead of decoding (and
 * copying) a large value every time.
 */
const MAX_SEGMENT_BYTES = 1024 * 1024;
const MIN_SEGMENT_BYTES = 4096;

/** What a large record's decoded object costs beside its encoded bytes. */
const LARGE_OBJECT_BYTES = 1024;

/** The memory one cached entry costs: overhead, key, and its encoded record (0 bytes when absent). */
export function entryBytes(idLength: number, encodedLength: number): number {
  return ENTRY_OVERHEAD_BYTES + idLength + encodedLength;
}

/**
 * The object with every sibling value in memory of its own: a value sliced
 * from a larger buffer (the request parser's, a pool slab) would keep all of
 * it alive while cached.
 */
function ownValues(obj: VersionedObject): VersionedObject {
  const siblings = obj.siblings.map((sib) => (sib.value.byteOffset === 0 && sib.value.buffer.byteLength === sib.value.length ? sib : { ...sib, value: Buffer.from(sib.value) }));
  return { clock: obj.clock, siblings };
}

interface Segment {
  readonly buf: Buffer;
  /** Bytes it counts for: its buffer, or a large record's size and object. */
  readonly size: number;
  used: number;
  /** (slot, offset) pairs of the entries placed here, live or not. */
  placed: Int32Array;
  count: number;
}

/**
 * An LRU-like cache of encoded records bounded by bytes. Records live in
 * large append-only segments, never as objects of their own: a decoded
 * record costs V8 several times its size, and a Buffer each is a few
 * hundred bytes of bookkeeping. A hit sets a reference bit; when the
 * budget is reached the oldest segment goes, and its referenced live
 * entries move to the newest segment (a second chance, as CLOCK gives)
 * when they fit there. Replaced and deleted records stay in their segment
 * as garbage until it goes; they are counted until then.
 *
 * A hit decodes the record (the codec copies values out, so nothing read
 * holds a segment). Keys are record ids as latin1 strings.
 */
export class RecordCache {
  private readonly index = new Map<string, number>();
  private readonly slots = new SlotTable();
  private readonly segments: Segment[] = [];
  private head: Segment | null = null;
  private segmentBytes = 0;
  private indexBytes = 0;
  private limit: number;

  /** maxBytes 0 disables the cache: nothing is kept. */
  constructor(maxBytes: number) {
    this.limit = maxBytes;
  }

  get maxBytes(): number {
    return this.limit;
  }

  /** Everything the cache holds: segments (with their garbage and unused tails) and entries. */
  get bytes(): number {
    return this.segmentBytes + this.indexBytes;
  }

  get size(): number {
    return this.index.size;
  }

  /** Segments held (INFO memory shows them). */
  get segmentCount(): number {
    return this.segments.length;
  }

  /** Changes the bound; a smaller one evicts at once. */
  resize(maxBytes: number): void {
    this.limit = maxBytes;
    this.shrinkTo(maxBytes);
  }

  /** The cached record (marking it recently used), or undefined when not cached. */
  get(id: string): CachedRecord | undefined {
    const slot = this.index.get(id);
    if (slot === undefined) return undefined;
    this.slots.ref[slot] = 1;
    return this.read(slot);
  }

  /** Like get, without marking it used. */
  peek(id: string): CachedRecord | undefined {
    const slot = this.index.get(id);
    return slot === undefined ? undefined : this.read(slot);
  }

  set(id: string, value: CachedRecord): void {
    this.delete(id);
    const encoded = value ? encodeObject(value) : null;
    const length = encoded ? encoded.length : 0;
    const cost = entryBytes(id.length, length);
    if (cost > this.limit) return;
    const large = value !== null && length > this.nextSegmentSize() / 2;
    const seg = this.placeFor(length, cost, large);
    if (!seg) return;
    const slot = this.slots.alloc(id);
    if (large) {
      this.place(seg, slot, null);
      this.slots.obj[slot] = ownValues(value);
      this.slots.length[slot] = length;
    } else {
      this.place(seg, slot, encoded);
    }
    this.index.set(id, slot);
    this.indexBytes += cost - length;
    this.shrinkTo(this.limit);
  }

  delete(id: string): void {
    const slot = this.index.get(id);
    if (slot === undefined) return;
    this.drop(id, slot);
  }

  clear(): void {
    this.index.clear();
    this.slots.clear();
    this.segments.length = 0;
    this.head = null;
    this.segmentBytes = 0;
    this.indexBytes = 0;
  }

  private read(slot: number): CachedRecord {
    const obj = this.slots.obj[slot];
    if (obj) return obj;
    const length = this.slots.length[slot]!;
    if (length < 0) return null;
    const at = this.slots.offset[slot]!;
    return decodeObject(this.slots.buf[slot]!.subarray(at, at + length));
  }

  private drop(id: string, slot: number): void {
    this.index.delete(id);
    const length = this.slots.length[slot]!;
    this.indexBytes -= entryBytes(id.length, Math.max(length, 0)) - Math.max(length, 0);
    this.slots.free(slot);
  }

  /**
   * The segment a record of `length` bytes goes to, made room for within the
   * bound, or null when it cannot stay. A new segment comes before the
   * eviction it causes, so that the entries read since they were placed can
   * move into it.
   */
  private placeFor(length: number, cost: number, large: boolean): Segment | null {
    const head = this.head;
    // Only the entry's own cost is new here; set() evicts afterwards if needed.
    if (!large && head && head.used + length <= head.buf.length) return head;
    const seg = large ? this.addSegment(0, length + LARGE_OBJECT_BYTES, false) : this.addSegment(this.nextSegmentSize(), 0, true);
    this.shrinkTo(this.limit - (cost - length));
    return this.segments.includes(seg) ? seg : null;
  }

  private nextSegmentSize(): number {
    return Math.min(MAX_SEGMENT_BYTES, Math.max(MIN_SEGMENT_BYTES, Math.floor(this.limit / 16)));
  }

  /** A segment of `bufferBytes` (0 for a large record's), counting `countBytes` when given. */
  private addSegment(bufferBytes: number, countBytes: number, asHead: boolean): Segment {
    const size = countBytes || bufferBytes;
    const seg: Segment = { buf: Buffer.allocUnsafeSlow(bufferBytes), size, used: 0, placed: new Int32Array(2), count: 0 };
    this.segments.push(seg);
    this.segmentBytes += size;
    if (asHead) this.head = seg;
    return seg;
  }

  private place(seg: Segment, slot: number, encoded: Buffer | null): void {
    const at = seg.used;
    if (encoded) {
      encoded.copy(seg.buf, at);
      seg.used += encoded.length;
    }
    this.slots.buf[slot] = seg.buf;
    this.slots.offset[slot] = at;
    this.slots.length[slot] = encoded ? encoded.length : -1;
    this.slots.ref[slot] = 0;
    if (seg.count * 2 === seg.placed.length) {
      const grown = new Int32Array(seg.placed.length * 2);
      grown.set(seg.placed);
      seg.placed = grown;
    }
    seg.placed[seg.count * 2] = slot;
    seg.placed[seg.count * 2 + 1] = at;
    seg.count++;
  }

  /** Evicts the oldest segments until the cache holds at most `target` bytes. */
  private shrinkTo(target: number): void {
    while (this.bytes > target && this.segments.length > 0) this.evictOldest();
  }

  private evictOldest(): void {
    const seg = this.segments.shift()!;
    this.segmentBytes -= seg.size;
    const wasHead = seg === this.head;
    if (wasHead) this.head = null;
    const s = this.slots;
    for (let i = 0; i < seg.count; i++) {
      const slot = seg.placed[i * 2]!;
      const at = seg.placed[i * 2 + 1]!;
      // A slot freed, or moved since it was placed here, is no longer this segment's.
      if (s.buf[slot] !== seg.buf || s.offset[slot] !== at || s.key[slot] === undefined) continue;
      const length = s.length[slot]!;
      const head = this.head;
      if (s.ref[slot] === 1 && s.obj[slot] === undefined && head && head.used + Math.max(length, 0) <= head.buf.length) {
        this.place(head, slot, length < 0 ? null : seg.buf.subarray(at, at + length));
      } else {
        this.drop(s.key[slot]!, slot);
      }
    }
  }
}
