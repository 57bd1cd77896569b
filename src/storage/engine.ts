/**
 * The narrow interface every storage engine implements: ordered byte keys,
 * atomic batches, range iteration. RocksDB in production, memory in tests;
 * both pass test/storage/engine-conformance.ts.
 */
export interface EngineWrite {
  readonly type: 'put' | 'del';
  readonly key: Buffer;
  /** Required for 'put'. */
  readonly value?: Buffer;
}

export interface KeyRange {
  /** Inclusive lower bound; omitted means from the first key. */
  readonly gte?: Buffer;
  /** Exclusive upper bound; omitted means to the last key. */
  readonly lt?: Buffer;
  readonly reverse?: boolean;
  /** At most this many entries. */
  readonly limit?: number;
  /** Yield empty values (only keys are wanted); saves reading values from disk. */
  readonly keysOnly?: boolean;
}

export interface EngineStats {
  /** Estimated bytes on disk (or in memory) for the whole keyspace. */
  readonly approximateBytes: number;
  /** Engine-specific counters, exported as metrics (e.g. rocksdb.estimate-num-keys). */
  readonly properties: Readonly<Record<string, number>>;
}

export interface Engine {
  /** Keys are non-empty byte strings; an empty key is refused with a QkvError. */
  open(): Promise<void>;
  close(): Promise<void>;
  get(key: Buffer): Promise<Buffer | undefined>;
  getMany(keys: readonly Buffer[]): Promise<Array<Buffer | undefined>>;
  /** Applies all ops atomically; with sync, the WAL is fsynced before it resolves. */
  write(ops: readonly EngineWrite[], sync: boolean): Promise<void>;
  /** Entries in key order (or reverse); fetched in chunks, so large ranges do not sit in memory. */
  iterate(range: KeyRange): AsyncIterableIterator<[Buffer, Buffer]>;
  /** Removes every key in the range. */
  deleteRange(range: KeyRange): Promise<void>;
  stats(): Promise<EngineStats>;
}
