import { QkvError, isErrorReason, type ErrorReason } from '../core/errors.js';
import { RING_SIZE } from '../core/hash.js';
import type { CollectionKind, VersionVector } from '../versioning/types.js';
import { setCounter } from '../versioning/clock.js';
import { isValidNodeId } from '../core/ids.js';
import type { DcForwardRequest } from './dc-forward-messages.js';

/**
 * The peer messages of the data path, as plain msgpack-able data: keys and
 * values as Buffers, versioned objects as their stored encoding (a Buffer,
 * cheaper to carry than a deep structure), ring positions as bigints.
 *
 * - r.get    read this replica's copies of some keys
 * - r.merge  merge a version into this replica's copy (writes, read repair)
 * - r.batch  many r.get and r.merge items for one peer in one frame (batch-messages.ts)
 * - c.write  coordinate a write (sent by a node that is not a replica of the key)
 * - c.scan   a page of this node's keys in some ring ranges
 * - c.flush  remove every key (FLUSHALL)
 * - h.store  keep a version as a hint for a home replica that could not take it (sloppy quorum)
 * - r.dcfwd  merge a version and send it on to the other replicas of this DC (dc-forward-messages.ts)
 *
 * Every request is validated on arrival: a peer sending anything else gets
 * QkvError ERR 'bad request ...', never a crash. Replies are validated too.
 */
export interface GetRequest {
  readonly type: 'r.get';
  readonly keys: Buffer[];
}

export interface GetReply {
  /** The replica's flush epoch when it read (see ReplicaService). */
  readonly epoch: number;
  /**
   * Encoded objects, null where the replica has no copy: for a prefix of the
   * keys (at least one) when all of them would make too large a reply; the
   * reader asks again for the rest.
   */
  readonly objs: Array<Buffer | null>;
}

export interface MergeRequest {
  readonly type: 'r.merge';
  readonly key: Buffer;
  readonly obj: Buffer;
  /** The flush epoch the version comes from; older than the replica's is refused. */
  readonly epoch: number;
}

export type SupersedesKind = 'blind' | 'context' | 'local';

export interface WriteForward {
  readonly type: 'c.write';
  readonly key: Buffer;
  readonly value: Buffer;
  readonly tombstone: boolean;
  readonly expireAt: number;
  readonly supersedes: SupersedesKind;
  /** The clock of a 'context' write. */
  readonly context?: VersionVector;
  readonly ifClock?: VersionVector;
  /** Quorums chosen by the entry node (per request or its configuration). */
  readonly w: number;
  readonly r: number;
  /** Acknowledgements that must come from home replicas (absent: the coordinator's default). */
  readonly pw?: number;
  /** A consistency level instead of w and pw (absent: the numbers), counted from DC `dc` (the entry node's). */
  readonly cl?: string;
  readonly dc?: string;
  /** value is a counter's state (WriteRequest.counter). */
  readonly counter?: boolean;
  /** An increment, in decimal (WriteRequest.counterDelta). */
  readonly delta?: string;
  /** value is a hash's or a set's state (WriteRequest.kind). */
  readonly kind?: CollectionKind;
  /** A collection op, encoded (collection-ops.ts encodeOp). */
  readonly op?: Buffer;
}

/**
 * The stored object, or the error the coordinator refused the write with
 * (told apart from transport failures). `home` and `total` are the
 * acknowledgements the write had (absent from older nodes). An error's
 * `reason` says, typed, why it was refused (see ErrorReason): the entry node
 * decides on it whether another replica may take the write.
 */
export interface WriteError {
  readonly code: string;
  readonly message: string;
  readonly reason?: ErrorReason;
}

/** `reply`: a collection op's answer, encoded (collection-ops.ts encodeOpReply). */
export type WriteReply =
  | { readonly obj: Buffer; readonly home?: number; readonly total?: number; readonly reply?: Buffer; readonly created?: boolean }
  | { readonly error: WriteError };

