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

/** Deadline order, ties in creation order. */
function before(a: ManualTimer, b: ManualTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.id < b.id);
}

/**
 * A clock that moves only when told to. Timers fire in deadline order (ties in
 * creation order), which keeps simulations reproducible from a seed. They wait
 * in a binary heap: a simulation of a thousand members holds thousands of
 * timers, and finding the next one by a scan made each firing cost them all.
 */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 0;
  private heap: ManualTimer[] = [];
  /** Timers in the heap not cancelled; cancelled ones leave lazily, or all at once when they are most of it. */
  private live = 0;

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
    return this.live;
  }

  /** Moves time forward by ms, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.heap[0];
      if (next === undefined || next.at > target) break;
      this.pop();
      if (next.cancelled) continue;
      this.current = next.at;
      if (next.every !== null) {
        next.at += next.every;
        this.push(next);
      } else {
        next.cancelled = true;
        this.live--;
      }
      next.fn();
    }
    this.current = target;
  }

  private add(fn: () => void, ms: number, every: number | null): TimerHandle {
    const timer: ManualTimer = { id: this.nextId++, at: this.current + Math.max(0, ms), every, fn, cancelled: false };
    this.push(timer);
    this.live++;
    return {
      cancel: () => {
        if (timer.cancelled) return;
        timer.cancelled = true;
        this.live--;
        if (this.heap.length > 64 && this.live < this.heap.length / 2) this.compact();
      },
    };
  }

  private compact(): void {
    const kept = this.heap.filter((t) => !t.cancelled);
    this.heap = [];
    for (const t of kept) this.push(t);
  }

  private push(timer: ManualTimer): void {
    const h = this.heap;
    let i = h.length;
    h.push(timer);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(timer, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = timer;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= h.length) break;
      const right = left + 1;
      const child = right < h.length && before(h[right]!, h[left]!) ? right : left;
      if (!before(h[child]!, last)) break;
      h[i] = h[child]!;
      i = child;
    }
    h[i] = last;
  }
}
