/**
 * INFO's instantaneous_ops_per_sec, as Redis works it out: the command
 * count is sampled every SAMPLE_MS, and the rate is the mean of the last
 * SAMPLES intervals' rates, so one busy or idle moment moves it only a
 * little.
 */
export const SAMPLE_MS = 100;
const SAMPLES = 16;

export class OpsRate {
  private readonly rates: number[] = [];
  private last: { at: number; count: number } | undefined;

  /** Records the running total `count` at monotonic time `at` (ms). */
  sample(at: number, count: number): void {
    if (this.last && at > this.last.at) {
      // A reset of the count (CONFIG RESETSTAT) reads as no commands in that interval.
      const done = Math.max(0, count - this.last.count);
      this.rates.push((done * 1000) / (at - this.last.at));
      if (this.rates.length > SAMPLES) this.rates.shift();
    }
    this.last = { at, count };
  }

  perSecond(): number {
    if (this.rates.length === 0) return 0;
    return Math.round(this.rates.reduce((a, b) => a + b, 0) / this.rates.length);
  }
}
