import { counterOf, covers, joinClocks, setCounter } from './clock.js';
import { Reader, Writer, corrupt } from './bytes.js';
import { NO_ORIGIN, compareOrigins, type CounterOrigin } from './counter.js';
import type { Dot, DotMapState, Sibling, VersionVector } from './types.js';

export type { DotMapState };

/**
 * The state of a hash or a set: an observed-remove map from names (fields,
 * members) to dotted entries, with a causal context, as Riak's maps and
 * ORSWOT keep one. Each write issues one dot from its actor and tags the
 * entries it adds with it; it removes entries by their dots (those it saw).
 * A merge keeps an entry that both sides hold, or that one side holds and
 * the other has not seen (its dot is not in the other's context); so a
 * remove takes away only what it saw, and a concurrent add survives it
 * (add-wins), and writes of different names through different nodes all
 * survive.
 *
 * A name's entries are siblings of that name: concurrent writes of one field
 * keep both values (HGET answers the newest, as GET does); a field's entries
 * can be counters (counter.ts), so HINCRBY through several nodes at once
 * counts every increment. A set's entries carry an empty value.
 *
 * Like a counter, a state remembers the write it started from (its origin):
 * between states that started from different writes, the newer origin wins
 * whole (a DEL or SET the other did not see ends it). Names are kept as
 * latin1 strings, which map bytes one to one.
 */

export function emptyDotMap(origin: CounterOrigin = NO_ORIGIN, clock: VersionVector = {}): DotMapState {
  return { origin, clock, entries: new Map() };
}

function sameDot(a: Dot, b: Dot): boolean {
  return a.node === b.node && a.counter === b.counter;
}

/** The entries of one name that survive a merge (see above). */
function mergeEntries(a: readonly Sibling[], aClock: VersionVector, b: readonly Sibling[], bClock: VersionVector): Sibling[] {
  const out: Sibling[] = [];
  for (const e of a) {
    if (!covers(bClock, e.dot) || b.some((f) => sameDot(e.dot, f.dot))) out.push(e);
  }
  for (const e of b) {
    if (covers(aClock, e.dot)) continue;
    if (!out.some((f) => sameDot(e.dot, f.dot))) out.push(e);
  }
  // Unchanged: keep a's array, so its encoded piece is reused (encodeDotMap).
  if (out.length === a.length && out.every((e, i) => e === a[i])) return a as Sibling[];
  return out.sort(compareEntryOrder);
}

function compareEntryOrder(a: Sibling, b: Sibling): number {
  if (a.dot.node !== b.dot.node) return a.dot.node < b.dot.node ? -1 : 1;
  return a.dot.counter - b.dot.counter;
}

/** The join of two states: commutative, associative, idempotent; no entry either side added and the other did not see is lost. */
export function mergeDotMaps(a: DotMapState, b: DotMapState): DotMapState {
  const order = compareOrigins(a.origin, b.origin);
  if (order !== 0) return order > 0 ? a : b;
  const entries = new Map<string, Sibling[]>();
  const names = new Set([...a.entries.keys(), ...b.entries.keys()]);
  for (const name of names) {
    const merged = mergeEntries(a.entries.get(name) ?? [], a.clock, b.entries.get(name) ?? [], b.clock);
    if (merged.length > 0) entries.set(name, merged);
  }
  return { origin: a.origin, clock: joinClocks(a.clock, b.clock), entries };
}

/**
 * Each entries map's names in encoding order (sorted), kept beside it: a
 * write derives its order from its base's by inserting and removing the
 * names it added and removed, so a big collection is not sorted again on
 * every write.
 */
const orders = new WeakMap<ReadonlyMap<string, readonly Sibling[]>, readonly string[]>();

export function sortedNames(entries: ReadonlyMap<string, readonly Sibling[]>): readonly string[] {
  let order = orders.get(entries);
  if (!order) {
    order = [...entries.keys()].sort();
    orders.set(entries, order);
  }
  return order;
}

