import type { Clock, TimerHandle } from '../core/clock.js';
import { QkvError, isQkvError } from '../core/errors.js';
import { decodeObject } from '../versioning/codec.js';
import type { RpcTransport } from '../transport/types.js';
import type { Hint, HintStore } from './hint-store.js';
import { Throttle } from './hint-throttle.js';

/**
 * Hands hints back to their owners. Every tick (and at once on nudge), each
 * target with pending hints that the member view holds reachable is drained:
 * its oldest hints in small batches, each hint sent as the ordinary replica
 * merge ('r.merge' with the flush epoch the hint was written at), so the
 * owner merges it into its data exactly as a write would. A hint is deleted
 * only after the owner acknowledged it. The first failure stops the target's
 * drain; it is retried after a backoff that doubles up to maxBackoffMs (a
 * nudge retries at once). One budget of keys/s and bytes/s covers all targets.
 *
 * An owner that refuses a hint for good (from before its FLUSHALL, or a
 * malformed version) gets it dropped, counted as dropped, instead of blocking
 * the hints behind it.
 */
export interface HintDeliveryObserver {
  /** Hints the owner acknowledged (and that were deleted). */
  delivered?(target: string, hints: number, bytes: number): void;
  /** Hints the owner refused for good; deleted without delivery. */
  refused?(target: string, hints: number): void;
  /** A drain stopped on a failure; it is retried after backoffMs. */
  failed?(target: string, error: string, backoffMs: number): void;
}

export type HintLogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export interface HintDeliveryOptions {
  readonly store: HintStore;
  readonly transport: Pick<RpcTransport, 'request'>;
  readonly isReachable: (nodeId: string) => boolean;
  readonly clock: Clock;
  /** How often targets are polled (default 500 ms). */
  readonly tickMs?: number;
  /** Hints per batch (default 64). */
  readonly batchSize?: number;
  /** Delivery budget for all targets together, in keys/s: the node's --hint-rate-keys (default in HINT_DEFAULTS, src/config). */
  readonly maxKeysPerSec: number;
  /** ... and in bytes/s (default 32 MiB/s). */
  readonly maxBytesPerSec?: number;
  /** Per-merge timeout (default 5,000 ms). */
  readonly requestTimeoutMs?: () => number;
  /** First retry delay after a failure, doubled each time up to maxBackoffMs (defaults 1,000 and 30,000 ms). */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly observer?: HintDeliveryObserver;
  readonly log?: HintLogFn;
  /**
   * Hints whose newest version is older than this (the tombstone grace
   * period) are dropped, not delivered: by then anti-entropy may have
   * collected a tombstone that superseded them, and a late hint would bring
   * the deleted value back. Anti-entropy repairs the target instead.
   */
  readonly maxAgeMs?: () => number;
}

/** One target as the admin view shows it. */
export interface HintTargetStatus {
  readonly pending: number;
  readonly bytes: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly refused: number;
  /** Hints delivered per second, measured over the last second or so of delivery. */
  readonly rate: number;
}

interface TargetRun {
  active: Promise<void> | null;
  backoffMs: number;
  retryAt: number;
  windowStart: number;
  windowCount: number;
  rate: number;
}

/** The message an owner merges a hint with (the coordinator's replica merge). */
export function mergeMessage(h: Hint): { type: 'r.merge'; key: Buffer; obj: Buffer; epoch: number } {
  return { type: 'r.merge', key: h.key, obj: h.obj, epoch: h.epoch };
}

/** True for refusals that will never change: retrying them would block the target's queue forever. */
export function isPermanentRefusal(err: unknown): boolean {
  if (!isQkvError(err) || err.code !== 'ERR') return false;
  return err.message.startsWith('refused: ') || err.message.startsWith('bad request');
}

/** Why a hint past the grace period is dropped (a permanent refusal, decided here). */
const TOO_OLD = new QkvError('ERR', 'refused: the hint is older than the tombstone grace period');

