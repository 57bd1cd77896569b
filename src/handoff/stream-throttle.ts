import type { Clock, TimerHandle } from '../core/clock.js';

/** Limits read at each page, so CONFIG SET takes effect mid-stream; 0 means unlimited. */
export interface StreamLimits {
  readonly maxKeysPerSec: number;
  readonly maxBytesPerSec: number;
}

/**
 * Two token buckets (keys and bytes) on the injected clock, shared by every
 * stream of a node so joins, leaves and rebuilds together stay under the
 * limits. Each bucket holds at most one second of its rate. A page is taken
 * whole and may drive a bucket into debt; the caller then waits until the
 * debt is paid, so over any T seconds at most rate * (T + 1) + one page flows
 * per page in flight at once (a pull works on a few ranges together).
 */
export class StreamThrottle {
  private keyTokens: number | null = null;
  private byteTokens: number | null = null;
  private last: number;

  constructor(
    private readonly clock: Clock,
    private readonly limits: () => StreamLimits,
  ) {
    this.last = clock.monotonic();
  }

  /** Counts a page against the buckets; returns how many ms to wait before the next one. */
  take(keys: number, bytes: number): number {
    const { maxKeysPerSec, maxBytesPerSec } = this.limits();
    const now = this.clock.monotonic();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.keyTokens = spend(this.keyTokens, maxKeysPerSec, elapsed, keys);
    this.byteTokens = spend(this.byteTokens, maxBytesPerSec, elapsed, bytes);
    return Math.max(waitMs(this.keyTokens, maxKeysPerSec), waitMs(this.byteTokens, maxBytesPerSec));
  }

  /** How many ms until the buckets are out of debt, without taking anything: streams with pages in flight wait this long before asking for another. */
  debtMs(): number {
    const { maxKeysPerSec, maxBytesPerSec } = this.limits();
    const elapsed = Math.max(0, this.clock.monotonic() - this.last) / 1000;
    const refill = (tokens: number | null, rate: number): number | null => (tokens === null || !(rate > 0) ? null : Math.min(rate, tokens + elapsed * rate));
    return Math.max(waitMs(refill(this.keyTokens, maxKeysPerSec), maxKeysPerSec), waitMs(refill(this.byteTokens, maxBytesPerSec), maxBytesPerSec));
  }

  /** Keys per page that fit in one second of the key budget (pages never exceed the bucket). */
  pageKeys(wanted: number): number {
    const { maxKeysPerSec } = this.limits();
    return maxKeysPerSec > 0 ? Math.max(1, Math.min(wanted, Math.floor(maxKeysPerSec))) : wanted;
  }

  /** Bytes per page likewise. */
  pageBytes(wanted: number): number {
    const { maxBytesPerSec } = this.limits();
    return maxBytesPerSec > 0 ? Math.max(1, Math.min(wanted, Math.floor(maxBytesPerSec))) : wanted;
  }
}

function spend(tokens: number | null, rate: number, elapsed: number, n: number): number | null {
  if (!(rate > 0)) return null;
  const have = tokens === null ? rate : Math.min(rate, tokens + elapsed * rate);
  return have - n;
}

function waitMs(tokens: number | null, rate: number): number {
  if (tokens === null || tokens >= 0 || !(rate > 0)) return 0;
  return Math.ceil((-tokens / rate) * 1000);
}

/** Thrown into a stream's loop when it is stopped. */
export class StreamStopped extends Error {
  constructor() {
    super('stream stopped');
    this.name = 'StreamStopped';
  }
}

/**
 * Stops a stream's loop: pending sleeps end at once with StreamStopped, and
 * the loop checks `stopped` after each await.
 */
export class StopSignal {
  stopped = false;
  private readonly wakers = new Set<() => void>();

  stop(): void {
    this.stopped = true;
    for (const w of [...this.wakers]) w();
    this.wakers.clear();
  }

  check(): void {
    if (this.stopped) throw new StreamStopped();
  }

  /** Waits ms on the clock; rejects with StreamStopped if stopped meanwhile. */
  sleep(clock: Clock, ms: number): Promise<void> {
    this.check();
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: TimerHandle | null = null;
      const wake = (): void => {
        timer?.cancel();
        reject(new StreamStopped());
      };
      this.wakers.add(wake);
      timer = clock.setTimeout(() => {
        this.wakers.delete(wake);
        resolve();
      }, ms);
    });
  }
}
