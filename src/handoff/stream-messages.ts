import { QkvError } from '../core/errors.js';
import { RING_SIZE } from '../core/hash.js';
import type { VersionVector } from '../versioning/types.js';

/**
 * Peer messages of range streaming (type prefix 's.'), as plain msgpack data:
 * keys and records as Buffers (records in their stored encoding), ring
 * positions as bigints, with the end of the ring (2^64, past msgpack's
 * integers) travelling as null.
 *
 * - s.scan    a page of (key, record) of one range, from a cursor
 * - s.digest  a page of (key, clock) of one range, to verify a copy
 * - s.get     some keys' records (to re-fetch what a digest found missing)
 * - s.push    merge these records here (a leaving node hands over its ranges)
 * - s.state   this node's flush epoch and whether it is still pulling ranges
 *             (a joining node adopts the newest epoch; an old owner asks the
 *             new owners before it deletes a range they took over)
 */
export const STREAM_PREFIX = 's.';

/** Keys per request at most, whatever a peer asks for. */
export const MAX_STREAM_KEYS = 10_000;

/** Bytes of records per reply at most, whatever a peer asks for (well below the transport's frame limit). */
export const MAX_STREAM_BYTES = 16 * 1024 * 1024;

export interface ScanRangeRequest {
  readonly type: 's.scan';
  readonly start: bigint;
  readonly end: bigint;
  /** Where to resume: start of the range on the first page. */
  readonly from: bigint;
  readonly maxKeys: number;
  readonly maxBytes: number;
}

export interface ScanRangeReply {
  /** The source's flush epoch when it read. */
  readonly epoch: number;
  readonly keys: Buffer[];
  readonly recs: Buffer[];
  readonly next: bigint | null;
  /** The source's estimate of the records in the whole range (first page only). */
  readonly estimate: number | null;
}

export interface DigestRequest {
  readonly type: 's.digest';
  readonly start: bigint;
  readonly end: bigint;
  readonly from: bigint;
  readonly maxKeys: number;
}

export interface DigestReply {
  readonly keys: Buffer[];
  readonly clocks: VersionVector[];
  readonly next: bigint | null;
}

export interface GetRecordsRequest {
  readonly type: 's.get';
  readonly keys: Buffer[];
}

export interface GetRecordsReply {
  readonly epoch: number;
  /** null where the source has no copy. */
  readonly recs: Array<Buffer | null>;
}

export interface PushRequest {
  readonly type: 's.push';
  readonly epoch: number;
  readonly keys: Buffer[];
  readonly recs: Buffer[];
}

export interface PushReply {
  readonly merged: number;
}

export interface StateRequest {
  readonly type: 's.state';
}

export interface StateReply {
  readonly epoch: number;
  /** Pull streams (join, rebuild) in flight on that node: ranges it has not finished taking over. */
  readonly pulling: number;
}

export type StreamRequest = ScanRangeRequest | DigestRequest | GetRecordsRequest | PushRequest | StateRequest;

export function isStreamMessage(msg: unknown): boolean {
  return isRecord(msg) && typeof msg.type === 'string' && msg.type.startsWith(STREAM_PREFIX);
}

/** A position as it goes on the wire. */
export function wirePosition(p: bigint): bigint | null {
  return p === RING_SIZE ? null : p;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function bad(why: string): never {
  throw new QkvError('ERR', `bad stream request: ${why}`);
}

function badReply(what: string): never {
  throw new QkvError('ERR', `malformed ${what} reply`);
}

function position(v: unknown, what: string, fail: (why: string) => never): bigint {
  if (v === null) return RING_SIZE;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v !== 'bigint' || v < 0n || v > RING_SIZE) fail(`${what} must be a ring position`);
  return v;
}

function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad(`${what} must be a positive integer`);
  return Math.min(v, MAX_STREAM_KEYS);
}

function byteCount(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad('maxBytes must be a positive integer');
  return Math.min(v, MAX_STREAM_BYTES);
}

function buffers(v: unknown, what: string, fail: (why: string) => never): Buffer[] {
  if (!Array.isArray(v) || !v.every((b) => Buffer.isBuffer(b))) fail(`${what} must be a list of buffers`);
  return v as Buffer[];
}

function epochOf(v: unknown, fail: (why: string) => never): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail('epoch must be a non-negative integer');
  return v;
}

