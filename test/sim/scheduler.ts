import { writeSync } from 'node:fs';
import { ManualClock, type Clock, type TimerHandle } from '../../src/core/clock.js';

/**
 * The simulation's only notion of time. Everything in the cluster runs as
 * promise continuations (microtasks) and timers on one ManualClock; the
 * scheduler alternates "let every continuation run" and "jump the clock to
 * the next timer". No real timer, no I/O: the same seed gives the same
 * interleaving every time.
 */
export class SimClock extends ManualClock {
  /** Deadlines of timers not yet fired or cancelled (a multiset, kept sorted lazily). */
  private readonly deadlines = new Map<number, number>();
  /** Clock reads since simulated time last moved: a loop of promise jobs (or 0 ms timers) that never waits shows here. */
  private readsStill = 0;
  /** Named in the livelock report: the seed and options to replay. */
  label = '';

  /**
   * Far more reads than any instant of a healthy run makes. Such a loop
   * never returns to the scheduler, so nothing else could report it: the
   * process says which run spun and exits.
   */
  static readonly LIVELOCK_READS = 5_000_000;

  override now(): number {
    this.watch();
    return super.now();
  }

  override monotonic(): number {
    this.watch();
    return super.monotonic();
  }

  override advance(ms: number): void {
    if (ms > 0) this.readsStill = 0;
    super.advance(ms);
  }

  private watch(): void {
    if (++this.readsStill <= SimClock.LIVELOCK_READS) return;
    writeSync(2, `livelock: simulated time stood still for ${SimClock.LIVELOCK_READS} clock reads (promise jobs or 0 ms timers that never wait) in ${this.label || 'a simulation'}\n`);
    process.exit(3);
  }

  override setTimeout(fn: () => void, ms: number): TimerHandle {
    const at = this.now() + Math.max(0, ms);
    this.track(at, 1);
    let live = true;
    const handle = super.setTimeout(() => {
      live = false;
      this.track(at, -1);
      fn();
    }, ms);
    return {
      cancel: () => {
        if (!live) return;
        live = false;
        this.track(at, -1);
        handle.cancel();
      },
    };
  }

  override setInterval(fn: () => void, ms: number): TimerHandle {
    const every = Math.max(1, ms);
    let at = this.now() + Math.max(0, ms);
    this.track(at, 1);
    let live = true;
    const handle = super.setInterval(() => {
      this.track(at, -1);
      at += every;
      this.track(at, 1);
      fn();
    }, ms);
    return {
      cancel: () => {
        if (!live) return;
        live = false;
        this.track(at, -1);
        handle.cancel();
      },
    };
  }

  /** The earliest pending deadline, or undefined when no timer waits. */
  nextDeadline(): number | undefined {
    let best: number | undefined;
    for (const at of this.deadlines.keys()) if (best === undefined || at < best) best = at;
    return best;
  }

  private track(at: number, delta: number): void {
    const n = (this.deadlines.get(at) ?? 0) + delta;
    if (n <= 0) this.deadlines.delete(at);
    else this.deadlines.set(at, n);
  }
}

/** Lets every queued promise continuation run (the cluster only ever queues microtasks). */
export function drain(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs the simulation until `done()` holds or `untilMs` of simulated time is
 * reached: drain continuations, then fire the next due timers. Resolves true
 * if done() held, false when time ran out (or nothing is left to happen).
 */
export async function runUntil(clock: SimClock, done: () => boolean, untilMs: number): Promise<boolean> {
  await drain();
  for (;;) {
    if (done()) return true;
    const next = clock.nextDeadline();
    if (next === undefined || next > untilMs) {
      if (clock.now() < untilMs) clock.advance(untilMs - clock.now());
      await drain();
      return done();
    }
    clock.advance(Math.max(0, next - clock.now()));
    await drain();
  }
}

/**
 * A clock for one incarnation of a node: the shared clock, but every timer
 * it set is cancelled when the node crashes, so a dead process does no more
 * work (its pending requests never time out, its batches never land). Its
 * wall clock may be off the true time by the machine's offset (skew); timers
 * and the monotonic clock run at the true rate.
 */
export class IncarnationClock implements Clock {
  private readonly live = new Set<TimerHandle>();
  private dead = false;

  constructor(
    private readonly base: Clock,
    /** ms this machine's wall clock is ahead of the true time (negative: behind). */
    private readonly offsetMs = 0,
  ) {}

  now(): number {
    return this.base.now() + this.offsetMs;
  }

  monotonic(): number {
    return this.base.monotonic();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    if (this.dead) return { cancel: () => undefined };
    const h: TimerHandle = this.base.setTimeout(() => {
      this.live.delete(h);
      fn();
    }, ms);
    this.live.add(h);
    return { cancel: () => (h.cancel(), this.live.delete(h)) };
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    if (this.dead) return { cancel: () => undefined };
    const h = this.base.setInterval(fn, ms);
    this.live.add(h);
    return { cancel: () => (h.cancel(), this.live.delete(h)) };
  }

  /** Cancels every timer of this incarnation and refuses new ones. */
  kill(): void {
    this.dead = true;
    for (const h of this.live) h.cancel();
    this.live.clear();
  }
}
