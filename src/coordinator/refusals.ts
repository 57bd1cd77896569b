/**
 * The texts of the refusals that come from this node's own state (its disk,
 * its view of the ring) rather than from its peers; each names what happened
 * to the request so a client knows whether it may have been applied.
 */

/** The disk did not answer a read within the request timeout. */
export const localReadTimeout = (ms: number): string => `this node's disk did not answer within ${ms} ms`;

/** The disk took the write but did not make it durable in time: it may still land here, and was sent nowhere else. */
export const localWriteTimeout = (ms: number): string =>
  `this node's disk did not store the write within ${ms} ms; it was not sent to any other replica (it may still be stored here)`;

/** The node stepped aside: its disk fails or stalls, so it refuses before touching anything. */
export const storageUnhealthy = (self: string, problem: string): string => `${self} cannot store writes now (${problem}); nothing was written`;

/** A merge from a peer refused because the disk fails or stalls. */
export const storageUnhealthyMerge = (problem: string): string => `the replica cannot store versions now (${problem})`;

/** A merge whose lock or durable wait outlasted the request timeout. */
export const mergeTimeout = (ms: number): string => `the version was not stored here within ${ms} ms (it may still be)`;

/** A request that needs the ring, while this node's ring is still forming (Redis clusters answer TRYAGAIN while they cannot serve a key yet). */
export const clusterForming = (why: string): string => `cluster is forming: ${why}`;

/** An increment of a value that is not an integer (Redis's words; commands/errors.ts builds ERR_NOT_INTEGER from it). */
export const NOT_AN_INTEGER = 'value is not an integer or out of range';

/** An increment that would take a counter out of int64 (Redis's words; commands/errors.ts builds ERR_OVERFLOW from it). */
export const WOULD_OVERFLOW = 'increment or decrement would overflow';

/** A command for one type on a key holding another (Redis's words). */
export const WRONG_TYPE = 'Operation against a key holding the wrong kind of value';

/** HINCRBY on a field that does not hold an integer (Redis's words). */
export const HASH_NOT_AN_INTEGER = 'hash value is not an integer';

/** A conditional field write (HINCRBYFLOAT) that found the field changed since it was read; the command reads again. */
export const FIELD_CHANGED = 'the field changed since it was read';

/** A hash or set that would grow past --max-collection-members. */
export const tooManyMembers = (max: number): string =>
  `the collection would hold more than ${max} members (--max-collection-members); nothing was written`;

/** A hash or set whose stored record would pass --max-value-bytes (a collection is one record). */
export const collectionTooLarge = (max: number): string =>
  `the collection would take more than ${max} bytes (max-value-bytes); nothing was written`;
