import type { Freshness } from './swim-codec.js';

/** Datagrams of one sender that may arrive out of order and still be taken. */
export const REPLAY_WINDOW = 32;

export type FreshnessVerdict = 'fresh' | 'replay' | 'stale';

interface SenderState {
  boot: number;
  /** Highest sequence taken from this boot. */
  highest: number;
  /** Bit i set: sequence highest - i was taken. */
  seen: number;
}

/**
 * Refuses gossip datagrams seen before, as IPsec's anti-replay window does:
 * per sender, the newest boot id and a window of the last REPLAY_WINDOW
 * sequence numbers. A datagram from an older boot, or older than the
 * window, is stale; one whose sequence was taken already is a replay. The
 * HMAC makes both unforgeable, so a captured datagram can only be replayed
 * as it was, and is then refused.
 *
 * A sender whose boot id goes down (its disk wiped and its clock set back
 * past its last start) is refused until it restarts with a higher one: the
 * same restart it needs anyway for peers to take its record.
 */
export class ReplayGuard {
  private readonly senders = new Map<string, SenderState>();

  /** Judges a datagram from `sender` and, when fresh, remembers it. */
  check(sender: string, fresh: Freshness): FreshnessVerdict {
    const s = this.senders.get(sender);
    if (!s || fresh.boot > s.boot) {
      this.senders.set(sender, { boot: fresh.boot, highest: fresh.seq, seen: 1 });
      return 'fresh';
    }
    if (fresh.boot < s.boot) return 'stale';
    if (fresh.seq > s.highest) {
      const shift = fresh.seq - s.highest;
      s.seen = shift >= REPLAY_WINDOW ? 1 : ((s.seen << shift) | 1) >>> 0;
      s.highest = fresh.seq;
      return 'fresh';
    }
    const age = s.highest - fresh.seq;
    if (age >= REPLAY_WINDOW) return 'stale';
    const bit = (1 << age) >>> 0;
    if ((s.seen & bit) !== 0) return 'replay';
    s.seen = (s.seen | bit) >>> 0;
    return 'fresh';
  }
}
