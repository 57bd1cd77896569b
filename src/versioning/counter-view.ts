import {
  NO_ORIGIN,
  addToCounter,
  compareOrigins,
  counterTotal,
  decodeCounter,
  encodeCounter,
  mergeCounters,
  newCounter,
  type CounterOrigin,
  type CounterState,
} from './counter.js';
import { encodeDotMap, mergeDotMaps, type DotMapState } from './dot-map.js';
import { readDotMap } from './dot-map-cache.js';
import type { CollectionKind, Sibling, VersionedObject, WritePayload } from './types.js';

/**
 * How a key with counter siblings reads, and what the next increment
 * writes. Every sibling has an origin: a plain sibling is its own, a counter
 * counts from the write in its state. The newest origin wins (a SET wins
 * over increments that did not see it; concurrent SETs as plain GET orders
 * them); the counter siblings of that origin fold into one total (no
 * increment is lost), and the newest of them gives the expiry.
 */

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function ownOrigin(s: Sibling): CounterOrigin {
  return { ts: s.ts, node: s.dot.node, counter: s.dot.counter };
}

/** The same order newestSibling uses. */
function newer(a: Sibling, b: Sibling): boolean {
  if (a.ts !== b.ts) return a.ts > b.ts;
  if (a.dot.node !== b.dot.node) return a.dot.node > b.dot.node;
  return a.dot.counter > b.dot.counter;
}

export interface Resolved {
  /** The sibling the key reads as (for a counter or a collection, the newest of its kind in the winning origin). */
  readonly sibling: Sibling;
  /** The folded counter, when the key reads as a counter. */
  readonly state?: CounterState;
  /** The folded collection, when the key reads as a hash or a set. */
  readonly collection?: DotMapState;
  /** The folded collection's encoding, when it is one stored sibling's value as it stands. */
  readonly collectionBytes?: Buffer;
}

type Kind = 'plain' | 'counter' | CollectionKind;

interface Parsed {
  readonly sibling: Sibling;
  readonly kind: Kind;
  readonly origin: CounterOrigin;
  readonly counter?: CounterState;
  readonly collection?: DotMapState;
}

function parse(s: Sibling): Parsed {
  if (s.counter) {
    const counter = decodeCounter(s.value);
    return { sibling: s, kind: 'counter', origin: counter.origin, counter };
  }
  if (s.kind) {
    const collection = readDotMap(s.value);
    return { sibling: s, kind: s.kind, origin: collection.origin, collection };
  }
  return { sibling: s, kind: 'plain', origin: ownOrigin(s) };
}

/**
 * The winner among siblings, tombstones and expired ones included (the
 * caller decides what those mean). The newest origin wins. Within it, a
 * counter or collection built on a plain sibling ties with it and wins (it
 * counts from it); siblings of one kind fold into one (no increment or add
 * is lost); should two kinds share an origin (an INCR and an HSET on a new
 * key at once), the kind with the newest sibling wins.
 */
function resolve(obj: VersionedObject): Resolved | undefined {
  const parsed = obj.siblings.map(parse);
  let top: CounterOrigin | undefined;
  for (const p of parsed) if (!top || compareOrigins(p.origin, top) > 0) top = p.origin;
  if (!top) return undefined;
  const group = parsed.filter((p) => compareOrigins(p.origin, top) === 0);
  const typed = group.filter((p) => p.kind !== 'plain');
  if (typed.length === 0) return { sibling: group[0]!.sibling };
  let newest = typed[0]!;
  for (const p of typed) if (newer(p.sibling, newest.sibling)) newest = p;
  const same = typed.filter((p) => p.kind === newest.kind);
  if (newest.kind === 'counter') {
    let state = same[0]!.counter!;
    for (const p of same.slice(1)) state = mergeCounters(state, p.counter!);
    return { sibling: newest.sibling, state };
  }
  let collection = same[0]!.collection!;
  for (const p of same.slice(1)) collection = mergeDotMaps(collection, p.collection!);
  // One sibling of the kind is its own fold: its stored bytes are the state's encoding.
  return { sibling: newest.sibling, collection, ...(same.length === 1 ? { collectionBytes: newest.sibling.value } : {}) };
}

function dead(s: Sibling, now: number): boolean {
  return s.tombstone || (s.expireAt !== 0 && s.expireAt <= now);
}

/**
 * What a key reads as (plain GET), or undefined when absent: a plain
 * sibling as stored, or a counter as a sibling whose value is its total in
 * decimal (with the state in counterState). Keys without counters read as
 * before: the newest sibling.
 */
