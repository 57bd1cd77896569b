import { Reader, Writer, corrupt } from './bytes.js';
import { NO_ORIGIN } from './counter.js';
import { counterIncrement, resolveKey, resolveVisible, resolvedDead, restartOrigin } from './counter-view.js';
import { DotMapWrite, emptyDotMap, encodeDotMap, type DotMapState } from './dot-map.js';
import { rememberDotMap } from './dot-map-cache.js';
import type { CollectionKind, Sibling, VersionedObject, WritePayload } from './types.js';

/**
 * Writes to hashes and sets, decided by the coordinating replica from its
 * own copy (as increments are), so writes through different nodes at once
 * merge instead of conflicting. Each op names the members it touches; the
 * reply is what the coordinating replica saw (HSET's count of new fields,
 * SREM's removed members), as in Redis.
 *
 * `max` is the entry node's --max-collection-members and `maxBytes` its
 * --max-value-bytes: a write that would leave more members, or a stored
 * collection larger than a value may be, is refused before anything is
 * stored (a collection is one record, rewritten whole by every write).
 */
export type CollectionOp =
  | { readonly t: 'hset'; readonly pairs: ReadonlyArray<readonly [Buffer, Buffer]>; readonly nx: boolean; readonly max: number; readonly maxBytes: number }
  | { readonly t: 'hsetif'; readonly name: Buffer; readonly expect: Buffer | null; readonly value: Buffer; readonly max: number; readonly maxBytes: number }
  | { readonly t: 'hdel'; readonly names: readonly Buffer[] }
  | { readonly t: 'hincrby'; readonly name: Buffer; readonly delta: bigint; readonly max: number; readonly maxBytes: number }
  | { readonly t: 'sadd'; readonly names: readonly Buffer[]; readonly max: number; readonly maxBytes: number }
  | { readonly t: 'srem'; readonly names: readonly Buffer[] }
  | { readonly t: 'sreplace'; readonly names: readonly Buffer[]; readonly max: number; readonly maxBytes: number };

/** An op's answer: an integer, a bulk string (or null), or members. */
export type OpReply = bigint | Buffer | null | Buffer[];

export type OpRefusal = 'wrong-type' | 'not-an-integer' | 'overflow' | 'too-many' | 'too-large' | 'changed';

export type OpOutcome = { readonly payload: Omit<WritePayload, 'ts'>; readonly reply: OpReply } | { readonly refused: OpRefusal };

function kindOf(op: CollectionOp): CollectionKind {
  return op.t.startsWith('h') ? 'hash' : 'set';
}

/**
 * The state an op builds on: the key's live collection of the op's kind (an
 * emptied one too: its context must stay, so a concurrent add elsewhere
 * still survives), a new one after a deleted or expired value, or a refusal
 * when the key holds another type (unless the op overwrites any type).
 */
function baseState(local: VersionedObject | undefined, kind: CollectionKind, now: number, overwrite: boolean): { state: DotMapState; expireAt: number } | 'wrong-type' {
  const r = local ? resolveKey(local) : undefined;
  if (!r) return { state: emptyDotMap(NO_ORIGIN), expireAt: 0 };
  const expired = r.sibling.expireAt !== 0 && r.sibling.expireAt <= now;
  if (r.collection && r.sibling.kind === kind && !expired) return { state: r.collection, expireAt: r.sibling.expireAt };
  if (!overwrite && !resolvedDead(r, now)) return 'wrong-type';
  return { state: emptyDotMap(restartOrigin(r)), expireAt: 0 };
}

export function applyCollectionOp(local: VersionedObject | undefined, op: CollectionOp, actor: string, now: number): OpOutcome {
  const kind = kindOf(op);
  // The STORE forms replace whatever the key held, as in Redis.
  const base = baseState(local, kind, now, op.t === 'sreplace');
  if (base === 'wrong-type') return { refused: 'wrong-type' };
  const w = new DotMapWrite(base.state, actor, now);
  let reply: OpReply;
  switch (op.t) {
    case 'hset': {
      let added = 0n;
      for (const [name, value] of op.pairs) {
        const field = name.toString('latin1');
        const had = w.has(field);
        if (op.nx && had) continue;
        if (!had) added++;
        w.set(field, value);
      }
      reply = added;
      break;
    }
    case 'hsetif': {
      const field = op.name.toString('latin1');
      const cur = fieldValue(w, field, now);
      if (op.expect === null ? cur !== undefined : cur === undefined || !cur.equals(op.expect)) return { refused: 'changed' };
      w.set(field, op.value);
      reply = op.value;
      break;
    }
    case 'hincrby': {
      const field = op.name.toString('latin1');
      const entries = w.get(field);
      const inc = counterIncrement(entries ? { clock: {}, siblings: entries } : undefined, actor, op.delta, now);
      if ('refused' in inc) return { refused: inc.refused };
      w.set(field, inc.payload.value, true);
      reply = fieldTotal(w, field, now);
      break;
    }
    case 'hdel':
    case 'srem': {
      const removed: Buffer[] = [];
      for (const name of op.names) if (w.remove(name.toString('latin1'))) removed.push(name);
      reply = op.t === 'hdel' ? BigInt(removed.length) : removed;
      break;
    }
    case 'sadd': {
      let added = 0n;
      // Every add takes a new dot, the member's present or not: a concurrent remove elsewhere did not see it (add-wins).
      for (const name of op.names) {
        const member = name.toString('latin1');
        if (!w.has(member)) added++;
        w.set(member, EMPTY);
      }
      reply = added;
      break;
    }
    case 'sreplace': {
      for (const name of [...w.names()]) w.remove(name);
      for (const name of op.names) w.set(name.toString('latin1'), EMPTY);
      reply = BigInt(w.size);
      break;
    }
  }
  if ('max' in op && w.size > op.max && w.size > base.state.entries.size) return { refused: 'too-many' };
  const state = w.done();
  const empty = state.entries.size === 0;
  const value = encodeDotMap(state);
  if ('maxBytes' in op && value.length > op.maxBytes) return { refused: 'too-large' };
  rememberDotMap(value, state);
  // An emptied collection is stored as a tombstone that keeps its state: it reads as absent, and its context still decides merges.
  // The STORE forms replace the key, its expiry too, as Redis's do.
  const expireAt = empty || op.t === 'sreplace' ? 0 : base.expireAt;
  return { payload: { value, kind, tombstone: empty, expireAt }, reply };
}

