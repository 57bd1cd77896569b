import type { TimerHandle } from '../core/clock.js';
import type { Ring } from '../ring/ring.js';
import { reason } from './stream-settings.js';
import { unownedRanges, type Interval } from './range-plan.js';
import { RangeEraser, heldRanges } from './range-eraser.js';
import { NO_LOG, type StreamLog } from './ring-control.js';
import { parseStateReply } from './stream-messages.js';
import type { StreamNodeDeps } from './stream-deps.js';
import { StreamStopped } from './stream-throttle.js';

export interface RangeCleanupOptions extends StreamNodeDeps {
  /**
   * How long the view must stay settled (no member joining or leaving, this
   * node normal) before ranges this node no longer replicates are deleted.
   * Writes routed by a member whose view is older than ours still reach this
   * node meanwhile, and reads of that member still ask it: the grace covers
   * gossip spreading the change plus a request in flight. Default DEFAULT_CLEANUP_GRACE_MS.
   */
  readonly graceMs?: number;
  /**
   * While the view stays settled, how often to look again (a write or hint
   * routed by a stale view may have landed on a range deleted already).
   * Default DEFAULT_CLEANUP_INTERVAL_MS.
   */
  readonly intervalMs?: number;
}

// The node's --range-cleanup-grace-seconds and --range-cleanup-interval-seconds
// defaults (src/config, which this module may not import); test/config/component-defaults.test.ts keeps them equal.
export const DEFAULT_CLEANUP_GRACE_MS = 60_000;
export const DEFAULT_CLEANUP_INTERVAL_MS = 600_000;

/** The id of the cleanup stream in QKV.STREAMS. */
export const CLEANUP_STREAM_ID = 'cleanup';

/**
 * Deletes this node's copies of ranges it no longer replicates, once the
 * nodes that took them over hold them. A join moves ranges from old owners
 * to the joining node; without this the old owners kept their copies for
 * ever, and a node that later regained such a range merged the stale copy
 * back (bringing back keys deleted and collected meanwhile).
 *
 * When it is safe: the view has no pending change (every join and leave in
 * it has completed, so each new owner pulled and verified its ranges before
 * it turned normal), this node is normal in it, the view has not changed for
 * the grace period, and every current replica of the ranges to delete answers
 * that it is pulling nothing (a rebuild after a removal still in flight
 * there means it does not hold them all yet). Otherwise it tries again later.
 *
 * The plan is derived from the ring alone, never saved: after a crash the
 * node plans again and deletes what is still there.
 */
export class RangeCleanup {
  private readonly log: StreamLog;
  private readonly graceMs: number;
  private readonly intervalMs: number;
  private unsubscribe: (() => void) | null = null;
  private timer: TimerHandle | null = null;
  private eraser: RangeEraser | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** The ring the grace period is running for: status changes (alive, suspect) that leave it unchanged do not restart it. */
  private ring: Ring | null = null;
  /** Passes that deleted something, to completion. */
  passes = 0;

  constructor(private readonly opts: RangeCleanupOptions) {
    this.log = opts.log ?? NO_LOG;
    this.graceMs = opts.graceMs ?? DEFAULT_CLEANUP_GRACE_MS;
    this.intervalMs = opts.intervalMs ?? DEFAULT_CLEANUP_INTERVAL_MS;
  }

  /** Starts watching the ring; the first pass comes a grace period after the view settles (so a restart resumes). */
  start(): void {
    if (this.unsubscribe || this.stopped) return;
    this.unsubscribe = this.opts.control.onChange(() => this.changed());
    this.ring = this.opts.control.ring();
    this.arm(this.graceMs);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.timer?.cancel();
    this.timer = null;
    this.eraser?.stop();
  }

  /** Resolves once no pass is running (for tests and shutdown). */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private changed(): void {
    const ring = this.opts.control.ring();
    if (ring === this.ring) return;
    this.ring = ring;
    // Ownership may have moved under a pass in flight: stop it and plan again once the view settles.
    this.eraser?.stop();
    this.arm(this.graceMs);
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = null;
      if (this.running) return this.arm(this.graceMs);
      const startedOn = this.ring;
      this.running = this.pass()
        .then(
          // A ring change during the pass already asked for a look a grace period after it: keep that.
          () => this.arm(this.ring === startedOn ? this.intervalMs : this.graceMs),
          (e: unknown) => {
            if (!(e instanceof StreamStopped)) this.log('warn', 'range cleanup did not complete; trying again later', { error: reason(e) });
            this.arm(this.graceMs);
          },
        )
        .finally(() => (this.running = null));
    }, ms);
  }

  private async pass(): Promise<void> {
    const { control, n, store } = this.opts;
    const ring = control.ring();
    if (ring.hasPendingChanges || ring.member(control.selfId)?.state !== 'normal') return;
    const candidates = unownedRanges(ring, control.selfId, n);
    const held = await heldRanges(store, candidates);
    if (held.length === 0 || this.stopped || control.ring() !== ring) return;
    const owners = [...new Set(held.flatMap((r) => r.owners))];
    const busy = await this.unconfirmed(owners);
    if (busy.length > 0) {
      this.log('info', 'range cleanup waits: some new owners have not confirmed their ranges', { owners: busy });
      throw new Error(`not confirmed by ${busy.join(', ')}`);
    }
    if (this.stopped || control.ring() !== ring) return;
    this.log('info', 'deleting the ranges this node no longer replicates', { ranges: held.length });
    const ranges: Interval[] = held.map(({ start, end }) => ({ start, end }));
    const eraser = new RangeEraser({ ...this.opts, id: CLEANUP_STREAM_ID, ranges });
    this.eraser = eraser;
    try {
      await eraser.run();
      this.passes++;
    } finally {
      this.eraser = null;
    }
  }

  /** The owners that are unreachable, do not answer, or are still pulling ranges. */
  private async unconfirmed(owners: readonly string[]): Promise<string[]> {
    const { control, transport } = this.opts;
    const timeoutMs = this.opts.settings().requestTimeoutMs;
    const answers = await Promise.all(
      owners.map(async (id) => {
        if (!control.isReachable(id)) return id;
        try {
          const st = parseStateReply(await transport.request(id, { type: 's.state' }, { timeoutMs }));
          return st.pulling === 0 ? null : id;
        } catch {
          return id;
        }
      }),
    );
    return answers.filter((id): id is string => id !== null);
  }
}
