import type { Clock } from '../core/clock.js';

/**
 * A token bucket on the injected clock: `rate` tokens a second, holding at
 * most one second's worth. take(n) resolves once n tokens are paid for; a
 * take larger than what is there goes into debt and waits it off, so the
 * long-run rate holds even for items bigger than the bucket.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    readonly rate: number,
  ) {
    this.tokens = Number.isFinite(rate) ? rate : 0;
    this.last = clock.monotonic();
  }

  /** Resolves when n tokens have been paid; at once when the rate is unlimited (Infinity or <= 0). */
  take(n: number): Promise<void> {
    if (!Number.isFinite(this.rate) || this.rate <= 0 || n <= 0) return Promise.resolve();
    const now = this.clock.monotonic();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    this.tokens -= n;
    if (this.tokens >= 0) return Promise.resolve();
    const waitMs = Math.ceil((-this.tokens * 1000) / this.rate);
    return new Promise((resolve) => this.clock.setTimeout(resolve, waitMs));
  }
}
