import type { Clock } from '../core/clock.js';
import type { Engine } from './engine.js';
import { DATA_PREFIX, prefixRange } from './key-layout.js';

/**
 * The record count is kept exactly: every batch that adds or removes records
 * also writes the new count under this meta name, atomically with them, so
 * opening a store reads one key. Only a store without it (never counted, or
 * a FLUSH interrupted by a crash) is counted by walking its data keys.
 */
export const COUNT_META = 'store.keys';

/** Meta names under this prefix belong to the store itself. */
export const RESERVED_META_PREFIX = 'store.';

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

export function decodeCount(b: Buffer | undefined): number | undefined {
  if (!b || b.length !== 8) return undefined;
  const n = Number(b.readBigUInt64BE(0));
  return Number.isSafeInteger(n) ? n : undefined;
}

export async function countRecords(engine: Engine, clock: Clock, progress?: (p: OpenProgress) => void): Promise<number> {
  const start = clock.monotonic();
  let n = 0;
  for await (const _ of engine.iterate({ ...prefixRange(DATA_PREFIX), keysOnly: true })) {
    if (++n % PROGRESS_EVERY === 0) progress?.({ countedKeys: n, done: false, elapsedMs: clock.monotonic() - start });
  }
  progress?.({ countedKeys: n, done: true, elapsedMs: clock.monotonic() - start });
  return n;
}
