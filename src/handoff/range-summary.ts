import type { Ring } from '../ring/ring.js';

/** One member's part of the ring, for QKV.RING. */
export interface RingMemberSummary {
  readonly id: string;
  readonly state: 'joining' | 'normal' | 'leaving';
  readonly vnodes: number;
  /** Ranges of the current ring this member is one of the N replicas of. */
  readonly ranges: number;
  /** Shares of the ring (0..1): first replica of, any replica of, and any replica of once pending changes complete. */
  readonly primary: number;
  readonly replica: number;
  readonly pendingReplica: number;
}

export interface RingSummary {
  readonly n: number;
  /** Ranges of the current ring (one per owning token, the wrapping one split in two). */
  readonly ranges: number;
  /** True while some member is joining or leaving. */
  readonly pending: boolean;
  readonly members: RingMemberSummary[];
}

/** The ring's ranges and ownership, per member, now and once pending changes complete. */
export function ringSummary(ring: Ring, n: number): RingSummary {
  const all = ring.ranges(n);
  const pending = ring.pending();
  return {
    n,
    ranges: all.length,
    pending: ring.hasPendingChanges,
    members: ring.members.map((m) => {
      const own = ring.ownership(m.id, n);
      return {
        id: m.id,
        state: m.state,
        vnodes: m.vnodes,
        ranges: all.filter((r) => r.owners.includes(m.id)).length,
        primary: own.primary,
        replica: own.replica,
        pendingReplica: pending.ownership(m.id, n).replica,
      };
    }),
  };
}