/** Index of the first name not below `name` (binary search in a sorted list). */
function lowerBound(list: readonly string[], name: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A write on a state: one new dot for `actor`, then entries set or removed under it. */
export class DotMapWrite {
  private readonly entries: Map<string, readonly Sibling[]>;
  private readonly clock: VersionVector;
  private dot: Dot | undefined;
  /** Names this write added that the base did not hold, and base names it removed. */
  private readonly added = new Set<string>();
  private readonly removed = new Set<string>();

  constructor(
    private readonly base: DotMapState,
    private readonly actor: string,
    private readonly ts: number,
  ) {
    this.entries = new Map(base.entries);
    this.clock = { ...base.clock };
  }

  /** The name's entries as they stand in this write. */
  get(name: string): readonly Sibling[] | undefined {
    return this.entries.get(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get size(): number {
    return this.entries.size;
  }

  names(): IterableIterator<string> {
    return this.entries.keys();
  }

  /** Replaces every entry of name (all of them seen) with one new entry. */
  set(name: string, value: Buffer, counter = false): void {
    const dot = this.issue();
    const entry: Sibling = { dot, ts: this.ts, value, tombstone: false, expireAt: 0, ...(counter ? { counter: true } : {}) };
    if (!this.entries.has(name)) {
      if (this.removed.has(name)) this.removed.delete(name);
      else this.added.add(name);
    }
    this.entries.set(name, [entry]);
  }

  /** Removes every entry of name that this write saw; true when there was one. */
  remove(name: string): boolean {
    if (!this.entries.delete(name)) return false;
    if (this.added.has(name)) this.added.delete(name);
    else this.removed.add(name);
    return true;
  }

  done(): DotMapState {
    const known = orders.get(this.base.entries);
    if (known) {
      let order = known;
      if (this.added.size > 0 || this.removed.size > 0) {
        const next = this.removed.size > 0 ? known.filter((n) => !this.removed.has(n)) : [...known];
        for (const name of this.added) next.splice(lowerBound(next, name), 0, name);
        order = next;
      }
      orders.set(this.entries, order);
    }
    return { origin: this.base.origin, clock: this.clock, entries: this.entries };
  }

  /** One dot per write, shared by all its entries: the actor's next counter in this state's context. */
  private issue(): Dot {
    if (!this.dot) {
      const counter = counterOf(this.clock, this.actor) + 1;
      setCounter(this.clock, this.actor, counter);
      this.dot = { node: this.actor, counter };
    }
    return this.dot;
  }
}

/**
 * u8 format(1) | f64 origin ts | origin node | varint origin counter | clock
 * | varint names | (name | varint entries | (varint clockIndex | varint counter
 * | f64 ts | u8 flags | value)*)*, names and entries sorted, so equal states
 * encode to equal bytes. flags: 1 counter.
 */
const FORMAT = 1;
const FLAG_COUNTER = 1;

/**
 * Each name's encoded piece, kept by its entries array: a write copies the
 * map but shares the arrays of the names it does not touch, so encoding the
 * state it leaves re-encodes only the names it changed (a big collection
 * written many times is not re-encoded whole each time). A piece holds
 * indexes into the context's ids, so it is valid only for the same ids.
 */
const PIECE = Symbol('encoded piece');

interface WithPiece {
  [PIECE]?: { readonly ids: string; readonly buf: Buffer };
}

function piece(name: string, es: readonly Sibling[], ids: readonly string[], idsKey: string): Buffer {
  // A property on the array, not a WeakMap: this runs once per name per write.
  const hit = (es as WithPiece)[PIECE];
  if (hit && hit.ids === idsKey) return hit.buf;
  let hint = name.length + 8;
  for (const e of es) hint += e.value.length + 24;
  const w = new Writer(hint);
  w.bytes(Buffer.from(name, 'latin1'));
  w.varint(es.length);
  for (const e of es) {
    const idx = ids.indexOf(e.dot.node);
    if (idx < 0) throw corrupt('entry dot outside the context');
    w.varint(idx);
    w.varint(e.dot.counter);
    w.f64(e.ts);
    w.u8(e.counter ? FLAG_COUNTER : 0);
    w.bytes(e.value);
  }
  const buf = Buffer.from(w.done());
  Object.defineProperty(es, PIECE, { value: { ids: idsKey, buf }, writable: true, configurable: true, enumerable: false });
  return buf;
}

export function encodeDotMap(s: DotMapState): Buffer {
  const ids = Object.keys(s.clock).sort();
  const idsKey = ids.join('\0');
  const names = sortedNames(s.entries);
  const parts = names.map((name) => piece(name, s.entries.get(name)!, ids, idsKey));
  let size = 64 + idsKey.length + ids.length * 10;
  for (const p of parts) size += p.length;
  const w = new Writer(size);
  w.u8(FORMAT);
  w.f64(s.origin.ts);
  w.bytes(Buffer.from(s.origin.node, 'utf8'));
  w.varint(s.origin.counter);
  w.varint(ids.length);
  for (const id of ids) {
    w.bytes(Buffer.from(id, 'utf8'));
    w.varint(s.clock[id]!);
  }
  w.varint(names.length);
  for (const p of parts) w.raw(p);
  return Buffer.from(w.done());
}

export function decodeDotMap(buf: Buffer): DotMapState {
  const r = new Reader(buf);
  if (r.u8() !== FORMAT) throw corrupt('unknown collection format');
  const ts = r.f64();
  if (!Number.isFinite(ts)) throw corrupt('collection origin time is not a number');
  const node = r.bytes().toString('utf8');
  const originCounter = r.varint();
  const nIds = r.varint();
  const clock: VersionVector = {};
  const ids: string[] = [];
  for (let i = 0; i < nIds; i++) {
    const id = r.bytes().toString('utf8');
    if (Object.hasOwn(clock, id)) throw corrupt('duplicate context entry');
    setCounter(clock, id, r.varint());
    ids.push(id);
  }
  const nNames = r.varint();
  const entries = new Map<string, Sibling[]>();
  for (let i = 0; i < nNames; i++) {
    const name = r.bytes().toString('latin1');
    if (entries.has(name)) throw corrupt('duplicate collection name');
    const n = r.varint();
    const es: Sibling[] = [];
    for (let j = 0; j < n; j++) {
      const id = ids[r.varint()];
      if (id === undefined) throw corrupt('entry dot index out of range');
      const counter = r.varint();
      if (counter === 0 || counter > counterOf(clock, id)) throw corrupt('entry dot outside the context');
      const ets = r.f64();
      if (Number.isNaN(ets)) throw corrupt('entry time is not a number');
      const flags = r.u8();
      const value = Buffer.from(r.bytes());
      es.push({ dot: { node: id, counter }, ts: ets, value, tombstone: false, expireAt: 0, ...(flags & FLAG_COUNTER ? { counter: true } : {}) });
    }
    if (es.length === 0) throw corrupt('collection name without entries');
    entries.set(name, es);
  }
  if (!r.atEnd()) throw corrupt('trailing bytes');
  // Names were written sorted; a list that is not sorted is not a writer's.
  const order = [...entries.keys()];
  for (let i = 1; i < order.length; i++) if (!(order[i - 1]! < order[i]!)) throw corrupt('collection names out of order');
  orders.set(entries, order);
  return { origin: { ts, node, counter: originCounter }, clock, entries };
}
