import rocksdb from 'rocksdb';
import { QkvError } from '../core/errors.js';
import type { Engine, EngineStats, EngineWrite, KeyRange } from './engine.js';
import { checkKey, checkWrites, isEmptyRange, rangeLimit } from './engine-checks.js';
import { isNotFound, mapRocksError } from './rocksdb-errors.js';
import { RocksRangeIterator } from './rocksdb-iterator.js';

export interface RocksDbEngineOptions {
  /** The data directory (created if missing unless createIfMissing is false). */
  readonly location: string;
  /** LRU block cache in bytes; default DEFAULT_BLOCK_CACHE_BYTES (the record cache above holds hot records). */
  readonly cacheSize?: number;
  /** Memtable size in bytes (RocksDB keeps two); default DEFAULT_WRITE_BUFFER_BYTES. */
  readonly writeBufferSize?: number;
  /** SST block size in bytes; default 16 KiB, suited to values around 1 KiB. */
  readonly blockSize?: number;
  readonly maxOpenFiles?: number;
  /** Snappy compression of SST blocks; default on. */
  readonly compression?: boolean;
  readonly createIfMissing?: boolean;
  /** Bytes the native iterator reads per call; default 64 KiB. */
  readonly readChunkBytes?: number;
}

const MiB = 1024 * 1024;
/**
 * The block cache and memtable sizes of the default --maxmemory's split
 * (src/config/memory-budget.ts, which this module may not import), for
 * engines opened without them; test/config/component-defaults.test.ts keeps them equal.
 */
export const DEFAULT_BLOCK_CACHE_BYTES = 32 * MiB;
export const DEFAULT_WRITE_BUFFER_BYTES = 16 * MiB;
/** The binding reads sizes as uint32. */
const U32_MAX = 0xffff_ffff;
const KEYSPACE_START = Buffer.from([0x00]);
const KEYSPACE_END = Buffer.alloc(32, 0xff);

/** Numeric RocksDB properties exported by stats(). */
export const ROCKSDB_PROPERTIES = [
  'rocksdb.estimate-num-keys',
  'rocksdb.total-sst-files-size',
  'rocksdb.live-sst-files-size',
  'rocksdb.cur-size-all-mem-tables',
  'rocksdb.estimate-live-data-size',
  'rocksdb.estimate-pending-compaction-bytes',
  'rocksdb.num-running-compactions',
  'rocksdb.num-running-flushes',
  'rocksdb.num-immutable-mem-table',
  'rocksdb.background-errors',
  'rocksdb.is-write-stopped',
  'rocksdb.actual-delayed-write-rate',
  'rocksdb.block-cache-usage',
  'rocksdb.estimate-table-readers-mem',
  'rocksdb.num-live-versions',
] as const;

/** RocksDB's own memory: memtables (active and waiting to flush), block cache, index and filter blocks. */
export interface RocksMemory {
  readonly memtables: number;
  readonly blockCache: number;
  readonly tableReaders: number;
}

type State = 'new' | 'opening' | 'open' | 'closing' | 'closed';

/** The Engine over RocksDB (the `rocksdb` package, abstract-leveldown callback API). */
export class RocksDbEngine implements Engine {
  readonly location: string;
  private readonly options: RocksDbEngineOptions;
  private readonly db: rocksdb.RocksDB;
  private state: State = 'new';
  private opening: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private inflight = 0;
  private idle: Array<() => void> = [];
  private readonly iterators = new Set<RocksRangeIterator>();

  constructor(options: RocksDbEngineOptions) {
    this.options = options;
    this.location = options.location;
    this.db = rocksdb(options.location);
  }

  open(): Promise<void> {
    if (this.state !== 'new') {
      return Promise.reject(new QkvError('ERR', `storage engine at ${this.location} cannot be opened: it is ${this.state}`));
    }
    this.state = 'opening';
    this.opening = this.openDb();
    return this.opening;
  }

  private async openDb(): Promise<void> {
    const o = this.options;
    const openOptions: rocksdb.OpenOptions = {
      createIfMissing: o.createIfMissing ?? true,
      errorIfExists: false,
      compression: o.compression ?? true,
      cacheSize: clampU32(o.cacheSize ?? DEFAULT_BLOCK_CACHE_BYTES),
      writeBufferSize: clampU32(o.writeBufferSize ?? DEFAULT_WRITE_BUFFER_BYTES),
      blockSize: clampU32(o.blockSize ?? 16 * 1024),
      maxOpenFiles: o.maxOpenFiles ?? 1000,
    };
    try {
      await new Promise<void>((resolve, reject) => this.db.open(openOptions, (err) => (err ? reject(err) : resolve())));
    } catch (e) {
      this.state = this.closing ? 'closed' : 'new';
      throw mapRocksError(e, 'open', this.location);
    }
    this.state = 'open';
  }

