import type { NOT_CACHED } from '../storage/local-store.js';
import type { ConsistencyLevel } from './consistency.js';
import type { Holder } from './key-holds.js';
import type { CollectionOp, OpReply } from '../versioning/collection-ops.js';
import type { CollectionKind, VersionVector, VersionedObject, WritePayload } from '../versioning/types.js';

/**
 * What the command layer asks of the cluster. One implementation per
 * topology: a single node (N=1) now, the ring coordinator for clusters.
 * Every method may reject with QkvError codes UNAVAILABLE, TIMEOUT, CONFLICT.
 */

export { NOT_CACHED } from '../storage/local-store.js';

export interface ReadOptions {
  /** Replies to wait for; defaults to the configured R. */
  readonly r?: number;
  /** A consistency level instead of R (consistency.ts); one of them per request. */
  readonly cl?: ConsistencyLevel;
}

export interface WriteOptions {
  /** Acknowledgements to wait for; defaults to the configured W. */
  readonly w?: number;
  /**
   * How many of the W acknowledgements must come from home replicas (the
   * first N of the preference list), 0..N. Defaults to 0 when the node allows
   * a sloppy quorum (stand-ins holding hints count toward W) and to W when it
   * does not (only home replicas count). PW > W waits for PW acknowledgements.
   */
  readonly pw?: number;
  /** A consistency level instead of W and PW (consistency.ts); one of them per request. */
  readonly cl?: ConsistencyLevel;
  /** Told how many replicas had acknowledged when the write was acknowledged. */
  readonly onAcks?: (acks: WriteAcks) => void;
  /** Told a collection write's answer (WriteRequest.op), as the coordinating replica worked it out. */
  readonly onReply?: (reply: OpReply) => void;
  /**
   * Told when the write made the key exist: the coordinating replica held no
   * live version of it before (notify-keyspace-events n).
   */
  readonly onCreated?: () => void;
  /** The script holding the key (holding()), whose own writes go ahead while others wait. */
  readonly holder?: Holder;
}

/** Acknowledgements a write had when it was acknowledged: home replicas, and all (home plus stand-ins). */
export interface WriteAcks {
  readonly home: number;
  readonly total: number;
}

/**
 * Which versions a write supersedes:
 * - blind: none (a new sibling, concurrent with what exists),
 * - context: exactly those the given clock covers,
 * - local: everything the coordinating replica holds (plain SET/DEL).
 */
export type Supersedes =
  | { readonly kind: 'blind' }
  | { readonly kind: 'context'; readonly clock: VersionVector }
  | { readonly kind: 'local' };

export interface WriteRequest {
  readonly value: Buffer;
  readonly tombstone: boolean;
  /** Absolute expiry in epoch ms, 0 for none. */
  readonly expireAt: number;
  readonly supersedes: Supersedes;
  /** Refuse with CONFLICT unless the coordinating replica's clock equals this one (QSET IF). */
  readonly ifClock?: VersionVector;
  /** value is a counter's state (a write that keeps a counter, such as EXPIRE of one). */
  readonly counter?: boolean;
  /** value is a collection's state (a write that keeps a hash or a set, such as EXPIRE or RENAME of one). */
  readonly kind?: CollectionKind;
  /**
   * An increment (INCRBY): the coordinating replica adds it to the counter it
   * holds (versioning/counter-view.ts) and supersedes its whole copy; value,
   * tombstone and expireAt are not used. Refused with ERR when the key holds
   * something that is not an integer or the total would leave int64.
   */
  readonly counterDelta?: bigint;
  /**
   * A write to a hash or a set (versioning/collection-ops.ts): the
   * coordinating replica applies it to the collection it holds and
   * supersedes its whole copy; value, tombstone and expireAt are not used.
   * Refused with WRONGTYPE when the key holds another type.
   */
  readonly op?: CollectionOp;
}

/** What a read-modify-write decides after seeing the current object. */
export type UpdateDecision<T> =
  | { readonly write: Omit<WritePayload, 'ts'>; readonly result: T }
  | { readonly write: null; readonly result: T };

export interface KvApi {
  /** Merged object from R replicas (with read repair), or undefined if no replica has the key. */
  read(key: Buffer, opts?: ReadOptions): Promise<VersionedObject | undefined>;
  readMany(keys: readonly Buffer[], opts?: ReadOptions): Promise<Array<VersionedObject | undefined>>;
  /** Writes and returns the object as the coordinating replica stored it. */
  write(key: Buffer, req: WriteRequest, opts?: WriteOptions): Promise<VersionedObject>;
  /**
   * Read-modify-write: a quorum read, then `decide`, then a write whose context
   * is what was read, conditional on it being unchanged (CONFLICT otherwise).
   * Runs under the coordinating replica's per-key lock, so it is atomic against
   * other updates coordinated by the same node; not linearizable across nodes.
   */
  update<T>(key: Buffer, decide: (current: VersionedObject | undefined) => UpdateDecision<T>, opts?: WriteOptions & ReadOptions): Promise<T>;
  /**
   * read()'s answer when it is in memory and nothing on the key is pending,
   * with no promise in between (the fast path of GET); NOT_CACHED otherwise.
   * Only a coordinator that answers reads alone (R = 1 on one node) has it.
   */
  readCached?(key: Buffer): VersionedObject | undefined | typeof NOT_CACHED;
  /** This node's own copy, no coordination (QLOCAL). */
  readLocal(key: Buffer): Promise<VersionedObject | undefined>;
  /** Live keys of the whole cluster from ring position `cursor`; next is 0n when done. */
  scan(cursor: bigint, count: number): Promise<{ keys: Array<{ key: Buffer; obj: VersionedObject }>; next: bigint }>;
  /** Live keys in the whole cluster. */
  dbsize(): Promise<number>;
  /** Removes every key everywhere; refuses unless every member is reachable. */
  flushAll(): Promise<void>;
  /**
   * Runs `run` holding `keys` at this node: every other write this node
   * coordinates on them waits until it ends, while the writes made through
   * the KvApi it is given go ahead (key-holds.ts). Only a cluster's
   * coordinator has it; a single node's scripts are held by the script gate.
   */
  holding?<T>(keys: readonly Buffer[], run: (kv: KvApi) => Promise<T>): Promise<T>;
  /** Replication settings in force, for INFO and for validating per-request R/W. */
  readonly n: number;
  readonly r: number;
  readonly w: number;
}
