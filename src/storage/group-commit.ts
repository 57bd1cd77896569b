import { QkvError } from '../core/errors.js';

/**
 * Group commit: writes submitted while a batch is being written (or within
 * one event-loop turn when nothing is) go together into the next batch. One
 * batch is in flight at a time while the next accumulates, so under load
 * batches grow and each fsync covers more writes. A batch holds at most
 * maxBatchOps writes and maxBatchBytes bytes; writes beyond that wait, in
 * order, for the batches after it. Barriers run alone, after every write
 * submitted before them and before any submitted after them.
 */
export interface GroupCommitOptions {
  readonly maxBatchOps: number;
  readonly maxBatchBytes: number;
  /** How the first write waits for the rest of its turn; default setImmediate. */
  readonly schedule?: (run: () => void) => void;
}

export interface BatchWriter<T> {
  /** Writes one batch; resolves when it is durable. */
  write(items: T[]): Promise<void>;
  /** Called once a batch has been written (error null) or has failed, before its promises settle. */
  settled(items: T[], error: QkvError | null): void;
  /** Why this one item failed in a batch that was written (undefined: it did not). */
  failure?(item: T): unknown;
}

interface OpEntry<T> {
  readonly kind: 'op';
  readonly item: T;
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

interface BarrierEntry {
  readonly kind: 'barrier';
  readonly run: () => Promise<void>;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

type Entry<T> = OpEntry<T> | BarrierEntry;

export class GroupCommit<T> {
  private queue: Array<Entry<T>> = [];
  private head = 0;
  private running = false;
  private queuedOps = 0;
  private queuedBytesTotal = 0;
  private inFlightOps = 0;
  private batchCount = 0;
  private batchedOpCount = 0;
  private readonly schedule: (run: () => void) => void;

  constructor(
    private readonly writer: BatchWriter<T>,
    private readonly options: GroupCommitOptions,
  ) {
    this.schedule = options.schedule ?? ((run) => setImmediate(run));
  }

  /** Writes not yet handed to the engine. */
  get queued(): number {
    return this.queuedOps;
  }

  get queuedBytes(): number {
    return this.queuedBytesTotal;
  }

  /** Writes in the batch being written now. */
  get inFlight(): number {
    return this.inFlightOps;
  }

  /** Batches written (or attempted) so far. */
  get batches(): number {
    return this.batchCount;
  }

  /** Writes that have gone through batches so far. */
  get batchedOps(): number {
    return this.batchedOpCount;
  }

  submit(item: T, bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'op', item, bytes, resolve, reject });
      this.queuedOps++;
      this.queuedBytesTotal += bytes;
      this.kick();
    });
  }

  /** Runs fn once everything submitted before has settled; later writes wait for it. */
  barrier(run: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'barrier', run, resolve, reject });
      this.kick();
    });
  }

  /** Resolves once everything submitted so far has settled, whatever the outcome. */
  drained(): Promise<void> {
    return this.barrier(async () => undefined);
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(() => void this.run());
  }

  private async run(): Promise<void> {
    while (this.head < this.queue.length) {
      const first = this.queue[this.head]!;
      if (first.kind === 'barrier') {
        this.head++;
        await Promise.resolve().then(first.run).then(first.resolve, first.reject);
        continue;
      }
      await this.writeBatch(this.take());
    }
    this.queue = [];
    this.head = 0;
    this.running = false;
  }

  /** The next batch: writes from the head, up to a barrier or the size bounds. */
  private take(): Array<OpEntry<T>> {
    const batch: Array<OpEntry<T>> = [];
    let bytes = 0;
    while (this.head < this.queue.length && batch.length < this.options.maxBatchOps) {
      const e = this.queue[this.head]!;
      if (e.kind !== 'op') break;
      if (batch.length > 0 && bytes + e.bytes > this.options.maxBatchBytes) break;
      batch.push(e);
      bytes += e.bytes;
      this.head++;
    }
    this.queuedOps -= batch.length;
    this.queuedBytesTotal -= bytes;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  private async writeBatch(batch: Array<OpEntry<T>>): Promise<void> {
    const items = batch.map((e) => e.item);
    this.inFlightOps = batch.length;
    let error: QkvError | null = null;
    try {
      await this.writer.write(items);
    } catch (e) {
      error = asWriteError(e);
    }
    this.inFlightOps = 0;
    this.batchCount++;
    this.batchedOpCount += batch.length;
    try {
      this.writer.settled(items, error);
    } catch (e) {
      // A failure to update caches must not stop the queue; the callers hear of it.
      error ??= asWriteError(e);
    }
    for (const e of batch) {
      const own = error ? null : this.writer.failure?.(e.item);
      if (error) e.reject(error);
      else if (own !== undefined && own !== null) e.reject(own);
      else e.resolve();
    }
  }
}

function asWriteError(e: unknown): QkvError {
  if (e instanceof QkvError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new QkvError('IOERR', `storage write failed: ${msg}`);
}