  /** Ends open iterators, waits for operations in progress, then closes RocksDB. */
  close(): Promise<void> {
    if (this.state === 'new' || this.state === 'closed') {
      this.state = 'closed';
      return Promise.resolve();
    }
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    // A close during open waits for the open to finish; a failed open leaves nothing to close.
    await this.opening?.catch(() => undefined);
    if (this.state !== 'open') {
      this.state = 'closed';
      return;
    }
    this.state = 'closing';
    await Promise.all([...this.iterators].map((it) => it.end()));
    if (this.inflight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    await new Promise<void>((resolve, reject) => this.db.close((err) => (err ? reject(mapRocksError(err, 'close', this.location)) : resolve())));
    this.state = 'closed';
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    checkKey(key);
    return this.call('read', (done) =>
      this.db.get(key, { asBuffer: true }, (err, value) => (err && isNotFound(err) ? done(null, undefined) : done(err, value))),
    );
  }

  async getMany(keys: readonly Buffer[]): Promise<Array<Buffer | undefined>> {
    keys.forEach(checkKey);
    if (keys.length === 0) return [];
    return this.call('read', (done) => this.db.getMany([...keys], { asBuffer: true }, (err, values) => done(err, values!)));
  }

  async write(ops: readonly EngineWrite[], sync: boolean): Promise<void> {
    checkWrites(ops);
    if (ops.length === 0) return;
    const batch: rocksdb.BatchOp[] = ops.map((op) => (op.type === 'put' ? { type: 'put', key: op.key, value: op.value! } : { type: 'del', key: op.key }));
    return this.call('write', (done) => this.db.batch(batch, { sync }, (err) => done(err, undefined)));
  }

  iterate(range: KeyRange): AsyncIterableIterator<[Buffer, Buffer]> {
    this.assertOpen();
    if (isEmptyRange(range)) return emptyIterator();
    const native = this.db.iterator({
      ...bounds(range),
      reverse: range.reverse ?? false,
      limit: rangeLimit(range),
      values: !range.keysOnly,
      keyAsBuffer: true,
      valueAsBuffer: true,
      fillCache: false,
      highWaterMark: this.options.readChunkBytes ?? 64 * 1024,
    });
    const it = new RocksRangeIterator(native, this.location, (done) => this.iterators.delete(done));
    this.iterators.add(it);
    return it;
  }

  deleteRange(range: KeyRange): Promise<void> {
    if (isEmptyRange(range)) return this.call('delete range', (done) => done(null, undefined));
    const options = { ...bounds(range), reverse: range.reverse ?? false, limit: rangeLimit(range) };
    return this.call('delete range', (done) => this.db.clear(options, (err) => done(err, undefined)));
  }

  /** Native memory as RocksDB reports it, read synchronously (zeros when not open). */
  memoryUsage(): RocksMemory {
    if (this.state !== 'open') return { memtables: 0, blockCache: 0, tableReaders: 0 };
    const read = (name: string): number => Number(this.db.getProperty(name)) || 0;
    return {
      memtables: read('rocksdb.cur-size-all-mem-tables'),
      blockCache: read('rocksdb.block-cache-usage'),
      tableReaders: read('rocksdb.estimate-table-readers-mem'),
    };
  }

  async stats(): Promise<EngineStats> {
    this.assertOpen();
    const properties: Record<string, number> = {};
    for (const name of ROCKSDB_PROPERTIES) {
      const text = this.db.getProperty(name);
      const n = Number(text);
      if (text !== '' && Number.isFinite(n)) properties[name] = n;
    }
    const onDisk = await this.call<number>('stats', (done) =>
      this.db.approximateSize(KEYSPACE_START, KEYSPACE_END, (err, size) => done(err, size!)),
    );
    const approximateBytes = onDisk + (properties['rocksdb.cur-size-all-mem-tables'] ?? 0);
    return { approximateBytes, properties };
  }

  private assertOpen(): void {
    if (this.state !== 'open') {
      throw new QkvError('ERR', `storage engine at ${this.location} is ${this.state === 'new' ? 'not open' : this.state}`);
    }
  }

  /** Runs one native call, counted so close() can wait for it, with errors mapped. */
  private call<T>(what: string, run: (done: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
    try {
      this.assertOpen();
    } catch (e) {
      return Promise.reject(e);
    }
    this.inflight++;
    return new Promise<T>((resolve, reject) => {
      run((err, value) => {
        if (--this.inflight === 0) this.idle.splice(0).forEach((wake) => wake());
        if (err) reject(mapRocksError(err, what, this.location));
        else resolve(value);
      });
    });
  }
}

function bounds(range: KeyRange): { gte?: Buffer; lt?: Buffer } {
  const out: { gte?: Buffer; lt?: Buffer } = {};
  if (range.gte && range.gte.length > 0) out.gte = range.gte;
  if (range.lt) out.lt = range.lt;
  return out;
}

function clampU32(n: number): number {
  return Math.max(0, Math.min(U32_MAX, Math.floor(n)));
}

function emptyIterator(): AsyncIterableIterator<[Buffer, Buffer]> {
  const it: AsyncIterableIterator<[Buffer, Buffer]> = {
    next: async () => ({ done: true, value: undefined }),
    return: async () => ({ done: true, value: undefined }),
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}
