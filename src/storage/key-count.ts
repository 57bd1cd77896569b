import type { Clock } from '../core/clock.js';
import { decodeObject } from '../versioning/codec.js';
import type { VersionedObject } from '../versioning/types.js';
import type { Engine, EngineWrite } from './engine.js';
import { recordExpiry } from './expiry.js';
import { DATA_PREFIX, metaKey, prefixRange } from './key-layout.js';

/**
 * The record count is kept exactly: every batch that adds or removes records
 * also writes the new count under this meta name, atomically with them, so
 * opening a store reads one key. Only a store without it (never counted, or
 * a FLUSH interrupted by a crash) is counted by walking its data keys.
 */
export const COUNT_META = 'store.keys';

/** Records that read as present (at least one sibling is not a tombstone), kept beside COUNT_META. */
export const LIVE_META = 'store.live';

/** Live records with an expiry (INFO keyspace's expires=), kept beside COUNT_META; a store without it is counted again at open. */
export const EXPIRES_META = 'store.expires';

/** Meta names under this prefix belong to the store itself. */
export const RESERVED_META_PREFIX = 'store.';
/** Present while a clear (FLUSHALL) is decided but not finished; the store finishes it at open. */
export const CLEARING_META = 'store.clearing';

export interface OpenProgress {
  /** Records counted so far (or the stored count when it was read). */
  readonly countedKeys: number;
  readonly done: boolean;
  readonly elapsedMs: number;
}

const PROGRESS_EVERY = 100_000;

export function encodeCount(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** The writes that store the counts (added to any batch that changes them). */
export function countWrites(keyCount: number, liveCount: number, expiresCount: number): EngineWrite[] {
  return [
    { type: 'put', key: metaKey(COUNT_META), value: encodeCount(keyCount) },
    { type: 'put', key: metaKey(LIVE_META), value: encodeCount(liveCount) },
    { type: 'put', key: metaKey(EXPIRES_META), value: encodeCount(expiresCount) },
  ];
}

export function decodeCount(b: Buffer | undefined): number | undefined {
  if (!b || b.length !== 8) return undefined;
  const n = Number(b.readBigUInt64BE(0));
  return Number.isSafeInteger(n) ? n : undefined;
}

export interface RecordCounts {
  /** Records stored, tombstones included. */
  readonly records: number;
  /** Records with at least one sibling that is not a tombstone (DBSIZE). */
  readonly live: number;
  /** Live records with an expiry. */
  readonly expiring: number;
}

/** A record reads as present unless every sibling is a tombstone; an unreadable one counts as present. */
export function isLiveRecord(exists: boolean, obj: VersionedObject | null): boolean {
  if (!exists) return false;
  return obj === null || obj.siblings.some((s) => !s.tombstone);
}

/** A live record with an expiry: counted in INFO keyspace's expires=. */
export function isExpiringRecord(exists: boolean, obj: VersionedObject | null): boolean {
  return isLiveRecord(exists, obj) && recordExpiry(obj) !== 0;
}

export async function countRecords(engine: Engine, clock: Clock, progress?: (p: OpenProgress) => void): Promise<RecordCounts> {
  const start = clock.monotonic();
  let n = 0;
  let live = 0;
  let expiring = 0;
  for await (const [, value] of engine.iterate(prefixRange(DATA_PREFIX))) {
    let obj: VersionedObject | null = null;
    try {
      obj = decodeObject(value);
    } catch {
      // Unreadable records count as present, as the batch builder treats them.
    }
    if (isLiveRecord(true, obj)) live++;
    if (isExpiringRecord(true, obj)) expiring++;
    if (++n % PROGRESS_EVERY === 0) progress?.({ countedKeys: n, done: false, elapsedMs: clock.monotonic() - start });
  }
  progress?.({ countedKeys: n, done: true, elapsedMs: clock.monotonic() - start });
  return { records: n, live, expiring };
}
