import type { ClassLimit } from '../config/output-limits.js';

/**
 * Redis's check of a client class's output buffer limit: past the hard
 * limit at once; past the soft limit once it has stayed past it for longer
 * than the soft seconds (the clock starts the first time the soft limit is
 * seen exceeded and stops when the client drops below it). A limit of 0 is
 * off. One tracker per connection: it remembers when the soft limit was
 * first reached.
 */
export class OutputLimitTracker {
  private softSince: number | null = null;

  /** Why the client must be closed with `bytes` pending at `nowMs`, or null while it may stay. */
  check(bytes: number, limit: ClassLimit, nowMs: number): string | null {
    if (limit.hard > 0 && bytes >= limit.hard) return `over the hard limit of ${limit.hard} bytes`;
    if (limit.soft <= 0 || bytes < limit.soft) {
      this.softSince = null;
      return null;
    }
    if (this.softSince === null) {
      this.softSince = nowMs;
      return null;
    }
    if (nowMs - this.softSince > limit.softSeconds * 1000) return `over the soft limit of ${limit.soft} bytes for more than ${limit.softSeconds} s`;
    return null;
  }
}
