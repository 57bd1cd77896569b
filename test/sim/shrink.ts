import { DEFAULT_OPTIONS, runSeed, type SimOptions } from './simulate.js';

/**
 * The fewest client operations with which a failing seed still fails. A run
 * with a smaller budget is the same history cut short (the clients only stop
 * starting operations), so this finds the shortest failing prefix; binary
 * search assumes that once a prefix fails, longer ones do too, and the
 * result is checked.
 */
export async function shrinkOps(seed: number, options: Partial<SimOptions> = {}): Promise<number> {
  const fails = async (ops: number): Promise<boolean> => (await runSeed(seed, { ...options, ops })).failure !== null;
  let hi = options.ops ?? DEFAULT_OPTIONS.ops;
  let lo = 0;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await fails(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
