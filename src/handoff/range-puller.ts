import type { Clock } from '../core/clock.js';
import type { LocalStore } from '../storage/local-store.js';
import type { RpcTransport } from '../transport/types.js';
import { descends } from '../versioning/clock.js';
import { decodeObject } from '../versioning/codec.js';
import { RangeStream, type RangeStreamShared } from './range-stream.js';
import { StreamCursors, rangeKey, type RangeCursor } from './stream-cursors.js';
import { parseDigestReply, parseGetRecordsReply, parseScanReply, wirePosition } from './stream-messages.js';
import { StreamProgress, type StreamKind, type StreamObserver } from './stream-progress.js';
import { reason, type StreamSettings } from './stream-settings.js';
import type { MergeLocal } from './stream-source.js';
import { StreamStopped, type StreamThrottle } from './stream-throttle.js';

/** A range to pull and the replicas that hold it, best first. */
export interface PullRange {
  readonly start: bigint;
  readonly end: bigint;
  readonly sources: readonly string[];
}

export interface RangePullerOptions extends RangeStreamShared {
  /** Names the stream in status and its saved cursors (a restarted stream with the same id resumes). */
  readonly id: string;
  readonly kind: StreamKind;
  readonly ranges: readonly PullRange[];
  readonly transport: RpcTransport;
  /** This node's store: local copies for verification, and the cursors' metadata. */
  readonly store: LocalStore;
  readonly mergeLocal: MergeLocal;
  /** This node's flush epoch. */
  readonly epoch: () => number;
  readonly isReachable: (id: string) => boolean;
  readonly clock: Clock;
  readonly settings: () => StreamSettings;
  /** Shared by the node's streams; without one the stream is not throttled. */
  readonly throttle?: StreamThrottle;
  readonly observer?: StreamObserver;
}

/** A remote failure: the source is skipped for the rest of this round. */
class SourceFailed extends Error {}

/**
 * Pulls ring ranges from their replicas into this node: pages of records,
 * each merged locally (durable) before the range's cursor is saved, paced by
 * the throttle. A source that fails is left for the next one; when all have
 * failed the stream waits and tries again. Once a range is exhausted it is
 * verified: the source lists the range's keys and clocks, and any key whose
 * local copy does not descend the source's is fetched again. A stopped
 * puller's progress stays saved, so a new puller with the same id resumes.
 */
export class RangePuller extends RangeStream {
  private readonly cursors: StreamCursors;
  private saved = new Map<string, RangeCursor>();
  /** The source that answered last, kept while it keeps answering. */
  private preferred: string | null = null;

  constructor(private readonly opts: RangePullerOptions) {
    super(new StreamProgress(opts.clock, opts.id, opts.kind, 'pull', opts.ranges), opts);
    this.cursors = new StreamCursors(opts.store, opts.id);
  }

  get id(): string {
    return this.opts.id;
  }

  /** The ranges pulled and verified so far. */
  doneRanges(): Array<{ start: bigint; end: bigint }> {
    return this.opts.ranges.filter((_, i) => this.progress.isDone(i)).map(({ start, end }) => ({ start, end }));
  }

