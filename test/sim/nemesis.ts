import type { Rng } from '../../src/core/rng.js';
import type { World } from './world.js';

/** Which faults the nemesis may inject. */
export interface FaultOptions {
  readonly crashes: boolean;
  readonly partitions: boolean;
  /** Periods of message loss and duplication. */
  readonly lossy: boolean;
  readonly diskFaults: boolean;
  /** Mean ms between faults. */
  readonly meanGapMs: number;
  /** Most nodes down at once. */
  readonly maxDown: number;
}

export const DEFAULT_FAULTS: FaultOptions = { crashes: true, partitions: true, lossy: true, diskFaults: true, meanGapMs: 40, maxDown: 1 };

/**
 * Seeded faults while the clients run: crashes and restarts, partitions
 * (random splits, sometimes one-way) and heals, lossy and duplicating
 * periods, failing disk writes. Each fault is a step: it is noted in the
 * history and followed by the invariant checks.
 */
export class Nemesis {
  private stopped = false;
  faults = 0;

  constructor(
    private readonly world: World,
    private readonly rng: Rng,
    private readonly opts: FaultOptions,
    private readonly onStep: () => void,
  ) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.world.clock.setTimeout(() => {
      if (this.stopped) return;
      this.act();
      this.onStep();
      this.schedule();
    }, 1 + this.rng.int(2 * this.opts.meanGapMs));
  }

  private act(): void {
    const { world, opts, rng } = this;
    const note = (text: string): void => world.history.note(`nemesis ${text}`);
    const breaks: Array<() => void> = [];
    const mends: Array<() => void> = [];
    const down = world.nodes.filter((n) => !n.up);
    const up = world.nodes.filter((n) => n.up);
    if (opts.crashes && down.length < opts.maxDown) {
      breaks.push(() => {
        const node = up[rng.int(up.length)]!;
        note(`crash ${node.id}`);
        node.crash();
      });
    }
    if (opts.crashes && down.length > 0) {
      mends.push(() => {
        const node = down[rng.int(down.length)]!;
        note(`restart ${node.id}`);
        void node.start();
      });
    }
    if (opts.partitions) {
      breaks.push(() => {
        // One cut at a time: a new split replaces the old one.
        world.net.heal();
        const ids = world.nodes.map((n) => n.id);
        const a = ids.filter(() => rng.next() < 0.5);
        const b = ids.filter((id) => !a.includes(id));
        if (a.length === 0 || b.length === 0) return note('heal partitions');
        const oneWay = rng.next() < 0.3;
        note(`partition [${a.join(',')}] ${oneWay ? '->x' : 'x'} [${b.join(',')}]`);
        world.net.partition(a, b, oneWay);
      });
      if (this.partitioned) {
        mends.push(() => {
          note('heal partitions');
          world.net.heal();
        });
      }
    }
    if (opts.lossy) {
      breaks.push(() => {
        const lossRate = rng.int(20) / 100;
        const duplicateRate = rng.int(20) / 100;
        note(`network loss ${lossRate} duplication ${duplicateRate}`);
        world.net.setFaults({ lossRate, duplicateRate });
      });
      const f = world.net.linkFaults;
      if (f.lossRate > 0 || f.duplicateRate > 0) {
        mends.push(() => {
          note('network loss 0 duplication 0');
          world.net.setFaults({ lossRate: 0, duplicateRate: 0 });
        });
      }
    }
    if (opts.diskFaults) {
      breaks.push(() => {
        const node = world.nodes[rng.int(world.nodes.length)]!;
        note(`disk of ${node.id} fails its next write`);
        node.disk.failNextWrites(1);
      });
    }
    // Faults do not pile up: while something is broken, half the steps mend something.
    const pool = mends.length > 0 && (breaks.length === 0 || rng.next() < 0.5) ? mends : breaks;
    if (pool.length === 0) return;
    pool[rng.int(pool.length)]!();
    this.faults++;
  }

  /** Whether some pair of nodes cannot talk (the nemesis is the only one partitioning). */
  private get partitioned(): boolean {
    const ids = this.world.nodes.map((n) => n.id);
    return ids.some((a) => ids.some((b) => a !== b && !this.world.net.canReach(a, b)));
  }
}
