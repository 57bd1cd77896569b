import { ManualClock } from '../../src/core/clock.js';
import { SeededRng } from '../../src/core/rng.js';
import { MemoryNetwork, type MemoryNetworkOptions, type NetworkEvent } from '../../src/transport/memory-network.js';

/** Lets promise continuations (handler replies) run. */
export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Advances the manual clock ms milliseconds, one at a time, letting replies go out at the right moment. */
export async function run(clock: ManualClock, ms: number): Promise<void> {
  for (let i = 0; i < ms; i++) {
    clock.advance(1);
    await flush();
  }
}

export function memoryNet(seed: number, opts: Partial<MemoryNetworkOptions> = {}) {
  const clock = new ManualClock(0);
  const events: NetworkEvent[] = [];
  const net = new MemoryNetwork({ clock, rng: new SeededRng(seed), onEvent: (e) => events.push(e), ...opts });
  return { clock, net, events };
}

/** Settles a promise into a value or the error's "CODE message" text, for comparisons. */
export function outcome(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => v,
    (e: { code?: string; message: string }) => `${e.code} ${e.message}`,
  );
}
