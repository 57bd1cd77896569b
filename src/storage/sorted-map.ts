/**
 * An ordered map of byte strings: a list of sorted chunks (at most CHUNK
 * entries each), found by binary search on each chunk's first key. Inserts
 * and deletes move at most one chunk's entries, so a few hundred thousand
 * keys in random order stay cheap, unlike one flat sorted array.
 *
 * Keys are held as latin1 strings (one char per byte): comparing two of them
 * with < is bytewise order, and many times cheaper than Buffer.compare.
 */
const CHUNK = 512;

interface Chunk {
  keys: string[];
  values: Buffer[];
}

interface Position {
  c: number;
  i: number;
}

export interface SliceBounds {
  readonly gte?: Buffer;
  readonly lt?: Buffer;
}

export class SortedBufferMap {
  private chunks: Chunk[] = [];
  private count = 0;
  private bytes = 0;

  get size(): number {
    return this.count;
  }

  /** Sum of key and value lengths. */
  get byteSize(): number {
    return this.bytes;
  }

  get(key: Buffer): Buffer | undefined {
    const k = key.toString('latin1');
    const p = this.seekGE(k);
    return this.keyAt(p) === k ? this.chunks[p.c]!.values[p.i] : undefined;
  }

  set(bytes: Buffer, value: Buffer): void {
    const key = bytes.toString('latin1');
    if (this.chunks.length === 0) {
      this.chunks.push({ keys: [key], values: [value] });
      this.count = 1;
      this.bytes = key.length + value.length;
      return;
    }
    const c = this.chunkIndex(key);
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk.keys, key);
    if (i < chunk.keys.length && chunk.keys[i] === key) {
      this.bytes += value.length - chunk.values[i]!.length;
      chunk.values[i] = value;
      return;
    }
    chunk.keys.splice(i, 0, key);
    chunk.values.splice(i, 0, value);
    this.count++;
    this.bytes += key.length + value.length;
    if (chunk.keys.length > CHUNK) {
      const half = chunk.keys.length >> 1;
      this.chunks.splice(c + 1, 0, { keys: chunk.keys.splice(half), values: chunk.values.splice(half) });
    }
  }

  delete(bytes: Buffer): boolean {
    const key = bytes.toString('latin1');
    const p = this.seekGE(key);
    if (this.keyAt(p) !== key) return false;
    const chunk = this.chunks[p.c]!;
    this.bytes -= key.length + chunk.values[p.i]!.length;
    chunk.keys.splice(p.i, 1);
    chunk.values.splice(p.i, 1);
    this.count--;
    if (chunk.keys.length === 0) this.chunks.splice(p.c, 1);
    return true;
  }

  clear(): void {
    this.chunks = [];
    this.count = 0;
    this.bytes = 0;
  }

  /**
   * Up to `max` entries within bounds, in key order or reverse. With `after`,
   * starts strictly past that key (in the direction of travel): the way a
   * chunked iterator resumes.
   */
  slice(bounds: SliceBounds, reverse: boolean, max: number, after?: Buffer): Array<[Buffer, Buffer]> {
    const out: Array<[Buffer, Buffer]> = [];
    const gte = bounds.gte?.toString('latin1');
    const lt = bounds.lt?.toString('latin1');
    const from = after?.toString('latin1');
    if (reverse) {
      const start = from ?? lt;
      let p = start !== undefined ? this.prev(this.seekGE(start)) : this.last();
      for (let k = this.keyAt(p); k !== undefined && out.length < max; k = this.keyAt(p)) {
        if (gte !== undefined && k < gte) break;
        out.push([Buffer.from(k, 'latin1'), this.chunks[p.c]!.values[p.i]!]);
        p = this.prev(p);
      }
    } else {
      let p = from !== undefined ? this.seekGT(from) : gte !== undefined ? this.seekGE(gte) : { c: 0, i: 0 };
      for (let k = this.keyAt(p); k !== undefined && out.length < max; k = this.keyAt(p)) {
        if (lt !== undefined && k >= lt) break;
        out.push([Buffer.from(k, 'latin1'), this.chunks[p.c]!.values[p.i]!]);
        p = this.next(p);
      }
    }
    return out;
  }

  /** The last chunk whose first key is <= key (the first chunk when none is). */
  private chunkIndex(key: string): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.chunks[mid]!.keys[0]! <= key) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** The position of the first key >= key (may be one past the end). */
  private seekGE(key: string): Position {
    if (this.chunks.length === 0) return { c: 0, i: 0 };
    const c = this.chunkIndex(key);
    const i = lowerBound(this.chunks[c]!.keys, key);
    return i < this.chunks[c]!.keys.length ? { c, i } : { c: c + 1, i: 0 };
  }

  private seekGT(key: string): Position {
    const p = this.seekGE(key);
    return this.keyAt(p) === key ? this.next(p) : p;
  }

  private keyAt(p: Position): string | undefined {
    return p.c >= 0 ? this.chunks[p.c]?.keys[p.i] : undefined;
  }

  private next(p: Position): Position {
    return p.i + 1 < this.chunks[p.c]!.keys.length ? { c: p.c, i: p.i + 1 } : { c: p.c + 1, i: 0 };
  }

  /** The position before p; c = -1 when there is none. */
  private prev(p: Position): Position {
    if (p.i > 0) return { c: p.c, i: p.i - 1 };
    const c = p.c - 1;
    return c >= 0 ? { c, i: this.chunks[c]!.keys.length - 1 } : { c: -1, i: 0 };
  }

  private last(): Position {
    return this.prev({ c: this.chunks.length, i: 0 });
  }
}

/** The index of the first key >= key. */
function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