/** A version a stand-in keeps for `owner` until the owner can take it. */
export interface HintRequest {
  readonly type: 'h.store';
  readonly key: Buffer;
  readonly obj: Buffer;
  readonly epoch: number;
  /** The home replica the version is meant for. */
  readonly owner: string;
}

export interface ScanRequest {
  readonly type: 'c.scan';
  /** Ascending, non-overlapping [from, to) ranges of the ring (to = 2^64 travels as null: msgpack integers stop below it). */
  readonly ranges: Array<[bigint, bigint]>;
  readonly limit: number;
}

/** A c.scan request as it goes on the wire. */
export interface ScanWire {
  readonly type: 'c.scan';
  readonly ranges: Array<[bigint, bigint | null]>;
  readonly limit: number;
}

export function scanRequest(ranges: ReadonlyArray<readonly [bigint, bigint]>, limit: number): ScanWire {
  return { type: 'c.scan', ranges: ranges.map(([from, to]) => [from, to === RING_SIZE ? null : to]), limit };
}

export interface ScanReply {
  readonly keys: Buffer[];
  readonly hashes: bigint[];
  readonly objs: Buffer[];
  /** Where this node stopped (every key of the given ranges before it was returned), or null when done. */
  readonly next: bigint | null;
}

export interface FlushRequest {
  readonly type: 'c.flush';
  readonly epoch: number;
}

export interface FlushReply {
  /** False when the node already had an epoch at least as new; nothing was removed. */
  readonly ok: boolean;
  readonly epoch: number;
}

export type PeerRequest = GetRequest | MergeRequest | WriteForward | ScanRequest | FlushRequest | HintRequest;
/** An r.batch frame as it goes on the wire (its items: batch-messages.ts). */
export interface BatchWire {
  readonly type: 'r.batch';
  readonly items: unknown[];
}

/** What a node sends: the requests, with ring ends encoded for the wire. */
export type OutgoingRequest = Exclude<PeerRequest, ScanRequest> | ScanWire | BatchWire | DcForwardRequest;

/** About the most bytes of keys and values a reply carries (a frame holds 64 MiB). */
export const MAX_REPLY_BYTES = 8 * 1024 * 1024;
/** Largest page a scan request may ask for. */
export const MAX_SCAN_LIMIT = 100_000;
/** Most keys one r.get may carry. */
export const MAX_GET_KEYS = 10_000;
/** Most ranges one c.scan may carry. */
export const MAX_SCAN_RANGES = 1_000_000;

function bad(why: string): never {
  throw new QkvError('ERR', `bad request: ${why}`);
}

