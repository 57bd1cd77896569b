import type { RangeBounds } from './tree-set.js';
import { rangeId } from './tree-set.js';

/**
 * When this node last finished an exchange of a range with a peer that
 * ended in agreement: every difference found was repaired in both
 * directions (or was a dead record facing no record at all). The time is
 * when that exchange started, on this node's clock.
 *
 * The collection rule built on it (docs/architecture.md, "Tombstones"): a
 * dead record (tombstones, or siblings all expired) that died at time d may
 * be purged once every other replica of its range has an agreeing exchange
 * that started at or after d + grace. By then the record had reached this
 * node (versions arrive within the grace period or not at all: hints older
 * than it are dropped), so each replica held it or a descendant, or held
 * nothing, when that exchange ran: none holds an older live version that
 * could bring the key back. Kept in memory only: after a restart nothing is
 * purged until new exchanges agree.
 *
 * The horizon only lets this node propose a purge: every other replica must
 * confirm it by its own clock and horizon (purge-verdict.ts), so a clock
 * running ahead here cannot purge what the others would keep.
 */
export class Agreements {
  private readonly byRange = new Map<string, Map<string, number>>();

  /** An agreeing exchange that started at startedAt; now is this node's clock as it ended. */
  record(range: RangeBounds, peer: string, startedAt: number, now = startedAt): void {
    const id = rangeId(range);
    let peers = this.byRange.get(id);
    if (!peers) this.byRange.set(id, (peers = new Map()));
    const known = peers.get(peer) ?? -Infinity;
    // A known time ahead of now came from before the clock was set back: the new one replaces it.
    if (known < startedAt || known > now) peers.set(peer, startedAt);
  }

  /** The last agreeing exchange with peer, or -Infinity. */
  lastWith(range: RangeBounds, peer: string): number {
    return this.byRange.get(rangeId(range))?.get(peer) ?? -Infinity;
  }

  /**
   * Records that died at or before the returned time may be purged (the
   * oldest agreement among the other replicas, minus grace); with no other
   * replica, now minus grace.
   */
  purgeHorizon(range: RangeBounds, others: readonly string[], now: number, graceMs: number): number {
    let oldest = now;
    for (const p of others) {
      const at = this.lastWith(range, p);
      // Recorded later than now: the clock was set back since. That time says nothing of when the
      // exchange really ran, so it counts as no agreement until a new exchange agrees.
      oldest = Math.min(oldest, at > now ? -Infinity : at);
    }
    return oldest - graceMs;
  }

  /** Forgets ranges this node no longer replicates. */
  retain(ranges: readonly RangeBounds[]): void {
    const keep = new Set(ranges.map(rangeId));
    for (const id of [...this.byRange.keys()]) if (!keep.has(id)) this.byRange.delete(id);
  }
}
