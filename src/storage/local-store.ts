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
