import type { Rng } from '../../src/core/rng.js';
import type { SimNode } from './sim-node.js';
import type { World } from './world.js';

/** Which faults the nemesis may inject. */
export interface FaultOptions {
  readonly crashes: boolean;
  readonly partitions: boolean;
  /** Periods of message loss and duplication. */
  readonly lossy: boolean;
  readonly diskFaults: boolean;
  /** A node isolated (not crashed) long enough to be declared dead, then back. */
  readonly pauses: boolean;
  /** A split held long enough for each side to declare the other dead (stale views, stand-ins). */
  readonly longPartitions: boolean;
  /**
   * A node's disk replaced by an empty one, the node restarted at once under
   * the same id, and clients steered to overwrite existing keys through it.
   */
  readonly wipes: boolean;
  /** A machine losing power: with sync false, its batches younger than the fsync horizon are lost. */
  readonly powerLosses: boolean;
  /** A node's next purge (tombstone collection) fails, so replicas disagree on a collected key. */
  readonly purgeFaults: boolean;
  /**
   * Ring changes by an operator, one at a time (needs the cluster profile's
   * assembled nodes): a new node joins (streams its ranges in), a member
   * leaves (streams its ranges out, then stops), a dead member is removed
   * with its disk (the others rebuild its ranges). The cluster keeps
   * between N + 1 members and two more than it started with.
   */
  readonly membershipChanges: boolean;
  /** Least ms between the end of one ring change and the start of the next. */
  readonly membershipGapMs: number;
  /** Least ms between two faults that destroy data (wipes, power losses). */
  readonly destructiveGapMs: number;
  /** How long clients keep overwriting through a node just wiped. */
  readonly steerMs: number;
  /** How long a pause or long partition lasts: [min, max) ms. */
  readonly holdMs: readonly [number, number];
  /** Mean ms between faults. */
  readonly meanGapMs: number;
  /** Most nodes down at once. */
  readonly maxDown: number;
}

export const DEFAULT_FAULTS: FaultOptions = {
  crashes: true,
  partitions: true,
  lossy: true,
  diskFaults: true,
  pauses: false,
  longPartitions: false,
  wipes: false,
  powerLosses: false,
  purgeFaults: false,
  membershipChanges: false,
  membershipGapMs: 300,
  destructiveGapMs: 300,
  steerMs: 60,
  holdMs: [400, 1200],
  meanGapMs: 40,
  maxDown: 1,
};

/**
 * Seeded faults while the clients run: crashes and restarts, partitions
 * (random splits, sometimes one-way) and heals, lossy and duplicating
 * periods, failing disk writes; optionally wiped disks and power losses.
 * Each fault is a step: it is noted in the history and followed by the
 * invariant checks.
 */
