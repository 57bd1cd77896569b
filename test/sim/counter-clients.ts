import { isQkvError } from '../../src/core/errors.js';
import type { Rng } from '../../src/core/rng.js';
import { counterValue } from '../../src/versioning/counter-view.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { ClientLoop } from './client-loop.js';
import type { World } from './world.js';

/** Per counter key: what the clients sent and what was acknowledged. */
interface Tally {
  acked: bigint;
  /** Increments whose outcome is unknown or failed: each may count or not. */
  maybe: bigint;
}

/**
 * The counter workload: seeded clients send INCRBY (a positive delta) of a
 * few counter keys to random nodes, beside the other clients and through
 * the same faults. The rule: once repaired, a counter's total is at least
 * the sum of its acknowledged increments (none is lost) and at most that
 * plus the increments whose outcome the client did not learn or that
 * failed. The increments are positive, so both bounds hold for any subset.
 *
 * A forwarded increment the network duplicates is applied twice (the
 * in-memory network duplicates requests; TCP and the entry node never send a
 * write twice): a total above the upper bound is counted, not failed.
 */
export class CounterClients extends ClientLoop {
  readonly tally = new Map<string, Tally>();
  readonly counts = { ops: 0, acked: 0, failed: 0, unknown: 0 };

  constructor(world: World, rng: Rng, readonly keys: readonly string[], budget: number, thinkMs: number, onStep: () => void) {
    super(world, rng, budget, thinkMs, onStep);
    for (const k of keys) this.tally.set(k, { acked: 0n, maybe: 0n });
  }

  protected async run(client: number, op: number): Promise<void> {
    const key = this.keys[this.rng.int(this.keys.length)]!;
    const node = this.world.nodes[this.rng.int(this.world.nodes.length)]!;
    const delta = BigInt(1 + this.rng.int(5));
    const tally = this.tally.get(key)!;
    const note = (text: string): void => this.world.history.note(`counter c${client} op ${op} ${text}`);
    this.counts.ops++;
    note(`incrby ${key} ${delta} at ${node.id}`);
    let target;
    try {
      target = node.coordinator();
    } catch (e) {
      this.counts.failed++;
      return note(`failed: ${(e as Error).message}`);
    }
    const req = { value: Buffer.alloc(0), tombstone: false, expireAt: 0, supersedes: { kind: 'local' as const }, counterDelta: delta };
    try {
      const obj = await Promise.race([target.coord.write(Buffer.from(key), req), target.died]);
      tally.acked += delta;
      this.counts.acked++;
      this.world.count('increments acked');
      note(`ok ${counterValue(obj)}`);
    } catch (e) {
      if (!isQkvError(e)) this.world.oracle.fail('only-expected-errors', `an increment at ${node.id} threw ${(e as Error).stack ?? String(e)}`);
      // Refused before anything was written or not: the checker cannot tell every case apart, so it may count.
      tally.maybe += delta;
      this.world.count('increments failed or unknown');
      if (!node.up || node.coordinator().died !== target.died) this.counts.unknown++;
      else this.counts.failed++;
      note(`failed: ${isQkvError(e) ? `${e.code} ${e.message}` : String(e)}`);
    }
  }

  /** The end-of-run rule for one counter key's repaired record. */
  checkFinal(key: string, obj: VersionedObject | undefined): void {
    const { acked, maybe } = this.tally.get(key)!;
    const total = obj ? (counterValue(obj) ?? 0n) : 0n;
    this.world.history.note(`final counter ${key}: ${total} (acked ${acked}, maybe ${maybe})`);
    if (total < acked) this.world.oracle.fail('no-lost-increment', `${key}: total ${total} is below the ${acked} acknowledged`);
    if (total > acked + maybe) this.world.count('counter totals above the increments sent (duplicated requests)');
  }
}