function badReply(why: string): never {
  throw new QkvError('ERR', `bad reply from peer: ${why}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function isEpoch(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isPosition(v: unknown): v is bigint {
  return typeof v === 'bigint' && v >= 0n && v <= RING_SIZE;
}

/** A version vector from the wire: node id -> non-negative safe integer counter. */
export function parseClock(v: unknown): VersionVector {
  if (!isRecord(v)) bad('a clock must be a map');
  const clock: VersionVector = {};
  for (const [node, counter] of Object.entries(v)) {
    if (!isEpoch(counter)) bad(`clock entry '${node.slice(0, 64)}' must be a non-negative integer`);
    setCounter(clock, node, counter);
  }
  return clock;
}

function parseBufferList(v: unknown, what: string, max: number): Buffer[] {
  if (!Array.isArray(v) || v.length > max) bad(`${what} must be a list of at most ${max} byte strings`);
  for (const b of v) if (!Buffer.isBuffer(b)) bad(`${what} must hold byte strings`);
  return v as Buffer[];
}

function parseRanges(v: unknown): Array<[bigint, bigint]> {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_SCAN_RANGES) bad('ranges must be a non-empty list');
  let prevEnd = 0n;
  const out: Array<[bigint, bigint]> = [];
  for (const r of v) {
    if (!Array.isArray(r) || r.length !== 2) bad('a range must be [from, to] ring positions');
    const [from, end] = r as unknown[];
    const to = end === null ? RING_SIZE : end;
    if (!isPosition(from) || !isPosition(to)) bad('a range must be [from, to] ring positions');
    if (from > to || from < prevEnd) bad('ranges must be ascending and not overlap');
    prevEnd = to;
    out.push([from, to]);
  }
  return out;
}

function parseQuorum(v: unknown, which: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad(`${which} must be a positive integer`);
  return v;
}

/** The request types the coordinator answers (see the list above). */
export const COORDINATOR_REQUEST_TYPES: ReadonlySet<string> = new Set(['r.get', 'r.merge', 'r.batch', 'r.dcfwd', 'c.write', 'c.scan', 'c.flush', 'h.store']);

/** Whether a peer message is one of the coordinator's requests (valid or not: parseRequest judges that). */
export function isCoordinatorMessage(msg: unknown): boolean {
  return isRecord(msg) && typeof msg.type === 'string' && COORDINATOR_REQUEST_TYPES.has(msg.type);
}

/** Validates an incoming peer request; throws QkvError ERR 'bad request: ...' on anything malformed. */
export function parseRequest(msg: unknown): PeerRequest {
  if (!isRecord(msg) || typeof msg.type !== 'string') bad('not a typed message');
  switch (msg.type) {
    case 'r.get':
      return { type: 'r.get', keys: parseBufferList(msg.keys, 'keys', MAX_GET_KEYS) };
    case 'r.merge':
      if (!Buffer.isBuffer(msg.key) || !Buffer.isBuffer(msg.obj)) bad('r.merge needs key and obj byte strings');
      if (!isEpoch(msg.epoch)) bad('r.merge needs an epoch');
      return { type: 'r.merge', key: msg.key, obj: msg.obj, epoch: msg.epoch };
    case 'c.write':
      return parseWriteForward(msg);
    case 'c.scan': {
      const limit = msg.limit;
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_SCAN_LIMIT) {
        bad(`limit must be an integer in 1..${MAX_SCAN_LIMIT}`);
      }
      return { type: 'c.scan', ranges: parseRanges(msg.ranges), limit };
    }
    case 'c.flush':
      if (!isEpoch(msg.epoch)) bad('c.flush needs an epoch');
      return { type: 'c.flush', epoch: msg.epoch };
    case 'h.store':
      if (!Buffer.isBuffer(msg.key) || !Buffer.isBuffer(msg.obj)) bad('h.store needs key and obj byte strings');
      if (!isEpoch(msg.epoch)) bad('h.store needs an epoch');
      if (typeof msg.owner !== 'string' || !isValidNodeId(msg.owner)) bad('h.store needs an owner node id');
      return { type: 'h.store', key: msg.key, obj: msg.obj, epoch: msg.epoch, owner: msg.owner };
    default:
      return bad(`unknown type '${msg.type.slice(0, 32)}'`);
  }
}

function parseWriteForward(msg: Record<string, unknown>): WriteForward {
  const { key, value, tombstone, expireAt, supersedes } = msg;
  if (!Buffer.isBuffer(key) || !Buffer.isBuffer(value)) bad('c.write needs key and value byte strings');
  if (typeof tombstone !== 'boolean') bad('tombstone must be a boolean');
  if (typeof expireAt !== 'number' || !Number.isFinite(expireAt) || expireAt < 0) bad('expireAt must be a non-negative number');
  if (supersedes !== 'blind' && supersedes !== 'context' && supersedes !== 'local') bad('supersedes must be blind, context or local');
  const out: { -readonly [K in keyof WriteForward]: WriteForward[K] } = {
    type: 'c.write',
    key,
    value,
    tombstone,
    expireAt,
    supersedes,
    w: parseQuorum(msg.w, 'w'),
    r: parseQuorum(msg.r, 'r'),
  };
  if (msg.pw !== undefined && msg.pw !== null) {
    if (typeof msg.pw !== 'number' || !Number.isInteger(msg.pw) || msg.pw < 0) bad('pw must be a non-negative integer');
    out.pw = msg.pw;
  }
  if (supersedes === 'context') out.context = parseClock(msg.context);
  if (msg.ifClock !== undefined && msg.ifClock !== null) out.ifClock = parseClock(msg.ifClock);
  if (msg.counter === true) out.counter = true;
  if (msg.delta !== undefined && msg.delta !== null) {
    if (typeof msg.delta !== 'string' || !/^-?(0|[1-9][0-9]{0,18})$/.test(msg.delta)) bad('delta must be an integer in decimal');
    out.delta = msg.delta;
  }
  if (msg.kind !== undefined && msg.kind !== null) {
    if (msg.kind !== 'hash' && msg.kind !== 'set') bad('kind must be hash or set');
    out.kind = msg.kind;
  }
  if (msg.op !== undefined && msg.op !== null) {
    if (!Buffer.isBuffer(msg.op)) bad('op must be a byte string');
    out.op = msg.op;
  }
  if (msg.cl !== undefined && msg.cl !== null) {
    if (typeof msg.cl !== 'string' || typeof msg.dc !== 'string') bad('cl and dc must be strings');
    out.cl = msg.cl;
    out.dc = msg.dc;
  }
  return out;
}

export function parseGetReply(msg: unknown, count: number): GetReply {
  if (!isRecord(msg) || !isEpoch(msg.epoch) || !Array.isArray(msg.objs)) badReply('r.get');
  if (msg.objs.length > count || (msg.objs.length === 0 && count > 0)) badReply('r.get');
  for (const o of msg.objs) if (o !== null && !Buffer.isBuffer(o)) badReply('r.get objects');
  return { epoch: msg.epoch, objs: msg.objs as Array<Buffer | null> };
}

export function parseWriteReply(msg: unknown): WriteReply {
  if (isRecord(msg) && Buffer.isBuffer(msg.obj)) {
    const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined);
    const home = count(msg.home);
    const total = count(msg.total);
    const acks = home !== undefined && total !== undefined ? { home, total } : {};
    return { obj: msg.obj, ...acks, ...(Buffer.isBuffer(msg.reply) ? { reply: msg.reply } : {}), ...(msg.created === true ? { created: true } : {}) };
  }
  const e = isRecord(msg) ? msg.error : undefined;
  if (isRecord(e) && typeof e.code === 'string' && typeof e.message === 'string') {
    // A reason this node does not know is dropped: the error is then final, as from an older node.
    return { error: { code: e.code, message: e.message, ...(isErrorReason(e.reason) ? { reason: e.reason } : {}) } };
  }
  return badReply('c.write');
}

export function parseScanReply(msg: unknown): ScanReply {
  if (!isRecord(msg)) badReply('c.scan');
  const { keys, hashes, objs, next } = msg;
  if (!Array.isArray(keys) || !Array.isArray(hashes) || !Array.isArray(objs)) badReply('c.scan lists');
  if (keys.length !== hashes.length || keys.length !== objs.length) badReply('c.scan list lengths');
  if (next !== null && next !== undefined && !isPosition(next)) badReply('c.scan next');
  for (let i = 0; i < keys.length; i++) {
    if (!Buffer.isBuffer(keys[i]) || !Buffer.isBuffer(objs[i]) || !isPosition(hashes[i])) badReply('c.scan entries');
  }
  return { keys: keys as Buffer[], hashes: hashes as bigint[], objs: objs as Buffer[], next: next ?? null };
}

export function parseFlushReply(msg: unknown): FlushReply {
  if (!isRecord(msg) || typeof msg.ok !== 'boolean' || !isEpoch(msg.epoch)) badReply('c.flush');
  return { ok: msg.ok, epoch: msg.epoch };
}
