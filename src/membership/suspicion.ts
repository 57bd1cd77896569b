import type { Clock, TimerHandle } from '../core/clock.js';

/**
 * Lifeguard's suspicion timer: a suspected member is declared dead when the
 * timer runs out, and the timer starts long (maxMs) and shrinks toward minMs
 * as other members independently report the same suspicion, the log of the
 * confirmations over the log of the expected ones:
 *
 *   timeout(n) = max(minMs, maxMs - (maxMs - minMs) * log(n + 1) / log(k + 1))
 *
 * A lone slow prober thus waits long, while a member many see failing goes
 * quickly. With k = 0 (too few members to expect confirmations) the timeout
 * is minMs from the start.
 */
export function suspicionTimeoutMs(confirmations: number, k: number, minMs: number, maxMs: number): number {
  if (k < 1) return minMs;
  const frac = Math.log(confirmations + 1) / Math.log(k + 1);
  return Math.max(minMs, Math.floor(maxMs - frac * (maxMs - minMs)));
}

/**
 * The minimum suspicion timeout for a cluster of n members (memberlist's
 * scaling): mult periods, stretched by log10(n) for large clusters so that
 * gossip has time to reach the suspect.
 */
export function minSuspicionMs(mult: number, n: number, periodMs: number): number {
  return Math.round(mult * Math.max(1, Math.log10(Math.max(1, n))) * periodMs);
}

export class Suspicion {
  private readonly confirmedBy = new Set<string>();
  private readonly startedAt: number;
  private timer: TimerHandle | null;
  private fired = false;

  constructor(
    private readonly clock: Clock,
    from: string,
    private readonly k: number,
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly onTimeout: () => void,
  ) {
    // The first suspecter does not count as a confirmation.
    this.confirmedBy.add(from);
    this.startedAt = clock.monotonic();
    this.timer = clock.setTimeout(() => this.fire(), this.timeoutMs());
  }

  /** Independent confirmations so far (the first suspecter excluded). */
  get confirmations(): number {
    return this.confirmedBy.size - 1;
  }

  /** The current timeout, measured from the start of the suspicion. */
  timeoutMs(): number {
    return suspicionTimeoutMs(this.confirmations, this.k, this.minMs, this.maxMs);
  }

  /** Counts a confirmation from another member; true if it was new (and so worth re-gossiping). */
  confirm(from: string): boolean {
    if (this.fired || this.confirmations >= this.k || this.confirmedBy.has(from)) return false;
    this.confirmedBy.add(from);
    this.timer?.cancel();
    const remaining = this.timeoutMs() - (this.clock.monotonic() - this.startedAt);
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, remaining));
    return true;
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private fire(): void {
    if (this.fired) return;
    this.fired = true;
    this.timer = null;
    this.onTimeout();
  }
}