export function resolveVisible(obj: VersionedObject, now: number): Sibling | undefined {
  const r = resolve(obj);
  if (!r) return undefined;
  if (r.collection) {
    // A collection reads as absent once empty (as in Redis) or expired; a tombstone flag does not end it.
    const s = r.sibling;
    if (r.collection.entries.size === 0 || isExpiredAt(s, now)) return undefined;
    return { dot: s.dot, ts: s.ts, tombstone: false, expireAt: s.expireAt, value: r.collectionBytes ?? encodeDotMap(r.collection), kind: s.kind!, collection: r.collection };
  }
  if (dead(r.sibling, now)) return undefined;
  return r.state ? counterView(r.sibling, r.state) : r.sibling;
}

/** The collection a key holds, live or not (what the next collection write builds on), with its kind. */
export function resolveCollection(obj: VersionedObject | undefined): { kind: CollectionKind; state: DotMapState; sibling: Sibling } | 'other' | undefined {
  const r = obj ? resolve(obj) : undefined;
  if (!r) return undefined;
  if (r.collection) return { kind: r.sibling.kind!, state: r.collection, sibling: r.sibling };
  return 'other';
}

/** The resolved winner, for collection writes deciding what a key holds (counter-view's rules). */
export function resolveKey(obj: VersionedObject): Resolved | undefined {
  return resolve(obj);
}

function isExpiredAt(s: Sibling, now: number): boolean {
  return s.expireAt !== 0 && s.expireAt <= now;
}

function counterView(s: Sibling, state: CounterState): Sibling {
  const value = Buffer.from(counterTotal(state).toString(), 'latin1');
  return { dot: s.dot, ts: s.ts, tombstone: false, expireAt: s.expireAt, value, counterState: encodeCounter(state) };
}

/** A sibling as QGET shows it: a counter sibling as its own total. */
export function shownSibling(s: Sibling): Sibling {
  return s.counter ? counterView(s, decodeCounter(s.value)) : s;
}

/** The total of the key's counter, expired or not (INCR's reply, from the object it wrote). */
export function counterValue(obj: VersionedObject): bigint | undefined {
  const r = resolve(obj);
  return r?.state ? counterTotal(r.state) : undefined;
}

export type CounterRefusal = 'not-an-integer' | 'overflow' | 'wrong-type';

/**
 * What an increment by `actor` writes, given the coordinating replica's copy
 * (the write supersedes all of it): the folded counter plus delta, keeping
 * its expiry; or a counter started from the key's integer value; or, for a
 * missing, deleted or expired key, a new counter from 0 whose origin is the
 * write that ended the old value (so concurrent first increments after it
 * share one origin and all count). Refused when the value is not an integer
 * or the total would leave int64, as Redis refuses.
 */
export function counterIncrement(
  local: VersionedObject | undefined,
  actor: string,
  delta: bigint,
  now: number,
): { payload: Omit<WritePayload, 'ts'> } | { refused: CounterRefusal } {
  const r = local ? resolve(local) : undefined;
  let state: CounterState;
  let expireAt = 0;
  if (!r) {
    state = newCounter(NO_ORIGIN, 0n);
  } else if (resolvedDead(r, now)) {
    state = newCounter(restartOrigin(r), 0n);
  } else if (r.collection) {
    return { refused: 'wrong-type' };
  } else if (r.state) {
    state = r.state;
    expireAt = r.sibling.expireAt;
  } else {
    const base = parseInt64(r.sibling.value);
    if (base === undefined) return { refused: 'not-an-integer' };
    state = newCounter(ownOrigin(r.sibling), base);
    expireAt = r.sibling.expireAt;
  }
  const total = counterTotal(state) + delta;
  if (total > INT64_MAX || total < INT64_MIN) return { refused: 'overflow' };
  const value = encodeCounter(addToCounter(state, actor, delta));
  return { payload: { value, tombstone: false, expireAt, counter: true } };
}

/**
 * The origin of a counter restarted after the key died: the dead sibling's
 * own identity, with a time past the dead counter's origin so the new one
 * orders after it (a clock behind could otherwise put it first).
 */
export function restartOrigin(r: Resolved): CounterOrigin {
  const own = ownOrigin(r.sibling);
  const from = r.state?.origin ?? r.collection?.origin;
  if (!from) return own;
  return { ...own, ts: Math.max(own.ts, from.ts + 1) };
}

/** True when the resolved key reads as absent: deleted or expired, or a collection left empty. */
export function resolvedDead(r: Resolved, now: number): boolean {
  if (r.collection) return r.collection.entries.size === 0 || isExpiredAt(r.sibling, now);
  return dead(r.sibling, now);
}

/** Redis's string2ll: an optional '-', no leading zeros, no spaces, within int64. */
function parseInt64(b: Buffer): bigint | undefined {
  const s = b.toString('latin1');
  if (!/^(0|-?[1-9][0-9]{0,18})$/.test(s)) return undefined;
  const v = BigInt(s);
  return v > INT64_MAX || v < INT64_MIN ? undefined : v;
}
