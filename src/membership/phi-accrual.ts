/**
 * The phi accrual failure detector (Hayashibara et al.): instead of a
 * yes/no verdict, the suspicion level phi = -log10(P(a heartbeat comes this
 * late)), from the mean and deviation of recent inter-arrival times (a
 * bounded window). Phi 1 means a 10% chance of a mistake, 3 means 0.1%.
 * The normal CDF uses the logistic approximation Akka uses, which stays
 * finite far into the tail.
 */
export const PHI_MAX = 1000;

export interface PhiOptions {
  /** Inter-arrival samples kept. */
  readonly window: number;
  /** Floor of the standard deviation, so a very regular peer is not suspected after a tiny delay. */
  readonly minStdDevMs: number;
}

export class PhiAccrual {
  private readonly intervals: number[] = [];
  private last: number | null = null;
  private sum = 0;
  private sumSq = 0;

  constructor(private readonly opts: PhiOptions) {}

  /** Records a heartbeat (an ack) at time now. */
  heartbeat(now: number): void {
    if (this.last !== null) {
      const gap = Math.max(0, now - this.last);
      this.intervals.push(gap);
      this.sum += gap;
      this.sumSq += gap * gap;
      if (this.intervals.length > this.opts.window) {
        const old = this.intervals.shift()!;
        this.sum -= old;
        this.sumSq -= old * old;
      }
    }
    this.last = now;
  }

  /** Phi at time now: 0 until two heartbeats gave one interval. */
  phi(now: number): number {
    const n = this.intervals.length;
    if (n === 0 || this.last === null) return 0;
    const mean = this.sum / n;
    const variance = Math.max(0, this.sumSq / n - mean * mean);
    const stdDev = Math.max(this.opts.minStdDevMs, Math.sqrt(variance));
    const y = (now - this.last - mean) / stdDev;
    const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
    const p = now - this.last > mean ? e / (1 + e) : 1 - 1 / (1 + e);
    if (p <= 0) return PHI_MAX;
    return Math.min(PHI_MAX, Math.max(0, -Math.log10(p)));
  }
}

/** One detector per peer, made on first use. */
export class PhiTable {
  private readonly byPeer = new Map<string, PhiAccrual>();

  constructor(private readonly opts: PhiOptions) {}

  of(id: string): PhiAccrual {
    let p = this.byPeer.get(id);
    if (!p) {
      p = new PhiAccrual(this.opts);
      this.byPeer.set(id, p);
    }
    return p;
  }

  get(id: string): PhiAccrual | undefined {
    return this.byPeer.get(id);
  }
}
