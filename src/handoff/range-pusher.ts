import type { Clock } from '../core/clock.js';
import { RING_SIZE } from '../core/hash.js';
import type { LocalStore } from '../storage/local-store.js';
import type { RpcTransport } from '../transport/types.js';
import { RangeStream, type RangeStreamShared } from './range-stream.js';
import { StreamCursors, rangeKey, type RangeCursor } from './stream-cursors.js';
import { parsePushReply } from './stream-messages.js';
import { StreamProgress, type StreamKind, type StreamObserver } from './stream-progress.js';
import { reason, type StreamSettings } from './stream-settings.js';
import { readRecords } from './stream-source.js';
import type { StreamThrottle } from './stream-throttle.js';

export interface RangePusherOptions extends RangeStreamShared {
  readonly id: string;
  readonly kind: StreamKind;
  /** The node that gains the ranges. */
  readonly target: string;
  readonly ranges: ReadonlyArray<{ readonly start: bigint; readonly end: bigint }>;
  readonly transport: RpcTransport;
  /** This node's store: the records to hand over, and the cursors' metadata. */
  readonly store: LocalStore;
  /** This node's flush epoch, sent with each page (the target refuses older versions). */
  readonly epoch: () => number;
  /** The share of the ring this node holds a replica of, for the estimate of records to push (default: all of it). */
  readonly ownedFraction?: () => number;
  readonly clock: Clock;
  readonly settings: () => StreamSettings;
  readonly throttle?: StreamThrottle;
  readonly observer?: StreamObserver;
}

/**
 * Hands this node's records of some ring ranges to one node ('s.push'),
 * page by page: a page counts once the target acknowledged it (its merges
 * are durable there), and the range's cursor is saved after each, so a
 * restarted push resumes. A target that does not answer is tried again
 * after retryMs until it does or the push is stopped.
 */
export class RangePusher extends RangeStream {
  private readonly cursors: StreamCursors;
  private saved = new Map<string, RangeCursor>();

  constructor(private readonly opts: RangePusherOptions) {
    super(new StreamProgress(opts.clock, opts.id, opts.kind, 'push', opts.ranges), opts);
    this.cursors = new StreamCursors(opts.store, opts.id);
    // Estimated locally at once (the store's count times each range's share of what it holds), so the ETA is there from the start.
    const keys = opts.store.stats().keys;
    const owned = opts.ownedFraction?.() ?? 1;
    for (const [i, r] of opts.ranges.entries()) {
      const share = Number(r.end - r.start) / Number(RING_SIZE);
      this.progress.estimate(i, owned > 0 ? Math.round(keys * Math.min(1, share / owned)) : 0);
    }
  }

  get target(): string {
    return this.opts.target;
  }

  /** Pushes every range from its saved cursor on. */
  protected async stream(): Promise<void> {
    this.saved = await this.cursors.load();
    this.signal.check();
    this.progress.peer = this.opts.target;
    for (let i = 0; i < this.opts.ranges.length; i++) {
      const r = this.opts.ranges[i]!;
      const key = rangeKey(r.start, r.end);
      const saved = this.saved.get(key);
      let cursor = saved === 'done' ? r.end : saved === undefined || saved < r.start ? r.start : saved;
      while (cursor < r.end) {
        const s = this.opts.settings();
        const maxKeys = this.opts.throttle?.pageKeys(s.pageKeys) ?? s.pageKeys;
        const maxBytes = this.opts.throttle?.pageBytes(s.pageBytes) ?? s.pageBytes;
        const page = await readRecords(this.opts.store, cursor, r.end, maxKeys, maxBytes);
        this.signal.check();
        const bytes = page.keys.reduce((n, k, j) => n + k.length + page.recs[j]!.length, 0);
        if (page.keys.length > 0) await this.send(page.keys, page.recs);
        this.progress.add(i, page.keys.length, bytes);
        this.opts.observer?.page?.(this.opts.kind, 'push', page.keys.length, bytes);
        cursor = page.next ?? r.end;
        this.saved.set(key, cursor);
        await this.cursors.save(this.saved);
        await this.signal.sleep(this.opts.clock, this.opts.throttle?.take(page.keys.length, bytes) ?? 0);
      }
      this.saved.set(key, 'done');
      this.progress.rangeDone(i);
    }
    this.progress.state = 'done';
    await this.cursors.clear();
    this.opts.observer?.finished?.(this.status());
    this.log('info', 'range push finished', { stream: this.opts.id, target: this.opts.target, keys: this.progress.keys });
  }

  private async send(keys: Buffer[], recs: Buffer[]): Promise<void> {
    for (;;) {
      this.signal.check();
      const s = this.opts.settings();
      try {
        const msg = { type: 's.push', epoch: this.opts.epoch(), keys, recs };
        parsePushReply(await this.opts.transport.request(this.opts.target, msg, { timeoutMs: s.requestTimeoutMs }));
        if (this.progress.state === 'waiting') this.progress.state = 'running';
        return;
      } catch (e) {
        this.signal.check();
        this.progress.state = 'waiting';
        this.progress.error = `${this.opts.target}: ${reason(e)}`;
        this.opts.observer?.sourceFailed?.(this.opts.kind, this.opts.target, reason(e));
        this.log('warn', 'range push failed; retrying', { stream: this.opts.id, target: this.opts.target, error: reason(e) });
        await this.signal.sleep(this.opts.clock, s.retryMs);
      }
    }
  }
}