export class Nemesis {
  private stopped = false;
  /** While a pause or long partition lasts, no other partition step runs (a heal would end it early). */
  private heldUntil = -Infinity;
  /** When the last wipe or power loss happened. */
  private lastDestroyed = -Infinity;
  /** When the last ring change was seen under way. */
  private lastChange = -Infinity;
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
    // A node joining or leaving keeps its disk: the operator's change is not raced with a lost drive.
    const settled = up.filter((n) => !world.changes.inTransition(n.id));
    if (opts.crashes && down.length < opts.maxDown) {
      breaks.push(() => {
        const node = up[rng.int(up.length)]!;
        note(`crash ${node.id}`);
        node.crash();
      });
    }
    const destroying = world.clock.now() - this.lastDestroyed >= opts.destructiveGapMs && down.length < opts.maxDown;
    if (opts.wipes && destroying && settled.length > 0) {
      breaks.push(() => {
        const node = settled[rng.int(settled.length)]!;
        note(`wipe the disk of ${node.id} and restart it under the same id; clients overwrite through it`);
        this.lastDestroyed = world.clock.now();
        world.wipe(node.id);
        world.steer = { node: node.id, until: world.clock.now() + opts.steerMs };
      });
    }
    if (opts.powerLosses && destroying && settled.length > 0) {
      breaks.push(() => {
        // A node writing with sync false has something to lose; one that syncs just crashes.
        const unsynced = settled.filter((n) => n.cache);
        const pool = unsynced.length > 0 ? unsynced : settled;
        const node = pool[rng.int(pool.length)]!;
        note(`power loss on ${node.id}${node.cache ? ` (sync false: ${node.cache.unsynced} unsynced batch(es))` : ''}`);
        this.lastDestroyed = world.clock.now();
        world.powerLoss(node.id);
      });
    }
    if (opts.crashes && down.length > 0) {
      mends.push(() => {
        const node = down[rng.int(down.length)]!;
        note(`restart ${node.id}`);
        void node.start();
      });
    }
    const holding = world.clock.now() < this.heldUntil;
    if (opts.pauses && !holding) {
      breaks.push(() => {
        const node = world.nodes[rng.int(world.nodes.length)]!;
        this.hold(`pause ${node.id}`, () => {
          world.net.heal();
          world.net.isolate(node.id);
        });
      });
    }
    if (opts.longPartitions && !holding) {
      breaks.push(() => {
        // A minority of one or two nodes, so the majority side keeps quorums.
        const ids = world.nodes.map((n) => n.id);
        const minority: string[] = [];
        for (let k = 1 + rng.int(2); k > 0; k--) minority.push(ids.filter((id) => !minority.includes(id))[rng.int(ids.length - minority.length)]!);
        minority.sort();
        const rest = ids.filter((id) => !minority.includes(id));
        this.hold(`long partition [${minority.join(',')}] x [${rest.join(',')}]`, () => {
          world.net.heal();
          world.net.partition(minority, rest);
        });
      });
    }
    if (opts.partitions && !holding) {
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
    if (opts.purgeFaults) {
      breaks.push(() => {
        const node = world.nodes[rng.int(world.nodes.length)]!;
        note(`disk of ${node.id} fails its next purge`);
        node.failNextPurges(1);
      });
    }
    if (opts.membershipChanges) this.ringChanges(breaks, down, up);
    // Faults do not pile up: while something is broken, half the steps mend something.
    const pool = mends.length > 0 && (breaks.length === 0 || rng.next() < 0.5) ? mends : breaks;
    if (pool.length === 0) return;
    pool[rng.int(pool.length)]!();
    this.faults++;
  }

  /** Offers a join, a leave or a removal when no ring change is under way and the last one ended a while ago. */
  private ringChanges(breaks: Array<() => void>, down: readonly SimNode[], up: readonly SimNode[]): void {
    const { world, opts, rng } = this;
    const changes = world.changes;
    changes.step();
    if (changes.busy) this.lastChange = world.clock.now();
    if (changes.busy || world.clock.now() - this.lastChange < opts.membershipGapMs) return;
    const note = (text: string): void => world.history.note(`nemesis ${text}`);
    const members = world.nodes.length;
    const n = world.settings.n;
    if (members < world.opts.nodes + 2) {
      breaks.push(() => note(`add ${changes.join()}: it joins the ring`));
    }
    const normal = up.filter((x) => x.assembled()?.membership()?.self.state === 'normal');
    if (members > n + 1 && normal.length > 0) {
      breaks.push(() => {
        const node = normal[rng.int(normal.length)]!;
        note(`QKV.LEAVE on ${node.id}`);
        changes.leave(node.id);
      });
    }
    if (members > n + 1 && down.length > 0) {
      breaks.push(() => {
        const node = down[rng.int(down.length)]!;
        note(`${node.id} is gone with its disk: QKV.REMOVE ${node.id}`);
        changes.remove(node.id);
      });
    }
  }

  /** Starts a long fault and schedules its end (a step of its own). */
  private hold(what: string, begin: () => void): void {
    const [min, max] = this.opts.holdMs;
    const ms = min + this.rng.int(Math.max(1, max - min));
    this.world.history.note(`nemesis ${what} for ${ms} ms`);
    begin();
    this.heldUntil = this.world.clock.now() + ms;
    this.world.clock.setTimeout(() => {
      if (this.stopped) return;
      this.world.history.note(`nemesis ${what} ends: heal`);
      this.world.net.heal();
      this.onStep();
    }, ms);
  }

  /** Whether some pair of nodes cannot talk (the nemesis is the only one partitioning). */
  private get partitioned(): boolean {
    const ids = this.world.nodes.map((n) => n.id);
    return ids.some((a) => ids.some((b) => a !== b && !this.world.net.canReach(a, b)));
  }
}
