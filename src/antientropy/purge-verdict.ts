import { isDeadObject } from '../versioning/object.js';
import type { VersionedObject } from '../versioning/types.js';
import { deadSince } from './version-hash.js';

/**
 * One replica's answer to "may this exact version of the key be purged?",
 * judged on its own copy, its own clock and its own horizon
 * (Agreements.purgeHorizon on its own clock):
 *
 * - dead     it holds that version, and it has been dead since at or before the horizon
 * - absent   it holds no record of the key: nothing here can bring it back
 *
 * and the refusals (the record is kept):
 *
 * - changed       it holds another version (newer, older or concurrent)
 * - live          some sibling is neither a tombstone nor expired by its clock
 * - within-grace  dead, but not long enough by its clock and agreements
 * - not-replica   it does not replicate the key's range in its ring view
 * - unreadable    its copy cannot be decoded
 *
 * A purge goes ahead only where every replica of the range answered dead or
 * absent, so a node whose clock runs ahead can propose but never decide.
 */
export type PurgeRefusal = 'changed' | 'live' | 'within-grace' | 'not-replica' | 'unreadable';
export type PurgeVerdict = 'dead' | 'absent' | PurgeRefusal;

export const PURGE_REFUSALS: readonly PurgeRefusal[] = ['changed', 'live', 'within-grace', 'not-replica', 'unreadable'];

/** The verdicts that let a purge go ahead. */
export function allowsPurge(v: string): boolean {
  return v === 'dead' || v === 'absent';
}

export function isPurgeVerdict(v: unknown): v is PurgeVerdict {
  return v === 'dead' || v === 'absent' || PURGE_REFUSALS.includes(v as PurgeRefusal);
}

/**
 * The verdict on a record held here. sameVersion says whether it is the
 * version asked about; horizon is null when this node has no range holding
 * the key.
 */
export function judgeRecord(held: VersionedObject, sameVersion: boolean, now: number, horizon: number | null): PurgeVerdict {
  if (!sameVersion) return 'changed';
  if (held.siblings.length === 0 || !isDeadObject(held, now)) return 'live';
  if (horizon === null) return 'not-replica';
  // A timestamp from a clock running ahead makes the record look younger here, never older.
  return deadSince(held) <= horizon ? 'dead' : 'within-grace';
}
