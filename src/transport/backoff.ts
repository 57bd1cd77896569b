import type { Rng } from '../core/rng.js';

export interface BackoffOptions {
  /** Delay after the first failure. */
  initialMs: number;
  /** Ceiling of the delay however many failures follow. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 10_000 };

/**
 * The wait before reconnecting after `failures` consecutive failures (>= 1):
 * exponential, capped, with "equal jitter" (half fixed, half random) so that
 * nodes that lost a peer together do not all come back at the same instant.
 */
export function backoffDelay(failures: number, opts: BackoffOptions, rng: Rng): number {
  const exp = opts.initialMs * 2 ** Math.min(Math.max(failures, 1) - 1, 30);
  const ceiling = Math.min(opts.maxMs, exp);
  const half = ceiling / 2;
  return Math.round(half + rng.next() * half);
}
