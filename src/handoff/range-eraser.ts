import type { Clock } from '../core/clock.js';
import type { LocalStore } from '../storage/local-store.js';
import type { Interval } from './range-plan.js';
import { RangeStream, type RangeStreamShared } from './range-stream.js';
import { StreamProgress, type StreamObserver } from './stream-progress.js';
import type { StreamSettings } from './stream-settings.js';
import type { StreamThrottle } from './stream-throttle.js';

export interface RangeEraserOptions extends RangeStreamShared {
  /** Names the stream in status. */
  readonly id: string;
  /** Ranges to empty, ascending, none wrapping. */
  readonly ranges: readonly Interval[];
  /**
   * The store the coordinator writes through: each removal also updates the
   * Merkle trees (a key outside every tree is ignored there).
   */
  readonly store: LocalStore;
  readonly clock: Clock;
  readonly settings: () => StreamSettings;
  /** Shared with the node's streams: deleting counts against the same budget. */
  readonly throttle?: StreamThrottle;
  readonly observer?: StreamObserver;
}

/** A record's share of a page's byte count, beside its key (the value is not read back to count it). */
const RECORD_OVERHEAD_BYTES = 64;

/**
 * Deletes every record of some ranges from this node's store, a page at a
 * time: each page's removals are durable before the next page is read, and
 * pages are paced by the node's stream throttle so that a large cleanup never
 * starves client traffic. Shows in QKV.STREAMS as a stream of kind 'cleanup',
 * direction 'delete'. Nothing is saved between pages: a cleanup cut short by
 * a crash is simply planned again from the ring (what is gone stays gone).
 */
export class RangeEraser extends RangeStream {
  constructor(private readonly opts: RangeEraserOptions) {
    super(new StreamProgress(opts.clock, opts.id, 'cleanup', 'delete', opts.ranges), opts);
  }

  get id(): string {
    return this.opts.id;
  }

  /** Empties every range. */
  protected async stream(): Promise<void> {
    try {
      for (let i = 0; i < this.opts.ranges.length; i++) await this.eraseRange(i);
    } catch (e) {
      if (this.progress.state === 'running') {
        this.progress.state = 'failed';
        this.progress.error = e instanceof Error ? e.message : String(e);
      }
      throw e;
    }
    this.progress.state = 'done';
    this.opts.observer?.finished?.(this.status());
    this.log('info', 'range cleanup finished', { stream: this.opts.id, keys: this.progress.keys, ranges: this.opts.ranges.length });
  }

  private async eraseRange(i: number): Promise<void> {
    const r = this.opts.ranges[i]!;
    const { store, throttle, clock } = this.opts;
    let from: bigint | null = r.start;
    while (from !== null) {
      this.signal.check();
      const wanted = this.opts.settings().pageKeys;
      const page = await store.scan({ from, to: r.end, limit: throttle ? throttle.pageKeys(wanted) : wanted });
      this.signal.check();
      let bytes = 0;
      for (const e of page.entries) bytes += e.key.length + RECORD_OVERHEAD_BYTES;
      // Durable before the next page: a crash loses at most a page of progress, never a promise.
      await Promise.all(page.entries.map((e) => store.remove(e.key)));
      const keys = page.entries.length;
      if (keys > 0) {
        this.progress.add(i, keys, bytes);
        this.opts.observer?.page?.('cleanup', 'delete', keys, bytes);
        await this.signal.sleep(clock, throttle ? throttle.take(keys, bytes) : 0);
      }
      from = page.next;
    }
    this.progress.rangeDone(i);
  }
}

/** The ranges of which the store holds at least one record (so an empty cleanup shows no stream). */
export async function heldRanges<R extends Interval>(store: LocalStore, ranges: readonly R[]): Promise<R[]> {
  const out: R[] = [];
  for (const r of ranges) {
    const page = await store.scan({ from: r.start, to: r.end, limit: 1 });
    if (page.entries.length > 0) out.push(r);
  }
  return out;
}