/** The newest write time in a hint's version; unreadable ones count as new (delivered: the owner decides). */
function newestWrite(h: Hint): number {
  try {
    let ts = 0;
    for (const s of decodeObject(h.obj).siblings) ts = Math.max(ts, s.ts);
    return ts;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

export class HintDelivery {
  private readonly runs = new Map<string, TargetRun>();
  private readonly throttle: Throttle;
  private readonly batchSize: number;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;
  private ticker: TimerHandle | null = null;
  private closed = false;

  constructor(private readonly opts: HintDeliveryOptions) {
    this.throttle = new Throttle(opts.clock, opts.maxKeysPerSec, opts.maxBytesPerSec ?? 32 * 1024 * 1024);
    this.batchSize = opts.batchSize ?? 64;
    this.minBackoff = opts.minBackoffMs ?? 1_000;
    this.maxBackoff = opts.maxBackoffMs ?? 30_000;
  }

  /** Starts polling the targets every tickMs. */
  start(): void {
    if (this.ticker || this.closed) return;
    this.ticker = this.opts.clock.setInterval(() => this.tick(), this.opts.tickMs ?? 500);
  }

  /** Looks at every target with hints now: starts a drain for each reachable one not waiting out a backoff. */
  tick(): void {
    for (const target of this.opts.store.targets()) this.kick(target, false);
  }

  /** A membership event says `target` may be back: try it now, forgetting its backoff. */
  nudge(target: string): void {
    this.kick(target, true);
  }

  /** Resolves when the target's current drain (if any) ends; for tests and shutdown. */
  async idle(target?: string): Promise<void> {
    const runs = target ? [this.runs.get(target)] : [...this.runs.values()];
    await Promise.all(runs.map((r) => r?.active));
  }

  status(): Record<string, HintTargetStatus> {
    const out: Record<string, HintTargetStatus> = {};
    for (const [target, s] of Object.entries(this.opts.store.stats())) {
      out[target] = { ...s, rate: this.runs.get(target)?.rate ?? 0 };
    }
    return out;
  }

  /** Stops polling and waits for drains under way to stop (the store stays open). */
  async close(): Promise<void> {
    this.closed = true;
    this.ticker?.cancel();
    this.ticker = null;
    await this.idle();
  }

  private run(target: string): TargetRun {
    let r = this.runs.get(target);
    if (!r) {
      r = { active: null, backoffMs: 0, retryAt: 0, windowStart: this.opts.clock.monotonic(), windowCount: 0, rate: 0 };
      this.runs.set(target, r);
    }
    return r;
  }

  private kick(target: string, force: boolean): void {
    if (this.closed) return;
    const r = this.run(target);
    if (force) {
      r.retryAt = 0;
      r.backoffMs = 0;
    }
    this.measure(r, 0);
    if (r.active || this.opts.clock.monotonic() < r.retryAt) return;
    if (this.opts.store.pendingOf(target).count === 0 || !this.opts.isReachable(target)) return;
    r.active = this.drain(target, r).finally(() => (r.active = null));
  }

  private async drain(target: string, r: TargetRun): Promise<void> {
    const { store, transport } = this.opts;
    while (!this.closed && this.opts.isReachable(target)) {
      let hints: Hint[];
      try {
        hints = await store.peek(target, this.batchSize, 1024 * 1024);
      } catch (err) {
        this.fail(target, r, err);
        return;
      }
      if (hints.length === 0) return;
      await this.throttle.take(hints.length, hints.reduce((s, h) => s + h.size, 0));
      // The wait may have been long: the owner may be gone by now.
      if (this.closed || !this.opts.isReachable(target)) return;
      const timeoutMs = this.opts.requestTimeoutMs?.() ?? 5_000;
      const maxAge = this.opts.maxAgeMs?.();
      const oldest = maxAge === undefined ? -Infinity : this.opts.clock.now() - maxAge;
      const results = await Promise.allSettled(
        hints.map((h) => (newestWrite(h) < oldest ? Promise.reject(TOO_OLD) : transport.request(target, mergeMessage(h), { timeoutMs }))),
      );
      // The acknowledged (or refused for good) prefix goes; the first real failure stops the drain.
      let stop: unknown = undefined;
      let stopped = false;
      const runs: Array<{ hints: Hint[]; delivered: boolean }> = [];
      for (const [i, res] of results.entries()) {
        const delivered = res.status === 'fulfilled';
        if (!delivered && !isPermanentRefusal(res.reason)) {
          stop = res.reason;
          stopped = true;
          break;
        }
        const last = runs.at(-1);
        if (last && last.delivered === delivered) last.hints.push(hints[i]!);
        else runs.push({ hints: [hints[i]!], delivered });
      }
      try {
        for (const run of runs) {
          await store.remove(target, run.hints, run.delivered);
          if (run.delivered) {
            this.measure(r, run.hints.length);
            this.opts.observer?.delivered?.(
              target,
              run.hints.length,
              run.hints.reduce((s, h) => s + h.size, 0),
            );
          } else {
            this.opts.observer?.refused?.(target, run.hints.length);
            this.opts.log?.('warn', 'hints refused by their owner, dropped', { target, hints: run.hints.length });
          }
        }
      } catch (err) {
        this.fail(target, r, err);
        return;
      }
      if (stopped) {
        this.fail(target, r, stop);
        return;
      }
      r.backoffMs = 0;
    }
  }

  private fail(target: string, r: TargetRun, err: unknown): void {
    r.backoffMs = r.backoffMs === 0 ? this.minBackoff : Math.min(this.maxBackoff, r.backoffMs * 2);
    r.retryAt = this.opts.clock.monotonic() + r.backoffMs;
    const error = err instanceof Error ? err.message : String(err);
    this.opts.observer?.failed?.(target, error, r.backoffMs);
    this.opts.log?.('debug', 'hint delivery paused', { target, error, backoffMs: r.backoffMs });
  }

  /** Counts delivered hints into about one-second windows for the rate. */
  private measure(r: TargetRun, delivered: number): void {
    const now = this.opts.clock.monotonic();
    r.windowCount += delivered;
    const elapsed = now - r.windowStart;
    if (elapsed >= 1_000) {
      r.rate = Math.round((r.windowCount * 1_000) / elapsed);
      r.windowStart = now;
      r.windowCount = 0;
    }
  }
}