function range(msg: Record<string, unknown>): { start: bigint; end: bigint; from: bigint } {
  const start = position(msg.start, 'start', bad);
  const end = position(msg.end, 'end', bad);
  const from = position(msg.from, 'from', bad);
  if (!(start < end) || from < start || from > end) bad('need start <= from <= end and start < end');
  return { start, end, from };
}

/** Validates a request from a peer; throws QkvError ERR 'bad stream request ...'. */
export function parseStreamRequest(msg: unknown): StreamRequest {
  if (!isRecord(msg) || typeof msg.type !== 'string') bad('not a typed message');
  switch (msg.type) {
    case 's.scan':
      return { type: 's.scan', ...range(msg), maxKeys: count(msg.maxKeys, 'maxKeys'), maxBytes: byteCount(msg.maxBytes) };
    case 's.digest':
      return { type: 's.digest', ...range(msg), maxKeys: count(msg.maxKeys, 'maxKeys') };
    case 's.get': {
      const keys = buffers(msg.keys, 'keys', bad);
      if (keys.length > MAX_STREAM_KEYS) bad(`at most ${MAX_STREAM_KEYS} keys`);
      return { type: 's.get', keys };
    }
    case 's.push': {
      const keys = buffers(msg.keys, 'keys', bad);
      const recs = buffers(msg.recs, 'recs', bad);
      if (keys.length !== recs.length) bad('keys and recs differ in length');
      return { type: 's.push', epoch: epochOf(msg.epoch, bad), keys, recs };
    }
    case 's.state':
      return { type: 's.state' };
    default:
      return bad(`unknown type '${msg.type}'`);
  }
}

export function parseScanReply(msg: unknown): ScanRangeReply {
  const fail = (): never => badReply('s.scan');
  if (!isRecord(msg)) fail();
  const m = msg as Record<string, unknown>;
  const keys = buffers(m.keys, 'keys', fail);
  const recs = buffers(m.recs, 'recs', fail);
  if (keys.length !== recs.length) fail();
  const next = m.next === null ? null : position(m.next, 'next', fail);
  const estimate = typeof m.estimate === 'number' && Number.isFinite(m.estimate) && m.estimate >= 0 ? m.estimate : null;
  return { epoch: epochOf(m.epoch, fail), keys, recs, next, estimate };
}

export function parseDigestReply(msg: unknown): DigestReply {
  const fail = (): never => badReply('s.digest');
  if (!isRecord(msg) || !Array.isArray(msg.clocks)) fail();
  const m = msg as Record<string, unknown>;
  const keys = buffers(m.keys, 'keys', fail);
  const clocks = (m.clocks as unknown[]).map((c) => parseClock(c, fail));
  if (keys.length !== clocks.length) fail();
  return { keys, clocks, next: m.next === null ? null : position(m.next, 'next', fail) };
}

export function parseGetRecordsReply(msg: unknown, n: number): GetRecordsReply {
  const fail = (): never => badReply('s.get');
  if (!isRecord(msg) || !Array.isArray(msg.recs) || msg.recs.length !== n) fail();
  const m = msg as Record<string, unknown>;
  const recs = m.recs as unknown[];
  if (!recs.every((r) => r === null || Buffer.isBuffer(r))) fail();
  return { epoch: epochOf(m.epoch, fail), recs: recs as Array<Buffer | null> };
}

export function parsePushReply(msg: unknown): PushReply {
  if (!isRecord(msg) || typeof msg.merged !== 'number') badReply('s.push');
  return { merged: msg.merged };
}

export function parseStateReply(msg: unknown): StateReply {
  const fail = (): never => badReply('s.state');
  if (!isRecord(msg) || typeof msg.pulling !== 'number' || !Number.isInteger(msg.pulling) || msg.pulling < 0) fail();
  const m = msg as Record<string, unknown>;
  return { epoch: epochOf(m.epoch, fail), pulling: m.pulling as number };
}

/** A clock from the wire: own properties only, positive safe integers. */
function parseClock(v: unknown, fail: (why: string) => never): VersionVector {
  if (!isRecord(v)) fail('clock');
  const clock: VersionVector = {};
  for (const [node, c] of Object.entries(v)) {
    if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 1) fail('clock');
    Object.defineProperty(clock, node, { value: c, enumerable: true, writable: true, configurable: true });
  }
  return clock;
}
