import { QkvError } from '../core/errors.js';

/**
 * Anti-entropy messages between replicas (all types start with 'a.'):
 *
 * - a.hashes   hashes of some nodes of one level of a range's tree
 * - a.entries  (position, tag, digest) of every key of some leaves
 * - a.fetch    the records of some keys, named by (position, tag)
 * - a.push     versions to merge into the receiver's copies
 * - a.purgeable  may these exact versions be purged? (each key's PurgeVerdict; nothing removed)
 * - a.purge      remove these records if they still are exactly this version and
 *                this replica judges them dead by its own clock and horizon
 *
 * A range is named by its first and last position; a replica answers { ready: false } when it
 * has no ready tree for exactly that range (rebuilding, or another ring view).
 */
export interface HashesRequest {
  readonly type: 'a.hashes';
  readonly start: bigint;
  readonly end: bigint;
  readonly depth: number;
  readonly level: number;
  readonly nodes: number[];
}

export interface EntriesRequest {
  readonly type: 'a.entries';
  readonly start: bigint;
  readonly end: bigint;
  readonly depth: number;
  readonly leaves: number[];
}

export interface FetchRequest {
  readonly type: 'a.fetch';
  readonly start: bigint;
  readonly end: bigint;
  readonly pos: bigint[];
  readonly tags: number[];
}

export interface PushRequest {
  readonly type: 'a.push';
  readonly epoch: number;
  readonly keys: Buffer[];
  readonly objs: Buffer[];
}

export interface PurgeRequest {
  readonly type: 'a.purge';
  readonly keys: Buffer[];
  readonly digests: bigint[];
}

export interface PurgeableRequest {
  readonly type: 'a.purgeable';
  readonly keys: Buffer[];
  readonly digests: bigint[];
}

export type AntiEntropyRequest = HashesRequest | EntriesRequest | FetchRequest | PushRequest | PurgeableRequest | PurgeRequest;

export interface NotReady {
  readonly ready: false;
}
export interface HashesReply {
  readonly ready: true;
  readonly hashes: bigint[];
}
export interface EntriesReply {
  readonly ready: true;
  /** Per leaf asked: positions, tags and digests in ring order. */
  readonly leaves: Array<{ pos: bigint[]; tags: number[]; digests: bigint[] }>;
}
export interface FetchReply {
  readonly epoch: number;
  readonly keys: Buffer[];
  readonly objs: Buffer[];
  /** The reply was cut at its byte budget: some stored keys asked for are not in it. */
  readonly more: boolean;
}
export interface PushReply {
  readonly merged: number;
  readonly refused: number;
}
export interface PurgeReply {
  readonly removed: number;
  /** Per key: 'purged', or the verdict that kept it ('absent' or a refusal). */
  readonly verdicts: string[];
}
export interface PurgeableReply {
  /** Per key, a PurgeVerdict. */
  readonly verdicts: string[];
}

/** Most tree nodes, leaves or keys one request may name. */
export const MAX_ITEMS = 4096;

export function isAntiEntropyMessage(msg: unknown): boolean {
  return typeof msg === 'object' && msg !== null && typeof (msg as { type?: unknown }).type === 'string' && (msg as { type: string }).type.startsWith('a.');
}

function bad(why: string): never {
  throw new QkvError('ERR', `bad anti-entropy request: ${why}`);
}

function isPos(v: unknown): v is bigint {
  return typeof v === 'bigint' && v >= 0n && v < 1n << 64n;
}

function ints(v: unknown, what: string, max = 2 ** 31): number[] {
  if (!Array.isArray(v) || v.length > MAX_ITEMS) bad(`${what} must be a list of at most ${MAX_ITEMS}`);
  for (const x of v) if (!Number.isInteger(x) || (x as number) < 0 || (x as number) >= max) bad(`${what} holds a bad number`);
  return v as number[];
}

function positions(v: unknown, what: string): bigint[] {
  if (!Array.isArray(v) || v.length > MAX_ITEMS) bad(`${what} must be a list of at most ${MAX_ITEMS}`);
  for (const x of v) if (!isPos(x)) bad(`${what} holds a bad position`);
  return v as bigint[];
}

function buffers(v: unknown, what: string): Buffer[] {
  if (!Array.isArray(v) || v.length > MAX_ITEMS) bad(`${what} must be a list of at most ${MAX_ITEMS}`);
  for (const x of v) if (!Buffer.isBuffer(x)) bad(`${what} must hold byte strings`);
  return v as Buffer[];
}

/** A range travels as its first and last position: its end may be 2^64, which msgpack cannot carry. */
function bounds(m: Record<string, unknown>): { start: bigint; end: bigint } {
  if (!isPos(m.start) || !isPos(m.last) || m.start > m.last) bad('a range needs start <= last ring positions');
  return { start: m.start, end: m.last + 1n };
}

export function wireRange(r: { start: bigint; end: bigint }): { start: bigint; last: bigint } {
  return { start: r.start, last: r.end - 1n };
}

function depthOf(v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 20) bad('depth must be 0..20');
  return v as number;
}

export function parseAntiEntropyRequest(msg: unknown): AntiEntropyRequest {
  if (typeof msg !== 'object' || msg === null) bad('not an object');
  const m = msg as Record<string, unknown>;
  switch (m.type) {
    case 'a.hashes': {
      const depth = depthOf(m.depth);
      const level = m.level;
      if (!Number.isInteger(level) || (level as number) < 0 || (level as number) > depth) bad('level must be 0..depth');
      return { type: 'a.hashes', ...bounds(m), depth, level: level as number, nodes: ints(m.nodes, 'nodes', 2 ** (level as number)) };
    }
    case 'a.entries': {
      const depth = depthOf(m.depth);
      return { type: 'a.entries', ...bounds(m), depth, leaves: ints(m.leaves, 'leaves', 2 ** depth) };
    }
    case 'a.fetch': {
      const pos = positions(m.pos, 'pos');
      const tags = ints(m.tags, 'tags');
      if (pos.length !== tags.length) bad('pos and tags differ in length');
      return { type: 'a.fetch', ...bounds(m), pos, tags };
    }
    case 'a.push': {
      if (!Number.isSafeInteger(m.epoch) || (m.epoch as number) < 0) bad('a.push needs an epoch');
      const keys = buffers(m.keys, 'keys');
      const objs = buffers(m.objs, 'objs');
      if (keys.length !== objs.length) bad('keys and objs differ in length');
      return { type: 'a.push', epoch: m.epoch as number, keys, objs };
    }
    case 'a.purgeable':
    case 'a.purge': {
      const keys = buffers(m.keys, 'keys');
      const digests = positions(m.digests, 'digests');
      if (keys.length !== digests.length) bad('keys and digests differ in length');
      return { type: m.type, keys, digests };
    }
    default:
      return bad(`unknown type ${String(m.type)}`);
  }
}

/** The verdicts of a purge or purgeable reply, one per key asked; throws on a malformed reply. */
export function parseVerdicts(reply: unknown, count: number): string[] {
  const v = typeof reply === 'object' && reply !== null ? (reply as { verdicts?: unknown }).verdicts : undefined;
  if (!Array.isArray(v) || v.length !== count || !v.every((x) => typeof x === 'string')) {
    throw new QkvError('ERR', 'bad anti-entropy reply: a purge reply needs one verdict per key');
  }
  return v as string[];
}
