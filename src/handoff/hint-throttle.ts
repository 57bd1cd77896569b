import type { Clock } from '../core/clock.js';

/**
 * A token bucket over two budgets, keys per second and bytes per second,
 * each holding at most one second's worth. take() waits (on the injected
 * clock) until both budgets cover the request; a request larger than a
 * second's worth is let through once the bucket is full and leaves it in
 * debt, so a huge hint slows later ones instead of blocking forever.
 */
export class Throttle {
  private keys: number;
  private bytes: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    private readonly keysPerSec: number,
    private readonly bytesPerSec: number,
  ) {
    this.keys = keysPerSec;
    this.bytes = bytesPerSec;
    this.last = clock.monotonic();
  }

  /** How long (ms) a request of this size would wait now; 0 when it may go. */
  waitFor(keys: number, bytes: number): number {
    this.refill();
    const needKeys = Math.min(keys, this.keysPerSec) - this.keys;
    const needBytes = Math.min(bytes, this.bytesPerSec) - this.bytes;
    const ms = Math.max((needKeys / this.keysPerSec) * 1000, (needBytes / this.bytesPerSec) * 1000, 0);
    return Math.ceil(ms);
  }

  /** Resolves once the request fits, and spends it. */
  async take(keys: number, bytes: number): Promise<void> {
    for (let wait = this.waitFor(keys, bytes); wait > 0; wait = this.waitFor(keys, bytes)) {
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, wait));
    }
    this.keys -= keys;
    this.bytes -= bytes;
  }

  private refill(): void {
    const now = this.clock.monotonic();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.keys = Math.min(this.keysPerSec, this.keys + elapsed * this.keysPerSec);
    this.bytes = Math.min(this.bytesPerSec, this.bytes + elapsed * this.bytesPerSec);
  }
}