const EMPTY = Buffer.alloc(0);

/** A field as HGET reads it: the newest of its entries, a counter as its total. */
export function fieldValue(w: { get(name: string): readonly Sibling[] | undefined }, field: string, now: number): Buffer | undefined {
  const entries = w.get(field);
  if (!entries) return undefined;
  return resolveVisible({ clock: {}, siblings: entries }, now)?.value;
}

function fieldTotal(w: DotMapWrite, field: string, now: number): bigint {
  return BigInt(fieldValue(w, field, now)!.toString('latin1'));
}

/** Op wire form (a forwarded write): u8 tag | fields. */
const TAGS = ['hset', 'hsetif', 'hdel', 'hincrby', 'sadd', 'srem', 'sreplace'] as const;

function writeList(w: Writer, list: readonly Buffer[]): void {
  w.varint(list.length);
  for (const b of list) w.bytes(b);
}

function readList(r: Reader): Buffer[] {
  const n = r.varint();
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) out.push(Buffer.from(r.bytes()));
  return out;
}

export function encodeOp(op: CollectionOp): Buffer {
  const w = new Writer(64);
  w.u8(TAGS.indexOf(op.t));
  switch (op.t) {
    case 'hset':
      w.u8(op.nx ? 1 : 0);
      writeList(w, op.pairs.flatMap(([f, v]) => [f, v]));
      break;
    case 'hsetif':
      w.bytes(op.name);
      w.u8(op.expect === null ? 0 : 1);
      if (op.expect !== null) w.bytes(op.expect);
      w.bytes(op.value);
      break;
    case 'hincrby':
      w.bytes(op.name);
      w.bytes(Buffer.from(op.delta.toString(), 'latin1'));
      break;
    default:
      writeList(w, op.names);
  }
  if ('max' in op) {
    w.varint(op.max);
    w.varint(op.maxBytes);
  }
  return Buffer.from(w.done());
}

export function decodeOp(buf: Buffer): CollectionOp {
  const r = new Reader(buf);
  const t = TAGS[r.u8()];
  let op: CollectionOp;
  switch (t) {
    case 'hset': {
      const nx = r.u8() === 1;
      const flat = readList(r);
      if (flat.length % 2 !== 0) throw corrupt('odd hset list');
      const pairs: Array<[Buffer, Buffer]> = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
      op = { t, pairs, nx, max: r.varint(), maxBytes: r.varint() };
      break;
    }
    case 'hsetif': {
      const name = Buffer.from(r.bytes());
      const expect = r.u8() === 1 ? Buffer.from(r.bytes()) : null;
      op = { t, name, expect, value: Buffer.from(r.bytes()), max: r.varint(), maxBytes: r.varint() };
      break;
    }
    case 'hincrby': {
      const name = Buffer.from(r.bytes());
      const text = r.bytes().toString('latin1');
      if (!/^-?[0-9]{1,20}$/.test(text)) throw corrupt('bad increment');
      op = { t, name, delta: BigInt(text), max: r.varint(), maxBytes: r.varint() };
      break;
    }
    case 'hdel':
    case 'srem':
      op = { t, names: readList(r) };
      break;
    case 'sadd':
    case 'sreplace':
      {
        const names = readList(r);
        op = { t, names, max: r.varint(), maxBytes: r.varint() };
      }
      break;
    default:
      throw corrupt('unknown collection op');
  }
  if (!r.atEnd()) throw corrupt('trailing bytes');
  return op;
}

/** Reply wire form: u8 0 int (decimal) | 1 bulk | 2 null | 3 list. */
export function encodeOpReply(reply: OpReply): Buffer {
  const w = new Writer(32);
  if (typeof reply === 'bigint') {
    w.u8(0);
    w.bytes(Buffer.from(reply.toString(), 'latin1'));
  } else if (reply === null) {
    w.u8(2);
  } else if (Buffer.isBuffer(reply)) {
    w.u8(1);
    w.bytes(reply);
  } else {
    w.u8(3);
    writeList(w, reply);
  }
  return Buffer.from(w.done());
}

export function decodeOpReply(buf: Buffer): OpReply {
  const r = new Reader(buf);
  const tag = r.u8();
  let out: OpReply;
  if (tag === 0) {
    const text = r.bytes().toString('latin1');
    if (!/^-?[0-9]{1,20}$/.test(text)) throw corrupt('bad integer reply');
    out = BigInt(text);
  } else if (tag === 1) out = Buffer.from(r.bytes());
  else if (tag === 2) out = null;
  else if (tag === 3) out = readList(r);
  else throw corrupt('unknown reply');
  if (!r.atEnd()) throw corrupt('trailing bytes');
  return out;
}

export type { DotMapState };
