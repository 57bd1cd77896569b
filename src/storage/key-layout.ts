import { QkvError } from '../core/errors.js';
import { RING_SIZE } from '../core/hash.js';
import type { KeyRange } from './engine.js';

/**
 * Where records live in the engine's single ordered keyspace:
 *
 *   'd' | ringHash(8, BE) | userKey                  -> encoded VersionedObject
 *   'x' | expireAt(8, BE ms) | ringHash(8) | userKey  -> '' (expiry index)
 *   'm' | name                                       -> metadata
 *
 * Data keys sort by ring position, so a ring range is one engine range and
 * SCAN walks the ring in order; index keys sort by expiry time, so a sweep
 * reads only what is due.
 */
export const DATA_PREFIX = 0x64; // 'd'
export const EXPIRY_PREFIX = 0x78; // 'x'
export const META_PREFIX = 0x6d; // 'm'

const HASH_BYTES = 8;

export function dataKey(hash: Buffer, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(1 + HASH_BYTES + key.length);
  out[0] = DATA_PREFIX;
  hash.copy(out, 1, 0, HASH_BYTES);
  key.copy(out, 1 + HASH_BYTES);
  return out;
}

export interface ParsedDataKey {
  readonly hash: bigint;
  readonly key: Buffer;
}

export function parseDataKey(stored: Buffer): ParsedDataKey {
  if (stored.length < 1 + HASH_BYTES || stored[0] !== DATA_PREFIX) throw malformed('data');
  return { hash: stored.readBigUInt64BE(1), key: stored.subarray(1 + HASH_BYTES) };
}

/** expireAt is rounded up to a whole millisecond, so an entry is never due before its record. */
export function expiryKey(expireAt: number, hash: Buffer, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(1 + 8 + HASH_BYTES + key.length);
  out[0] = EXPIRY_PREFIX;
  out.writeBigUInt64BE(BigInt(indexTime(expireAt)), 1);
  hash.copy(out, 9, 0, HASH_BYTES);
  key.copy(out, 9 + HASH_BYTES);
  return out;
}

export interface ParsedExpiryKey {
  readonly expireAt: number;
  readonly hash: Buffer;
  readonly key: Buffer;
}

export function parseExpiryKey(stored: Buffer): ParsedExpiryKey {
  if (stored.length < 1 + 8 + HASH_BYTES || stored[0] !== EXPIRY_PREFIX) throw malformed('expiry index');
  return {
    expireAt: Number(stored.readBigUInt64BE(1)),
    hash: stored.subarray(9, 9 + HASH_BYTES),
    key: stored.subarray(9 + HASH_BYTES),
  };
}

/** The whole-millisecond time an expiry is indexed under. */
export function indexTime(expireAt: number): number {
  return Math.max(0, Math.ceil(expireAt));
}

export function metaKey(name: string): Buffer {
  return Buffer.concat([Buffer.from([META_PREFIX]), Buffer.from(name, 'utf8')]);
}

/** Every index entry due at or before `now`. */
export function dueExpiryRange(now: number): KeyRange {
  const lt = Buffer.allocUnsafe(9);
  lt[0] = EXPIRY_PREFIX;
  lt.writeBigUInt64BE(BigInt(Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(now) + 1))), 1);
  return { gte: Buffer.from([EXPIRY_PREFIX]), lt };
}

export function prefixRange(prefix: number): KeyRange {
  return { gte: Buffer.from([prefix]), lt: Buffer.from([prefix + 1]) };
}

/** The 8-byte big-endian form of a ring position. */
export function positionBytes(position: bigint): Buffer {
  const b = Buffer.allocUnsafe(HASH_BYTES);
  b.writeBigUInt64BE(position);
  return b;
}

/**
 * The data-key ranges holding ring positions [from, to). A range with
 * from > to wraps past 2^64 and becomes two engine ranges; from === to is
 * empty. to may be 2^64 (the end of the ring).
 */
export function ringRanges(from: bigint, to: bigint): KeyRange[] {
  if (from < 0n || from > RING_SIZE || to < 0n || to > RING_SIZE) {
    throw new QkvError('ERR', `ring range [${from}, ${to}) is outside [0, 2^64]`);
  }
  if (from === to) return [];
  if (from < to) return [dataRange(from, to)];
  if (from === RING_SIZE) return [dataRange(0n, to)];
  const ranges = [dataRange(from, RING_SIZE)];
  if (to > 0n) ranges.push(dataRange(0n, to));
  return ranges;
}

function dataRange(from: bigint, to: bigint): KeyRange {
  const gte = Buffer.concat([Buffer.from([DATA_PREFIX]), positionBytes(from)]);
  const lt = to === RING_SIZE ? Buffer.from([DATA_PREFIX + 1]) : Buffer.concat([Buffer.from([DATA_PREFIX]), positionBytes(to)]);
  return { gte, lt };
}

function malformed(what: string): QkvError {
  return new QkvError('ERR', `corrupt storage key: malformed ${what} key`);
}
