import { Reader, Writer, corrupt } from './bytes.js';
import type { Origin } from './types.js';

/**
 * Counters that merge (INCR, DECR, INCRBY, DECRBY), a PN-counter as Riak
 * keeps one: each actor's increments and decrements are its own entry, a
 * merge takes each actor's larger counts, and the value is the sum. So
 * increments made through different nodes at once are all counted, where a
 * conditional read-modify-write would refuse all but one.
 *
 * A counter also remembers the write it started from (its origin): the SET
 * whose integer it counts up from, the delete or expiry it restarted after,
 * or nothing for a key that never existed. A SET replaces a counter: it
 * supersedes the counter siblings it saw (their dots are in its context),
 * and among writes that did not see each other the newest origin wins (see
 * counter-view.ts), so a counter never counts on top of a value it did not
 * start from.
 *
 * A state lives in a sibling's value (Sibling.counter). Concurrent writers
 * leave concurrent siblings, which the dotted version vectors keep apart
 * like any others; reads fold them with mergeCounters, and the next
 * increment writes the fold, superseding them.
 */

/** The write a counter counts from: ordered by (ts, node, counter), like plain GET orders siblings. */
export type CounterOrigin = Origin;

/** The origin of a counter on a key that never existed: below every write. */
export const NO_ORIGIN: CounterOrigin = { ts: 0, node: '', counter: 0 };

export interface CounterEntry {
  readonly inc: bigint;
  readonly dec: bigint;
}

export interface CounterState {
  readonly origin: CounterOrigin;
  /** The value at the origin (the SET's integer; 0 after a delete or for a new key). */
  readonly base: bigint;
  /** Per actor: everything it added and everything it took away since the origin. */
  readonly entries: ReadonlyMap<string, CounterEntry>;
}

export function compareOrigins(a: CounterOrigin, b: CounterOrigin): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  if (a.node !== b.node) return a.node < b.node ? -1 : 1;
  return a.counter - b.counter;
}

/** A new counter at origin with value base and no increments. */
export function newCounter(origin: CounterOrigin, base: bigint): CounterState {
  return { origin, base, entries: new Map() };
}

export function counterTotal(s: CounterState): bigint {
  let total = s.base;
  for (const e of s.entries.values()) total += e.inc - e.dec;
  return total;
}

/** s with delta added to actor's entry (increments and decrements kept apart, so a merge can take maxima). */
export function addToCounter(s: CounterState, actor: string, delta: bigint): CounterState {
  const entries = new Map(s.entries);
  const e = entries.get(actor) ?? { inc: 0n, dec: 0n };
  entries.set(actor, delta >= 0n ? { inc: e.inc + delta, dec: e.dec } : { inc: e.inc, dec: e.dec - delta });
  return { origin: s.origin, base: s.base, entries };
}

/**
 * The join of two states: the newer origin wins whole (its counts started
 * after a write the other did not see); on one origin, each actor's larger
 * counts. Commutative, associative and idempotent; on one origin no count
 * of either side is lost.
 */
export function mergeCounters(a: CounterState, b: CounterState): CounterState {
  const order = compareOrigins(a.origin, b.origin);
  if (order !== 0) return order > 0 ? a : b;
  const entries = new Map(a.entries);
  for (const [actor, e] of b.entries) {
    const mine = entries.get(actor);
    entries.set(actor, mine ? { inc: max(mine.inc, e.inc), dec: max(mine.dec, e.dec) } : e);
  }
  // One origin means one base; should two ever differ, the larger is taken on every replica alike.
  return { origin: a.origin, base: max(a.base, b.base), entries };
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/**
 * u8 format(1) | f64 origin ts | origin node | varint origin counter | base
 * | varint entries | (actor | inc | dec)*, actors sorted, so equal states
 * encode to equal bytes; numbers as decimal text (they are bigints).
 */
const FORMAT = 1;

export function encodeCounter(s: CounterState): Buffer {
  const w = new Writer(48 + s.entries.size * 40);
  w.u8(FORMAT);
  w.f64(s.origin.ts);
  w.bytes(Buffer.from(s.origin.node, 'utf8'));
  w.varint(s.origin.counter);
  writeBig(w, s.base);
  const actors = [...s.entries.keys()].sort();
  w.varint(actors.length);
  for (const actor of actors) {
    const e = s.entries.get(actor)!;
    w.bytes(Buffer.from(actor, 'utf8'));
    writeBig(w, e.inc);
    writeBig(w, e.dec);
  }
  return Buffer.from(w.done());
}

export function decodeCounter(buf: Buffer): CounterState {
  const r = new Reader(buf);
  if (r.u8() !== FORMAT) throw corrupt('unknown counter format');
  const ts = r.f64();
  if (!Number.isFinite(ts)) throw corrupt('counter origin time is not a number');
  const node = r.bytes().toString('utf8');
  const counter = r.varint();
  const base = readBig(r);
  const n = r.varint();
  const entries = new Map<string, CounterEntry>();
  for (let i = 0; i < n; i++) {
    const actor = r.bytes().toString('utf8');
    const inc = readBig(r);
    const dec = readBig(r);
    if (inc < 0n || dec < 0n) throw corrupt('negative counter entry');
    if (entries.has(actor)) throw corrupt('duplicate counter entry');
    entries.set(actor, { inc, dec });
  }
  if (!r.atEnd()) throw corrupt('trailing bytes');
  return { origin: { ts, node, counter }, base, entries };
}

function writeBig(w: Writer, v: bigint): void {
  w.bytes(Buffer.from(v.toString(), 'latin1'));
}

function readBig(r: Reader): bigint {
  const text = r.bytes().toString('latin1');
  if (!/^-?(0|[1-9][0-9]{0,39})$/.test(text)) throw corrupt('bad counter number');
  return BigInt(text);
}
