import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8 collects its old generation only when the heap has grown by a factor
 * of what was live after the last collection (up to 4x under a steady
 * allocation rate), so a node that writes hard holds several times its live
 * heap in garbage, and the Buffers that garbage points to. No flag can
 * change that once the process runs, so the governor does it: when RSS
 * passes the budget (maxmemory plus the fixed overhead) it asks for a full
 * collection, at most once per interval, so a process that is over for
 * other reasons pays a bounded price (one collection of a small live heap
 * per interval).
 */
export interface GovernorDeps {
  rss(): number;
  /** The RSS above which the governor collects. */
  limit(): number;
  collect(): void;
  now(): number;
  readonly minIntervalMs?: number;
}

export class MemoryGovernor {
  /** Collections the governor asked for (INFO memory's forced_gcs). */
  forced = 0;
  private last = -Infinity;
  private interval: number;

  constructor(private readonly deps: GovernorDeps) {
    this.interval = this.baseInterval;
  }

  private get baseInterval(): number {
    return this.deps.minIntervalMs ?? 5_000;
  }

  /**
   * Collects if over the limit and the last collection was long enough ago;
   * true if it did. A collection that leaves RSS over the limit doubles the
   * wait before the next (up to 16x): what holds the memory then is not garbage.
   */
  check(): boolean {
    const now = this.deps.now();
    if (now - this.last < this.interval) return false;
    if (this.deps.rss() <= this.deps.limit()) {
      this.interval = this.baseInterval;
      return false;
    }
    this.last = now;
    this.forced++;
    this.deps.collect();
    if (this.deps.rss() > this.deps.limit()) this.interval = Math.min(this.interval * 2, this.baseInterval * 16);
    else this.interval = this.baseInterval;
    return true;
  }
}

/** V8's full collection, made callable without starting node with --expose-gc. */
export function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
