/**
 * Time comes in through this interface so that a whole cluster can run on a
 * manual clock in one test process. Only src/server builds a RealClock.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the epoch (used for TTLs and write timestamps). */
  now(): number;
  /** Monotonic milliseconds, for measuring durations; never goes backwards. */
  monotonic(): number;
  /** Runs fn once after ms milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Runs fn every ms milliseconds until cancelled. */
  setInterval(fn: () => void, ms: number): TimerHandle;
}

export class RealClock implements Clock {
  /** A skew added to wall time; used by fault tests that offset one node's clock. */
  offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  monotonic(): number {
    return performance.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const t = setInterval(fn, ms);
    t.unref?.();
    return { cancel: () => clearInterval(t) };
  }
}

interface ManualTimer {
  id: number;
  at: number;
  every: number | null;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. Timers fire in deadline order (ties in
 * creation order), which keeps simulations reproducible from a seed.
 */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 0;
  private timers: ManualTimer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  monotonic(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, null);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, Math.max(1, ms));
  }

  /** Number of timers still waiting to fire. */
  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by ms, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.current = next.at;
      if (next.every !== null) next.at += next.every;
      else next.cancelled = true;
      next.fn();
    }
    this.current = target;
    this.timers = this.timers.filter((t) => !t.cancelled);
  }

  private nextDue(limit: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers) {
      if (t.cancelled || t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    }
    return best;
  }

  private add(fn: () => void, ms: number, every: number | null): TimerHandle {
    const timer: ManualTimer = { id: this.nextId++, at: this.current + Math.max(0, ms), every, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
}
