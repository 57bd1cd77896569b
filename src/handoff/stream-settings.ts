import type { StreamLimits } from './stream-throttle.js';

/** How streams page, pace and retry; read at every page, so a change applies mid-stream. */
export interface StreamSettings extends StreamLimits {
  /** Records per page requested (capped by one second of maxKeysPerSec). */
  readonly pageKeys: number;
  /** Bytes per page requested (capped by one second of maxBytesPerSec). */
  readonly pageBytes: number;
  /** How long one page request may take before the source counts as failed. */
  readonly requestTimeoutMs: number;
  /** Wait before trying again once every source (or the target) failed. */
  readonly retryMs: number;
  /**
   * Ranges a pull works on at once. A join gains hundreds of small ranges
   * (one per token boundary), each costing round trips and durable saves;
   * pulling a few together keeps the sources busy. The throttle still bounds the rate.
   */
  readonly rangesInFlight: number;
}

export const DEFAULT_STREAM_SETTINGS: StreamSettings = {
  maxKeysPerSec: 0,
  maxBytesPerSec: 0,
  pageKeys: 1_000,
  pageBytes: 1024 * 1024,
  requestTimeoutMs: 30_000,
  retryMs: 1_000,
  rangesInFlight: 4,
};

/** The error's text for status and logs. */
export function reason(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} ${e.message}` : e.message;
  }
  return String(e);
}
