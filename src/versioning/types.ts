/**
 * Dotted version vectors, per-sibling form (as Riak 2.0 stores them): an
 * object carries one causal clock for everything it has seen and each live
 * sibling carries the single dot that created it. A write's context removes
 * exactly the siblings whose dots it covers, so siblings are bounded by the
 * number of truly concurrent writers.
 */

/**
 * node id -> highest counter seen from that node (a safe integer, at least 1
 * in the clocks of versions). Read an entry with counterOf and write one with
 * setCounter: ids such as 'constructor' are valid node ids, and `clock[id] ?? 0`
 * would read Object.prototype for them.
 */
export type VersionVector = Record<string, number>;

/** The event that created a sibling: the coordinating replica and its counter. */
export interface Dot {
  readonly node: string;
  readonly counter: number;
}

export interface Sibling {
  readonly dot: Dot;
  /** The value; empty for a tombstone. */
  readonly value: Buffer;
  /** Wall-clock ms at the coordinating replica; orders siblings for plain GET. */
  readonly ts: number;
  readonly tombstone: boolean;
  /** Absolute expiry in epoch ms, 0 for none. */
  readonly expireAt: number;
  /** True when value is a counter's state (counter.ts) rather than the value itself. */
  readonly counter?: boolean;
  /**
   * Set when value is a hash's or a set's state (dot-map.ts). Such a sibling
   * may also be a tombstone: a write that empties a collection keeps its
   * context, so a concurrent add elsewhere still survives it.
   */
  readonly kind?: CollectionKind;
  /** Only on the view a read resolves a collection to: its merged state (value is that state encoded). */
  readonly collection?: DotMapState;
  /**
   * Only on the view a read resolves a counter to (counter-view.ts), whose
   * value is the total as text: the merged state, so a write that keeps the
   * value (EXPIRE, PERSIST) keeps the counter.
   */
  readonly counterState?: Buffer;
}

export type CollectionKind = 'hash' | 'set';

export interface VersionedObject {
  readonly clock: VersionVector;
  readonly siblings: readonly Sibling[];
}

/** What a coordinated write puts in its new sibling. */
export interface WritePayload {
  readonly value: Buffer;
  /** The value is a counter's state (counter.ts). */
  readonly counter?: boolean;
  /** The value is a collection's state (dot-map.ts). */
  readonly kind?: CollectionKind;
  readonly tombstone: boolean;
  readonly expireAt: number;
  readonly ts: number;
}

/** The write a counter or a collection counts from (counter.ts): ordered by (ts, node, counter). */
export interface Origin {
  readonly ts: number;
  readonly node: string;
  readonly counter: number;
}

/** A hash's or a set's state: an observed-remove map of named entries with its causal context (dot-map.ts). */
export interface DotMapState {
  readonly origin: Origin;
  readonly clock: VersionVector;
  readonly entries: ReadonlyMap<string, readonly Sibling[]>;
}
