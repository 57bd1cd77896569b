import type { VersionedObject } from '../versioning/types.js';

/**
 * When a record is due for the expiry sweep. An object is expired when every
 * sibling is a tombstone or expired, so it is indexed at the latest expiry of
 * its live (non-tombstone) siblings, and only if each of them has one. A
 * record of tombstones alone is not indexed: tombstones are collected by the
 * cluster's own rules, not by time alone.
 */
export function recordExpiry(obj: VersionedObject | null | undefined): number {
  if (!obj) return 0;
  let latest = 0;
  for (const s of obj.siblings) {
    if (s.tombstone) continue;
    if (!s.expireAt) return 0;
    if (s.expireAt > latest) latest = s.expireAt;
  }
  return latest;
}

/** True when the record holds live siblings and every one has expired by `now`. */
export function isFullyExpired(obj: VersionedObject | null | undefined, now: number): boolean {
  const at = recordExpiry(obj);
  return at !== 0 && at <= now;
}
