import { QkvError } from '../core/errors.js';
import type { EngineWrite, KeyRange } from './engine.js';

/** Shared argument checks, so every engine refuses the same inputs the same way. */

export function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length === 0) throw new QkvError('ERR', 'storage keys must be non-empty buffers');
}

export function checkWrites(ops: readonly EngineWrite[]): void {
  for (const op of ops) {
    checkKey(op.key);
    if (op.type === 'put' && !Buffer.isBuffer(op.value)) throw new QkvError('ERR', 'a storage put needs a buffer value');
  }
}

/** The range's limit as a count, or -1 for no limit. */
export function rangeLimit(range: KeyRange): number {
  const limit = range.limit;
  if (limit === undefined || limit === Infinity) return -1;
  return Math.max(0, Math.floor(limit));
}

/** True when the bounds can hold no key at all (lt at or below gte). */
export function isEmptyRange(range: KeyRange): boolean {
  if (rangeLimit(range) === 0) return true;
  if (range.lt !== undefined && range.lt.length === 0) return true;
  return range.gte !== undefined && range.lt !== undefined && Buffer.compare(range.gte, range.lt) >= 0;
}
