import { QkvError } from '../core/errors.js';
import { Reader, Writer, corrupt } from './bytes.js';
import type { Sibling, VersionVector, VersionedObject } from './types.js';

/**
 * Binary forms of clocks and versioned objects: the stored record and the
 * opaque context clients hold. Hand-rolled varints, because this runs on every
 * read and write and a generic codec would store field names per record.
 *
 * object: u8 format(1) | clock | varint siblings | sibling*
 * clock:  varint entries | (varint idLen | id utf8 | varint counter)*
 * sibling: varint clockIndex(of dot node) | varint counter | f64 ts | u8 flags
 *          | [f64 expireAt if flags&2] | varint valueLen | value
 * flags: 1 tombstone, 2 expires, 4 counter (the value is a counter state, counter.ts),
 *        8 hash, 16 set (the value is a collection's state, dot-map.ts)
 *
 * Decoding refuses what no writer produces and the merge rules cannot take: a
 * dot the clock does not cover (or counter 0, which every clock covers), two
 * siblings with one dot, a NaN timestamp (it would make the newest sibling
 * depend on sibling order), numbers past 2^53.
 */
const FORMAT = 1;
const FLAG_TOMBSTONE = 1;
const FLAG_EXPIRES = 2;
const FLAG_COUNTER = 4;
const FLAG_HASH = 8;
const FLAG_SET = 16;

function writeClock(w: Writer, clock: VersionVector): string[] {
  const ids = Object.keys(clock).sort();
  w.varint(ids.length);
  for (const id of ids) {
    w.bytes(Buffer.from(id, 'utf8'));
    w.varint(clock[id]!);
  }
  return ids;
}

function readClock(r: Reader): { clock: VersionVector; ids: string[] } {
  const n = r.varint();
  const clock: VersionVector = Object.create(null) as VersionVector;
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.bytes().toString('utf8');
    const counter = r.varint();
    if (id in clock) throw corrupt('duplicate clock entry');
    clock[id] = counter;
    ids.push(id);
  }
  return { clock: { ...clock }, ids };
}

export function encodeObject(obj: VersionedObject): Buffer {
  let hint = 32;
  for (const node in obj.clock) hint += node.length + 12;
  for (const s of obj.siblings) hint += s.value.length + 32;
  const w = new Writer(hint);
  w.u8(FORMAT);
  const ids = writeClock(w, obj.clock);
  w.varint(obj.siblings.length);
  for (const s of obj.siblings) {
    const idx = ids.indexOf(s.dot.node);
    if (idx < 0) throw corrupt('sibling dot outside the clock');
    w.varint(idx);
    w.varint(s.dot.counter);
    w.f64(s.ts);
    w.u8((s.tombstone ? FLAG_TOMBSTONE : 0) | (s.expireAt ? FLAG_EXPIRES : 0) | (s.counter ? FLAG_COUNTER : 0) | kindFlag(s));
    if (s.expireAt) w.f64(s.expireAt);
    w.bytes(s.value);
  }
  // The result owns exactly its bytes: it is kept by the store and sent to peers.
  return Buffer.from(w.done());
}

function kindFlag(s: Sibling): number {
  if (s.kind === 'hash') return FLAG_HASH;
  return s.kind === 'set' ? FLAG_SET : 0;
}

export function decodeObject(buf: Buffer): VersionedObject {
  const r = new Reader(buf);
  if (r.u8() !== FORMAT) throw corrupt('unknown format');
  const { clock, ids } = readClock(r);
  const n = r.varint();
  const siblings: Sibling[] = [];
  const dots = new Set<string>();
  for (let i = 0; i < n; i++) {
    const idx = r.varint();
    const node = ids[idx];
    if (node === undefined) throw corrupt('dot index out of range');
    const counter = r.varint();
    if (counter === 0 || counter > clock[node]!) throw corrupt('sibling dot outside the clock');
    const dot = `${idx}:${counter}`;
    if (dots.has(dot)) throw corrupt('duplicate sibling dot');
    dots.add(dot);
    const ts = r.f64();
    const flags = r.u8();
    const expireAt = flags & FLAG_EXPIRES ? r.f64() : 0;
    if (Number.isNaN(ts) || Number.isNaN(expireAt)) throw corrupt('timestamp is not a number');
    const value = Buffer.from(r.bytes());
    const sibling: Sibling = { dot: { node, counter }, value, ts, tombstone: (flags & FLAG_TOMBSTONE) !== 0, expireAt };
    if ((flags & FLAG_HASH) !== 0 && (flags & FLAG_SET) !== 0) throw corrupt('sibling is both a hash and a set');
    // Only counters and collections carry their fields, so plain records decode to exactly what was written.
    if (flags & FLAG_COUNTER) siblings.push({ ...sibling, counter: true });
    else if (flags & FLAG_HASH) siblings.push({ ...sibling, kind: 'hash' });
    else if (flags & FLAG_SET) siblings.push({ ...sibling, kind: 'set' });
    else siblings.push(sibling);
  }
  if (!r.atEnd()) throw corrupt('trailing bytes');
  return { clock, siblings };
}

/** The opaque context a client holds: the clock in base64url. */
export function encodeContext(clock: VersionVector): string {
  const w = new Writer();
  writeClock(w, clock);
  return w.done().toString('base64url');
}

export function decodeContext(text: string | Buffer): VersionVector {
  const s = typeof text === 'string' ? text : text.toString('latin1');
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new QkvError('ERR', 'invalid context');
  try {
    const r = new Reader(Buffer.from(s, 'base64url'));
    const { clock } = readClock(r);
    if (!r.atEnd()) throw corrupt('trailing bytes');
    return clock;
  } catch {
    throw new QkvError('ERR', 'invalid context');
  }
}
