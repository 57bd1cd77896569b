import { QkvError, isErrorReason, type ErrorReason } from '../core/errors.js';
import { MAX_GET_KEYS, type BatchWire } from './messages.js';

/**
 * r.batch: every replica read and merge one node has for one peer in one
 * event-loop turn, in one frame, answered by one frame. Items are compact
 * arrays (a frame may hold thousands):
 *
 *   ['m', key, obj, epoch]   merge obj (the stored encoding) into key's copy
 *   ['g', keys]              read these keys' copies
 *   ['d', keys, digests]     read them, but answer true for a copy whose read digest
 *                            (read-digest.ts) is the one given (null: the asker has no copy)
 *
 * The reply holds one result per item, in order:
 *
 *   [0]                          a merge is durable
 *   [1, code, message, reason?]  that item failed; the others are unaffected
 *   [2, epoch, objs]             a read: the epoch and a prefix of the copies, null where none,
 *                                true where a 'd' item's digest matched;
 *                                empty when earlier reads of the frame filled the reply
 *
 * A node that does not know r.batch refuses the whole frame, which carries
 * nothing out (see PeerBatcher for how the sender then falls back).
 */
export const BATCH_TYPE = 'r.batch';
/** Most items one frame carries. */
export const MAX_BATCH_ITEMS = 4096;
/** About the most bytes of keys and values one frame carries; well under the transport's frame limit. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

export type BatchItem =
  | { readonly op: 'm'; readonly key: Buffer; readonly obj: Buffer; readonly epoch: number }
  | { readonly op: 'g'; readonly keys: Buffer[] }
  | { readonly op: 'd'; readonly keys: Buffer[]; readonly digests: Array<bigint | null> };

/** A copy as a read answers it: its encoding, null for none, true for "the same as your digest". */
export type ReadCopy = Buffer | null | true;

export type BatchResult =
  | { readonly kind: 'ok' }
  | { readonly kind: 'error'; readonly error: QkvError }
  | { readonly kind: 'read'; readonly epoch: number; readonly objs: ReadCopy[] };

export function batchRequest(items: readonly BatchItem[]): BatchWire {
  return { type: BATCH_TYPE, items: items.map((it) => (it.op === 'm' ? ['m', it.key, it.obj, it.epoch] : it.op === 'g' ? ['g', it.keys] : ['d', it.keys, it.digests])) };
}

function bad(why: string): never {
  throw new QkvError('ERR', `bad request: ${why}`);
}

function badReply(why: string): never {
  throw new QkvError('ERR', `bad reply from peer: r.batch ${why}`);
}

function isEpoch(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * The items of an incoming r.batch. A frame that is not a list of items is
 * refused whole; an item that is malformed becomes null, answered with its
 * own error, so it does not fail the others.
 */
export function parseBatchItems(msg: Record<string, unknown>): Array<BatchItem | null> {
  const items = msg.items;
  if (!Array.isArray(items) || items.length > MAX_BATCH_ITEMS) bad(`r.batch needs a list of at most ${MAX_BATCH_ITEMS} items`);
  return items.map(parseItem);
}

function parseItem(v: unknown): BatchItem | null {
  if (!Array.isArray(v)) return null;
  if (v[0] === 'm' && v.length === 4 && Buffer.isBuffer(v[1]) && Buffer.isBuffer(v[2]) && isEpoch(v[3])) {
    return { op: 'm', key: v[1], obj: v[2], epoch: v[3] };
  }
  if (v[0] === 'g' && v.length === 2 && isKeyList(v[1])) return { op: 'g', keys: v[1] };
  if (v[0] === 'd' && v.length === 3 && isKeyList(v[1]) && Array.isArray(v[2]) && v[2].length === v[1].length && v[2].every(isDigest)) {
    return { op: 'd', keys: v[1], digests: v[2] as Array<bigint | null> };
  }
  return null;
}

function isKeyList(v: unknown): v is Buffer[] {
  return Array.isArray(v) && v.length <= MAX_GET_KEYS && v.every((k) => Buffer.isBuffer(k));
}

function isDigest(v: unknown): boolean {
  return v === null || (typeof v === 'bigint' && v >= 0n && v < 1n << 64n);
}

export function okResult(): unknown[] {
  return [0];
}

export function errorResult(err: unknown): unknown[] {
  const e = err instanceof QkvError ? err : new QkvError('ERR', err instanceof Error ? err.message : String(err));
  return e.reason ? [1, e.code, e.message, e.reason] : [1, e.code, e.message];
}

export function readResult(epoch: number, objs: ReadCopy[]): unknown[] {
  return [2, epoch, objs];
}

/** The results of an r.batch reply, one per item sent; throws on a reply that does not match. */
export function parseBatchReply(msg: unknown, sent: readonly BatchItem[]): BatchResult[] {
  const results = typeof msg === 'object' && msg !== null ? (msg as { results?: unknown }).results : undefined;
  if (!Array.isArray(results) || results.length !== sent.length) badReply('results');
  return results.map((r: unknown, i) => {
    if (!Array.isArray(r)) badReply('result');
    const item = sent[i]!;
    if (r[0] === 1 && typeof r[1] === 'string' && typeof r[2] === 'string') {
      const reason: ErrorReason | undefined = isErrorReason(r[3]) ? r[3] : undefined;
      return { kind: 'error', error: new QkvError(r[1], r[2], reason) };
    }
    if (item.op === 'm' && r[0] === 0) return { kind: 'ok' };
    if (item.op !== 'm' && r[0] === 2 && isEpoch(r[1]) && Array.isArray(r[2])) {
      const objs = r[2] as unknown[];
      if (objs.length > item.keys.length) badReply('read');
      for (const o of objs) if (o !== null && !Buffer.isBuffer(o) && !(o === true && item.op === 'd')) badReply('read objects');
      return { kind: 'read', epoch: r[1], objs: objs as ReadCopy[] };
    }
    return badReply('result');
  });
}
