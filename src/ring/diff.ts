import { RING_SIZE } from '../core/hash.js';
import type { Ring } from './ring.js';
import type { RangeChange } from './types.js';

/**
 * What moves between two rings for replica count `n`: the ring split at the
 * union of both rings' range boundaries (so each piece has one preference list
 * in each ring), keeping only the pieces whose replica set changes. Sorted by
 * start. A node in `gained` must be streamed the piece, from any node of
 * `before`; a node in `lost` may drop it afterwards. A change of order alone
 * (same nodes, new primary) moves no data and is not reported.
 */
export function diffRings(oldRing: Ring, newRing: Ring, n: number): RangeChange[] {
  const oldRanges = oldRing.ranges(n);
  const newRanges = newRing.ranges(n);
  const changes: RangeChange[] = [];
  let i = 0;
  let j = 0;
  let start = 0n;
  // Both lists cover [0, 2^64) in order; advance whichever range ends first.
  while (start < RING_SIZE) {
    const a = oldRanges[i]!;
    const b = newRanges[j]!;
    const end = a.end < b.end ? a.end : b.end;
    const gained = b.owners.filter((id) => !a.owners.includes(id));
    const lost = a.owners.filter((id) => !b.owners.includes(id));
    if (gained.length > 0 || lost.length > 0) {
      changes.push({ start, end, before: a.owners, after: b.owners, gained, lost });
    }
    if (a.end === end) i++;
    if (b.end === end) j++;
    start = end;
  }
  return changes;
}
