import { NO_LOG, type StreamLog } from './ring-control.js';
import type { StreamProgress, StreamRegistry, StreamStatus } from './stream-progress.js';
import { StopSignal } from './stream-throttle.js';

/** What every range stream may be given beside its own options. */
export interface RangeStreamShared {
  readonly registry?: StreamRegistry;
  readonly log?: StreamLog;
}

/**
 * The life cycle range streams share (a pull, a push, a cleanup): run once,
 * listed in the registry while it runs and moved to its finished list after;
 * stopped at the next page or sleep; status read from its progress.
 */
export abstract class RangeStream {
  protected readonly signal = new StopSignal();
  protected readonly log: StreamLog;
  private readonly registry: StreamRegistry | undefined;
  private running: Promise<void> | null = null;

  constructor(
    protected readonly progress: StreamProgress,
    shared: RangeStreamShared,
  ) {
    this.registry = shared.registry;
    this.log = shared.log ?? NO_LOG;
  }

  /** Works through every range; resolves when all are done, rejects with StreamStopped if stopped. Idempotent. */
  run(): Promise<void> {
    if (!this.running) {
      this.registry?.add(this);
      this.running = this.stream().finally(() => this.registry?.finish(this));
    }
    return this.running;
  }

  /** Stops at the next page; what is done stays done. */
  stop(): void {
    if (this.progress.state !== 'done') this.progress.state = 'stopped';
    this.signal.stop();
  }

  status(): StreamStatus {
    return this.progress.status();
  }

  /** The stream's work, run once by run(). */
  protected abstract stream(): Promise<void>;
}
