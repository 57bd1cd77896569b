import { QkvError } from '../core/errors.js';
import type { Engine, EngineStats, EngineWrite, KeyRange } from './engine.js';
import { checkKey, checkWrites, isEmptyRange, rangeLimit } from './engine-checks.js';
import { SortedBufferMap } from './sorted-map.js';

/** Entries an iterator takes from the map per step, so it never copies a whole range. */
const CHUNK = 256;
const EMPTY = Buffer.alloc(0);

/**
 * The Engine in memory, for tests and simulations. Keys and values are copied
 * in and out, as a disk would. Unlike RocksDB, iterators read the live map in
 * chunks rather than a snapshot: a write during an iteration may or may not
 * be seen. The data outlives close(), so a test can reopen the same engine.
 *
 * Faults for testing callers: failNextWrites (a full disk), failNextReads,
 * holdWrites (writes wait until released, e.g. a slow fsync).
 */
export class MemoryEngine implements Engine {
  private readonly map = new SortedBufferMap();
  private opened = false;
  private writeFaults: Error[] = [];
  private readFaults: Error[] = [];
  private holds: Array<Promise<void>> = [];
  /** Batches written (write() calls that succeeded with at least one op). */
  writeBatches = 0;

  async open(): Promise<void> {
    if (this.opened) throw new QkvError('ERR', 'storage engine cannot be opened: it is open');
    this.opened = true;
  }

  async close(): Promise<void> {
    this.opened = false;
  }

  /** The next n writes (write() and deleteRange()) fail with err, changing nothing. */
  failNextWrites(n: number, err: Error = diskFull()): void {
    for (let i = 0; i < n; i++) this.writeFaults.push(err);
  }

  /** The next n reads (get, getMany, and iterator steps) fail with err. */
  failNextReads(n: number, err: Error = new QkvError('IOERR', 'read failed: I/O error (simulated)')): void {
    for (let i = 0; i < n; i++) this.readFaults.push(err);
  }

  /** Writes wait (unapplied) until the returned function is called. */
  holdWrites(): () => void {
    let release!: () => void;
    this.holds.push(new Promise<void>((resolve) => (release = resolve)));
    return release;
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    checkKey(key);
    this.beforeRead();
    const v = this.map.get(key);
    return v && Buffer.from(v);
  }

  async getMany(keys: readonly Buffer[]): Promise<Array<Buffer | undefined>> {
    keys.forEach(checkKey);
    this.beforeRead();
    return keys.map((k) => {
      const v = this.map.get(k);
      return v && Buffer.from(v);
    });
  }

  async write(ops: readonly EngineWrite[], _sync: boolean): Promise<void> {
    checkWrites(ops);
    await this.beforeWrite();
    if (ops.length === 0) return;
    for (const op of ops) {
      if (op.type === 'put') this.map.set(op.key, Buffer.from(op.value!));
      else this.map.delete(op.key);
    }
    this.writeBatches++;
  }

  iterate(range: KeyRange): AsyncIterableIterator<[Buffer, Buffer]> {
    this.assertOpen();
    return this.walk(range);
  }

  async deleteRange(range: KeyRange): Promise<void> {
    await this.beforeWrite();
    if (isEmptyRange(range)) return;
    let left = rangeLimit(range);
    for (;;) {
      const step = left < 0 ? CHUNK : Math.min(CHUNK, left);
      const batch = this.map.slice(range, range.reverse ?? false, step);
      for (const [k] of batch) this.map.delete(k);
      if (left >= 0) left -= batch.length;
      if (batch.length < step || left === 0) return;
    }
  }

  async stats(): Promise<EngineStats> {
    this.assertOpen();
    return {
      approximateBytes: this.map.byteSize,
      properties: { 'memory.keys': this.map.size, 'memory.bytes': this.map.byteSize, 'memory.write-batches': this.writeBatches },
    };
  }

  private async *walk(range: KeyRange): AsyncGenerator<[Buffer, Buffer]> {
    if (isEmptyRange(range)) return;
    let left = rangeLimit(range);
    let after: Buffer | undefined;
    for (;;) {
      this.assertOpen();
      this.beforeRead();
      const step = left < 0 ? CHUNK : Math.min(CHUNK, left);
      const chunk = this.map.slice(range, range.reverse ?? false, step, after);
      for (const [k, v] of chunk) yield [k, range.keysOnly ? EMPTY : Buffer.from(v)];
      if (left >= 0) left -= chunk.length;
      if (chunk.length < step || left === 0) return;
      after = chunk[chunk.length - 1]![0];
    }
  }

  private assertOpen(): void {
    if (!this.opened) throw new QkvError('ERR', 'storage engine is not open');
  }

  private beforeRead(): void {
    this.assertOpen();
    const fault = this.readFaults.shift();
    if (fault) throw fault;
  }

  private async beforeWrite(): Promise<void> {
    this.assertOpen();
    while (this.holds.length > 0) await this.holds.shift();
    this.assertOpen();
    const fault = this.writeFaults.shift();
    if (fault) throw fault;
  }
}

function diskFull(): QkvError {
  return new QkvError('IOERR', 'write failed: disk full (No space left on device, simulated)');
}
