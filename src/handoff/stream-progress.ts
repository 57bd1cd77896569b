import type { Clock } from '../core/clock.js';

/** 'cleanup' deletes ranges this node no longer replicates (see RangeCleanup). */
export type StreamKind = 'join' | 'leave' | 'remove' | 'cleanup';
/** 'pull' (this node receives), 'push' (this node sends) or 'delete' (this node deletes its own copies). */
export type StreamDirection = 'pull' | 'push' | 'delete';
export type StreamState = 'running' | 'verifying' | 'waiting' | 'done' | 'failed' | 'stopped';

/** One stream as QKV.STREAMS and `quorumkv status` show it. */
export interface StreamStatus {
  readonly id: string;
  readonly kind: StreamKind;
  readonly direction: StreamDirection;
  /** The peer of the range in progress (source or target); null between ranges. */
  readonly peer: string | null;
  readonly state: StreamState;
  readonly rangesDone: number;
  readonly rangesTotal: number;
  /** Records moved so far (re-fetched ones included). */
  readonly keys: number;
  readonly bytes: number;
  /** Estimated records in the whole stream; null until a source reported one. */
  readonly keysTotal: number | null;
  /** Records and bytes per second over the last few seconds. */
  readonly keysPerSec: number;
  readonly bytesPerSec: number;
  /** Seconds left at the current rate; null when unknown. */
  readonly etaSeconds: number | null;
  /** Records a verification found missing or behind, and fetched again. */
  readonly refetched: number;
  /** Epoch ms when it started. */
  readonly startedAt: number;
  /** The last failure (a source that did not answer, ...); null when none. */
  readonly error: string | null;
}

/** Optional hooks the server wires to metrics. */
export interface StreamObserver {
  page?(kind: StreamKind, direction: StreamDirection, keys: number, bytes: number): void;
  sourceFailed?(kind: StreamKind, peer: string, why: string): void;
  finished?(status: StreamStatus): void;
}

const RATE_WINDOW_MS = 10_000;

interface Sample {
  readonly at: number;
  readonly keys: number;
  readonly bytes: number;
}

/**
 * Counters of one stream and the rate and ETA derived from them. The total
 * is estimated range by range: a range's source reports how many records it
 * thinks the range holds; ranges not yet started count at the density seen so
 * far (records per unit of ring), finished ones at what they really held.
 */
export class StreamProgress {
  state: StreamState = 'running';
  peer: string | null = null;
  error: string | null = null;
  keys = 0;
  bytes = 0;
  refetched = 0;
  readonly startedAt: number;
  private samples: Sample[] = [];
  private readonly widths: bigint[];
  private readonly estimates: Array<number | null>;
  private readonly done: boolean[];
  private readonly counted: number[];

  constructor(
    private readonly clock: Clock,
    readonly id: string,
    readonly kind: StreamKind,
    readonly direction: StreamDirection,
    ranges: ReadonlyArray<{ readonly start: bigint; readonly end: bigint }>,
  ) {
    this.startedAt = clock.now();
    this.widths = ranges.map((r) => r.end - r.start);
    this.estimates = ranges.map(() => null);
    this.done = ranges.map(() => false);
    this.counted = ranges.map(() => 0);
    this.samples.push({ at: clock.monotonic(), keys: 0, bytes: 0 });
  }

  estimate(range: number, records: number): void {
    this.estimates[range] = records;
  }

  /** Records moved for range `range`. */
  add(range: number, keys: number, bytes: number): void {
    this.keys += keys;
    this.bytes += bytes;
    this.counted[range] = (this.counted[range] ?? 0) + keys;
    const at = this.clock.monotonic();
    this.samples.push({ at, keys: this.keys, bytes: this.bytes });
    while (this.samples.length > 2 && this.samples[1]!.at <= at - RATE_WINDOW_MS) this.samples.shift();
  }

  rangeDone(range: number): void {
    this.done[range] = true;
  }

  isDone(range: number): boolean {
    return this.done[range] === true;
  }

  get rangesDone(): number {
    return this.done.filter(Boolean).length;
  }

  /** The estimated total records, or null when no range has an estimate yet. */
  keysTotal(): number | null {
    let knownWidth = 0n;
    let knownKeys = 0;
    for (let i = 0; i < this.widths.length; i++) {
      const e = this.done[i] ? this.counted[i]! : this.estimates[i];
      if (e === null || e === undefined) continue;
      knownWidth += this.widths[i]!;
      knownKeys += e;
    }
    if (knownWidth === 0n) return null;
    let total = 0;
    for (let i = 0; i < this.widths.length; i++) {
      const e = this.done[i] ? this.counted[i]! : this.estimates[i];
      total += e ?? (knownKeys * Number(this.widths[i]!)) / Number(knownWidth);
    }
    return Math.max(Math.round(total), this.keys);
  }

  status(): StreamStatus {
    const first = this.samples[0]!;
    const now = this.clock.monotonic();
    const span = (now - first.at) / 1000;
    const keysPerSec = span > 0 ? (this.keys - first.keys) / span : 0;
    const bytesPerSec = span > 0 ? (this.bytes - first.bytes) / span : 0;
    const total = this.keysTotal();
    const finished = this.state === 'done';
    const etaSeconds = finished ? 0 : total !== null && keysPerSec > 0 ? Math.max(0, total - this.keys) / keysPerSec : null;
    return {
      id: this.id,
      kind: this.kind,
      direction: this.direction,
      peer: this.peer,
      state: this.state,
      rangesDone: this.rangesDone,
      rangesTotal: this.widths.length,
      keys: this.keys,
      bytes: this.bytes,
      keysTotal: finished ? this.keys : total,
      keysPerSec: round(keysPerSec),
      bytesPerSec: round(bytesPerSec),
      etaSeconds: etaSeconds === null ? null : round(etaSeconds),
      refetched: this.refetched,
      startedAt: this.startedAt,
      error: this.error,
    };
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Anything with a status: a puller, a pusher. */
export interface StatusSource {
  status(): StreamStatus;
}

/**
 * Every stream of a node, for QKV.STREAMS: those in flight and the last few
 * finished ones (so an operator sees how a join ended).
 */
export class StreamRegistry {
  private readonly live = new Set<StatusSource>();
  private finishedList: StreamStatus[] = [];

  constructor(private readonly keepFinished = 16) {}

  add(stream: StatusSource): void {
    this.live.add(stream);
  }

  /** Moves a stream to the finished list with its final status. */
  finish(stream: StatusSource): void {
    if (!this.live.delete(stream)) return;
    this.finishedList.push(stream.status());
    if (this.finishedList.length > this.keepFinished) this.finishedList = this.finishedList.slice(-this.keepFinished);
  }

  /** Streams in flight first (oldest first), then finished ones. */
  list(): StreamStatus[] {
    const live = [...this.live].map((s) => s.status()).sort((a, b) => a.startedAt - b.startedAt);
    return [...live, ...this.finishedList];
  }

  inFlight(): number {
    return this.live.size;
  }

  /** Pull streams in flight: ranges this node is still taking over. */
  pullsInFlight(): number {
    let n = 0;
    for (const s of this.live) if (s.status().direction === 'pull') n++;
    return n;
  }
}
