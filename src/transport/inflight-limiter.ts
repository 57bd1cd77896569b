/**
 * Bounds requests awaiting replies from one peer. Beyond `maxActive`, callers
 * wait in a FIFO queue of at most `maxQueued`; beyond that they are refused at
 * once, so an unresponsive peer costs bounded memory and callers fail fast.
 */
export interface LimiterTicket {
  readonly grant: () => void;
}

export type AcquireResult = 'granted' | 'queued' | 'refused';

export class InFlightLimiter {
  private activeCount = 0;
  // A Set keeps insertion order and deletes in O(1) when a waiter times out.
  private readonly waiting = new Set<LimiterTicket>();

  constructor(
    readonly maxActive: number,
    readonly maxQueued: number,
  ) {
    if (!(maxActive >= 1)) throw new RangeError('maxActive must be at least 1');
    if (!(maxQueued >= 0)) throw new RangeError('maxQueued must not be negative');
  }

  get active(): number {
    return this.activeCount;
  }

  get queued(): number {
    return this.waiting.size;
  }

  /** 'granted': call ticket work now (grant is not called); 'queued': grant runs later; 'refused': neither. */
  acquire(ticket: LimiterTicket): AcquireResult {
    if (this.activeCount < this.maxActive) {
      this.activeCount++;
      return 'granted';
    }
    if (this.waiting.size >= this.maxQueued) return 'refused';
    this.waiting.add(ticket);
    return 'queued';
  }

  /** Gives back a granted slot; the oldest waiter takes it. */
  release(): void {
    const next = this.waiting.values().next();
    if (!next.done) {
      this.waiting.delete(next.value);
      next.value.grant();
      return;
    }
    this.activeCount = Math.max(0, this.activeCount - 1);
  }

  /** Withdraws a queued ticket (its caller gave up); true if it was waiting. */
  cancel(ticket: LimiterTicket): boolean {
    return this.waiting.delete(ticket);
  }
}
