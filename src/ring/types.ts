import { QkvError } from '../core/errors.js';
import { isValidNodeId } from '../core/ids.js';

/**
 * A member's place in the ring's life cycle: 'joining' members do not own
 * ranges yet (they appear only in the pending ring), 'normal' and 'leaving'
 * members own ranges until the leave completes.
 */
export type MemberState = 'joining' | 'normal' | 'leaving';

/** What the ring needs to know about a member; everything else follows from it. */
export interface RingMember {
  readonly id: string;
  readonly rack: string;
  readonly dc: string;
  /** Tokens this member places on the ring (`--vnodes`). */
  readonly vnodes: number;
  readonly state: MemberState;
}

/**
 * A half-open arc of the ring, `start <= hash < end`. Ranges never wrap: the
 * arc across 2^64 is split at 0, so `end` may be RING_SIZE and `start < end`
 * always holds, matching a storage scan `[from, to)`.
 */
export interface RingRange {
  readonly start: bigint;
  readonly end: bigint;
  /** The preference list of every hash in the range. */
  readonly owners: readonly string[];
}

/** Fractions of the whole ring (0..1). */
export interface Ownership {
  /** The part where the node is first in the preference list. */
  readonly primary: number;
  /** The part where the node is anywhere in the first N. */
  readonly replica: number;
}

/** How the replicas of one range change between two rings. */
export interface RangeChange {
  readonly start: bigint;
  readonly end: bigint;
  readonly before: readonly string[];
  readonly after: readonly string[];
  /** Nodes in `after` but not in `before`: they must receive the range. */
  readonly gained: readonly string[];
  /** Nodes in `before` but not in `after`: they may drop the range once it is streamed. */
  readonly lost: readonly string[];
}

/** Largest vnode count accepted; keeps a typo from building a huge ring. */
export const MAX_VNODES = 4096;

const STATES: ReadonlySet<string> = new Set(['joining', 'normal', 'leaving']);

/** Throws QkvError ERR unless every member is well formed and ids are unique. */
export function validateMembers(members: readonly RingMember[]): void {
  const seen = new Set<string>();
  for (const m of members) {
    // Ids must not contain '#', which separates the id from the vnode index in token names.
    if (!isValidNodeId(m.id)) throw new QkvError('ERR', `invalid ring member id '${m.id}'`);
    if (seen.has(m.id)) throw new QkvError('ERR', `duplicate ring member '${m.id}'`);
    seen.add(m.id);
    if (!Number.isInteger(m.vnodes) || m.vnodes < 1 || m.vnodes > MAX_VNODES) {
      throw new QkvError('ERR', `member '${m.id}' has vnodes ${m.vnodes}, expected an integer in 1..${MAX_VNODES}`);
    }
    if (!STATES.has(m.state)) throw new QkvError('ERR', `member '${m.id}' has unknown state '${String(m.state)}'`);
  }
}

/** Throws QkvError ERR unless n is a usable replica count. */
export function validateReplicaCount(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new QkvError('ERR', `replica count must be a positive integer, got ${n}`);
}
