import type { Clock, TimerHandle } from '../core/clock.js';

/**
 * Whether this node's disk takes writes. A batch write that fails marks the
 * store unhealthy until a later batch succeeds; a batch still in flight after
 * `stallMs` marks it unhealthy while it stays in flight (a disk that hangs
 * is worse than one that fails: every write behind it waits). The node then
 * steps aside: it refuses writes up front, its `/health` answers 503, and its
 * peers route around it as around an unreachable member.
 */
export interface StorageHealthView {
  /** Why the store cannot take writes now, or null when it can. */
  problem(): string | null;
}

/** Default time a batch may be in flight before the store counts as stalled. */
export const DEFAULT_STALL_MS = 2_000;

export class StorageHealth implements StorageHealthView {
  private failure: string | null = null;
  private inFlightSince: number | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly stallMs: number = DEFAULT_STALL_MS,
  ) {}

  batchStarted(): void {
    this.inFlightSince = this.clock.monotonic();
  }

  /** A batch landed (error null) or failed. */
  batchEnded(error: Error | null): void {
    this.inFlightSince = null;
    this.failure = error ? `storage write failed: ${error.message}` : null;
  }

  /** A write outside the batches (FLUSHALL's clear) failed. */
  writeFailed(error: Error): void {
    this.failure = `storage write failed: ${error.message}`;
  }

  /** True when the last batch failed and none is in flight: only a new write can show the disk is back. */
  get needsProbe(): boolean {
    return this.failure !== null && this.inFlightSince === null;
  }

  problem(): string | null {
    if (this.inFlightSince !== null) {
      const waited = this.clock.monotonic() - this.inFlightSince;
      if (waited >= this.stallMs) return `storage stalled: a batch write has not completed in ${Math.floor(waited)} ms`;
    }
    return this.failure;
  }
}

/**
 * Watches a store's health: tells `onChange` when the problem appears, changes
 * kind or clears, and while the last batch failed with nothing else being
 * written, writes a small probe every `everyMs` so a disk that comes back is
 * noticed without client writes (which a node that stepped aside no longer gets).
 */
export class StorageHealthMonitor {
  private timer: TimerHandle | null = null;
  private reported: string | null = null;
  private probing = false;

  constructor(
    private readonly health: StorageHealth,
    private readonly probe: () => Promise<void>,
    private readonly clock: Clock,
    private readonly onChange: (problem: string | null) => void,
    private readonly everyMs = 250,
  ) {}

  start(): void {
    this.timer ??= this.clock.setInterval(() => this.check(), this.everyMs);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** One look (the timer calls it; tests may too). */
  check(): void {
    const problem = this.health.problem();
    // Only the kind counts as a change: a stall's growing duration is not news.
    if (kindOf(problem) !== kindOf(this.reported)) {
      this.reported = problem;
      this.onChange(problem);
    }
    if (this.health.needsProbe && !this.probing) {
      this.probing = true;
      this.probe()
        .catch(() => undefined)
        .finally(() => (this.probing = false));
    }
  }
}

function kindOf(problem: string | null): string | null {
  return problem === null ? null : problem.startsWith('storage stalled') ? 'stalled' : problem;
}