  /** Pulls and verifies every range not saved as done, a few at a time. */
  protected async stream(): Promise<void> {
    this.saved = await this.cursors.load();
    this.signal.check();
    const { ranges } = this.opts;
    let next = 0;
    let failure: { error: unknown } | null = null;
    // A few workers take ranges in ring order; the first failure stops them taking more.
    const worker = async (): Promise<void> => {
      while (failure === null && next < ranges.length) {
        const i = next++;
        try {
          await this.pullOne(i);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    const width = Math.max(1, Math.min(this.opts.settings().rangesInFlight, ranges.length));
    await Promise.all(Array.from({ length: width }, worker));
    if (failure !== null) throw (failure as { error: unknown }).error;
    this.progress.state = 'done';
    await this.cursors.clear();
    this.opts.observer?.finished?.(this.status());
    this.log('info', 'range stream finished', { stream: this.opts.id, keys: this.progress.keys, bytes: this.progress.bytes });
  }

  /** Pulls and verifies range i unless its saved cursor says it is done; then saves it as done. */
  private async pullOne(i: number): Promise<void> {
    const r = this.opts.ranges[i]!;
    const key = rangeKey(r.start, r.end);
    const cursor = this.saved.get(key);
    if (cursor !== 'done') {
      await this.pullRange(i, cursor === undefined || cursor < r.start ? r.start : cursor);
      await this.verifyRange(i);
      this.saved.set(key, 'done');
      // Each save writes every range's cursor as it stands, so saves from several ranges in flight never lose one.
      await this.cursors.save(this.saved);
      this.progress.state = 'running';
    }
    this.progress.rangeDone(i);
  }

  private async pullRange(i: number, from: bigint): Promise<void> {
    const r = this.opts.ranges[i]!;
    const key = rangeKey(r.start, r.end);
    let cursor = from;
    while (cursor < r.end) {
      // Another range in flight may have taken the budget: wait for it before asking for a page.
      await this.signal.sleep(this.opts.clock, this.opts.throttle?.debtMs() ?? 0);
      const s = this.opts.settings();
      const page = await this.fromSource(r, async (source) =>
        parseScanReply(
          await this.opts.transport.request(
            source,
            {
              type: 's.scan',
              start: r.start,
              end: wirePosition(r.end),
              from: cursor,
              maxKeys: this.pageKeys(s),
              maxBytes: this.opts.throttle?.pageBytes(s.pageBytes) ?? s.pageBytes,
            },
            { timeoutMs: s.requestTimeoutMs },
          ),
        ),
      );
      if (page.estimate !== null && cursor === r.start) this.progress.estimate(i, page.estimate);
      const bytes = await this.mergeAll(page.keys, page.recs, page.epoch);
      this.progress.add(i, page.keys.length, bytes);
      this.opts.observer?.page?.(this.opts.kind, 'pull', page.keys.length, bytes);
      cursor = page.next ?? r.end;
      this.saved.set(key, cursor);
      await this.cursors.save(this.saved);
      await this.pace(page.keys.length, bytes);
    }
  }

  private async verifyRange(i: number): Promise<void> {
    const r = this.opts.ranges[i]!;
    this.progress.state = 'verifying';
    let cursor = r.start;
    while (cursor < r.end) {
      const s = this.opts.settings();
      let source = '';
      const digest = await this.fromSource(r, async (src) => {
        source = src;
        const req = { type: 's.digest', start: r.start, end: wirePosition(r.end), from: cursor, maxKeys: this.pageKeys(s) * 4 };
        return parseDigestReply(await this.opts.transport.request(src, req, { timeoutMs: s.requestTimeoutMs }));
      });
      const local = await this.opts.store.getMany(digest.keys);
      const behind = digest.keys.filter((_, k) => !local[k] || !descends(local[k].clock, digest.clocks[k]!));
      if (behind.length > 0) await this.refetch(i, source, behind);
      cursor = digest.next ?? r.end;
    }
  }

  /** Fetches keys again from the source that listed them (another one if it fails) and merges them. */
  private async refetch(i: number, first: string, keys: Buffer[]): Promise<void> {
    const r = this.opts.ranges[i]!;
    const step = this.pageKeys(this.opts.settings());
    for (let at = 0; at < keys.length; at += step) {
      const chunk = keys.slice(at, at + step);
      const s = this.opts.settings();
      const reply = await this.fromSource(
        r,
        async (src) => parseGetRecordsReply(await this.opts.transport.request(src, { type: 's.get', keys: chunk }, { timeoutMs: s.requestTimeoutMs }), chunk.length),
        first,
      );
      const present = chunk.filter((_, k) => reply.recs[k] !== null);
      const recs = reply.recs.filter((x): x is Buffer => x !== null);
      const bytes = await this.mergeAll(present, recs, reply.epoch);
      this.progress.refetched += present.length;
      this.progress.add(i, present.length, bytes);
      await this.pace(present.length, bytes);
    }
  }

  /**
   * Runs one request against the range's sources: the preferred one while it
   * answers, else the next reachable one; when every source failed (or none is
   * reachable) waits retryMs and starts over. Stops only with the stream.
   */
  private async fromSource<T>(r: PullRange, call: (source: string) => Promise<T>, first?: string): Promise<T> {
    const failed = new Set<string>();
    for (;;) {
      this.signal.check();
      const candidates = r.sources.filter((id) => !failed.has(id) && this.opts.isReachable(id));
      const pick = [first, this.preferred].find((p) => p !== undefined && p !== null && candidates.includes(p)) ?? candidates[0];
      if (pick === undefined) {
        this.progress.state = 'waiting';
        this.progress.error ??= `no reachable source among ${r.sources.join(', ') || 'none'}`;
        failed.clear();
        await this.signal.sleep(this.opts.clock, this.opts.settings().retryMs);
        continue;
      }
      this.progress.peer = pick;
      try {
        const out = await call(pick).catch((e: unknown) => {
          throw new SourceFailed(reason(e));
        });
        this.signal.check();
        this.preferred = pick;
        if (this.progress.state === 'waiting') this.progress.state = 'running';
        return out;
      } catch (e) {
        if (!(e instanceof SourceFailed) || this.signal.stopped) throw e instanceof SourceFailed ? new StreamStopped() : e;
        failed.add(pick);
        if (this.preferred === pick) this.preferred = null;
        this.progress.error = `${pick}: ${e.message}`;
        this.opts.observer?.sourceFailed?.(this.opts.kind, pick, e.message);
        this.log('warn', 'range stream source failed; trying another', { stream: this.opts.id, source: pick, error: e.message });
      }
    }
  }

  /**
   * Merges records into the local store; resolves with their bytes once all are
   * durable. Records from before a FLUSHALL this node has seen are skipped.
   * A local failure (a full disk) is retried after retryMs, never skipped.
   */
  private async mergeAll(keys: readonly Buffer[], recs: readonly Buffer[], epoch: number): Promise<number> {
    let bytes = 0;
    for (let k = 0; k < keys.length; k++) bytes += keys[k]!.length + recs[k]!.length;
    if (epoch < this.opts.epoch()) return bytes;
    const objs = recs.map((r) => decodeObject(r));
    for (;;) {
      try {
        await Promise.all(keys.map((key, k) => this.opts.mergeLocal(key, objs[k]!, epoch)));
        return bytes;
      } catch (e) {
        if (epoch < this.opts.epoch()) return bytes; // A FLUSHALL arrived meanwhile: these records are gone for good.
        this.progress.error = `local merge failed: ${reason(e)}`;
        this.log('error', 'range stream could not store a page; retrying', { stream: this.opts.id, error: reason(e) });
        await this.signal.sleep(this.opts.clock, this.opts.settings().retryMs);
      }
    }
  }

  private pageKeys(s: StreamSettings): number {
    return this.opts.throttle?.pageKeys(s.pageKeys) ?? s.pageKeys;
  }

  private async pace(keys: number, bytes: number): Promise<void> {
    const wait = this.opts.throttle?.take(keys, bytes) ?? 0;
    await this.signal.sleep(this.opts.clock, wait);
  }
}
