import type { VersionedObject } from '../versioning/types.js';

/**
 * One node's store of versioned records, over an Engine.
 *
 * Key layout (so a ring range is one contiguous engine range):
 *   'd' | ringHash(8, BE) | userKey                 -> encoded VersionedObject
 *   'x' | expireAt(8, BE ms) | ringHash(8) | userKey -> '' (expiry index)
 *   'm' | name                                      -> metadata
 */
export interface ScanEntry {
  readonly key: Buffer;
  readonly hash: bigint;
  readonly obj: VersionedObject;
}

export interface ScanPage {
  readonly entries: ScanEntry[];
  /** The ring position to resume from, or null when the range is exhausted. */
  readonly next: bigint | null;
}

export interface ScanOptions {
  /** Inclusive start ring position (default 0). */
  readonly from?: bigint;
  /** Exclusive end ring position (default 2^64). */
  readonly to?: bigint;
  /** Soft limit: a page never splits keys that share one ring position. */
  readonly limit: number;
}

export interface LocalStoreStats {
  /** Records stored, tombstones included. */
  readonly keys: number;
  /** Records that read as present: at least one sibling is not a tombstone (expired ones count until swept, as in Redis). */
  readonly liveKeys: number;
  /** Live keys with an expiry (INFO keyspace's expires=). */
  readonly expiringKeys: number;
  readonly cacheBytes: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly batches: number;
  readonly batchedWrites: number;
  readonly pendingWrites: number;
  readonly expiredSwept: number;
  readonly writeErrors: number;
}

/** One named metadata value (getMeta / putMeta). */
export interface StoreMeta {
  readonly name: string;
  readonly value: Buffer;
}

export interface LocalStore {
  get(key: Buffer): Promise<VersionedObject | undefined>;
  getMany(keys: readonly Buffer[]): Promise<Array<VersionedObject | undefined>>;
  /**
   * Stores obj for key. Visible to get() at once; resolves when the
   * group-committed batch holding it is in the WAL (fsynced with sync on).
   * On a failed write the cached copy is dropped and the promise rejects.
   * md5, when the caller has it, is keyMd5(key) (core/hash.ts), so a store
   * need not hash the key again.
   */
  put(key: Buffer, obj: VersionedObject, md5?: Buffer): Promise<void>;
  /** Physically removes a record (expiry sweep, FLUSHALL, tombstone collection). */
  remove(key: Buffer): Promise<void>;
  scan(opts: ScanOptions): Promise<ScanPage>;
  /**
   * Removes every record; resolves when durable. With meta, that metadata
   * is stored in the same atomic write that decides the clear, so after a
   * crash at any point the store holds either the old metadata and records,
   * or the new metadata and no records (an unfinished clear is finished when
   * the store opens, before anything is read).
   */
  clear(meta?: StoreMeta): Promise<void>;
  /** Physically removes records whose siblings have all expired by `now`; returns how many. */
  sweepExpired(now: number, limit: number): Promise<number>;
  getMeta(name: string): Promise<Buffer | undefined>;
  putMeta(name: string, value: Buffer): Promise<void>;
  stats(): LocalStoreStats;
  close(): Promise<void>;
}

/** What peekDurable answers when it cannot answer from memory at once. */
export const NOT_CACHED: unique symbol = Symbol('not cached');

/**
 * A store whose writes are decided when their batch is built (the store of a
 * cluster of one): versions come from the latest state in submission order,
 * with no read before the write, and reads see only durable records.
 */
export interface PipelinedStore extends LocalStore {
  /**
   * Queues a write decided when its batch is built: build() gets the record
   * as it stands after every write submitted before (undefined when absent)
   * and returns the object to store, or null to leave it. Resolves with what
   * was stored (null for nothing) once it is durable; rejects with what
   * build threw, or with the batch's error. `bytes` sizes the batch bound.
   */
  build(key: Buffer, build: (current: VersionedObject | undefined) => VersionedObject | null, bytes: number): Promise<VersionedObject | null>;
  /** The durable record, after every write to key submitted before this call has settled. */
  getDurable(key: Buffer): Promise<VersionedObject | undefined>;
  /** getDurable's answer when memory holds it and no write to key is pending; else NOT_CACHED. */
  peekDurable(key: Buffer): VersionedObject | undefined | typeof NOT_CACHED;
}
