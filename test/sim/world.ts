import { keyHash } from '../../src/core/hash.js';
import { SeededRng } from '../../src/core/rng.js';
import { Ring } from '../../src/ring/ring.js';
import { MemoryNetwork } from '../../src/transport/memory-network.js';
import type { PeerAddress } from '../../src/transport/types.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { History } from './history.js';
import type { NodePlugins, SimSettings } from './node-services.js';
import { Oracle } from './oracle.js';
import { runUntil, SimClock } from './scheduler.js';
import { MembershipChanges } from './membership-changes.js';
import { SimNode, type MachineOptions, type NodeEnv } from './sim-node.js';

export interface WorldOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly settings: SimSettings;
  readonly vnodes: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxWriteDelayMs: number;
  readonly plugins: NodePlugins;
  readonly tickMs: number;
  /** Keep history lines for printing (with network events too when verboseNetwork). */
  readonly keepHistory: boolean;
  readonly verboseNetwork: boolean;
  /** Each node's machine (sync, clock offset), in node order; default: sync true, no skew. */
  readonly machines?: readonly MachineOptions[];
  /** A node with sync false loses, in a power loss, the batches that landed within this many ms. */
  readonly fsyncHorizonMs?: number;
}

/**
 * The simulated cluster: one SimClock, one seeded MemoryNetwork, K nodes
 * with a static ring, and the run's history and checker. Everything random
 * comes from `seed`.
 */
export class World {
  readonly clock = new SimClock();
  readonly net: MemoryNetwork;
  readonly ring: Ring;
  /** The members of the cluster now (started or down); nodes that left or were removed move to `retired`. */
  readonly nodes: SimNode[];
  readonly retired: SimNode[] = [];
  readonly history: History;
  readonly oracle = new Oracle();
  readonly settings: SimSettings;
  /** While set (until `until`), clients send overwrites of existing keys through `node` (just wiped). */
  steer: { node: string; until: number } | null = null;
  /** Events of the run by name, for the summary. */
  readonly counters = new Map<string, number>();

  constructor(readonly opts: WorldOptions) {
    this.settings = { ...opts.settings };
    this.history = new History(() => this.clock.now() - this.startedAt, opts.keepHistory, opts.verboseNetwork);
    this.net = new MemoryNetwork({
      clock: this.clock,
      rng: new SeededRng(opts.seed * 2 + 1),
      minDelayMs: opts.minDelayMs,
      maxDelayMs: opts.maxDelayMs,
      onEvent: (e) => this.history.network({ ...e, at: e.at - this.startedAt }),
    });
    const ids = Array.from({ length: opts.nodes }, (_, i) => `n${i}`);
    this.ring = Ring.build(ids.map((id) => ({ id, rack: 'r1', dc: 'dc1', vnodes: opts.vnodes, state: 'normal' as const })));
    // Addresses are configuration, known before any node starts (as seed lists are).
    const directory = new Map<string, PeerAddress>(ids.map((id, i) => [id, simAddress(i)]));
    const env: NodeEnv = {
      clock: this.clock,
      net: this.net,
      ring: this.ring,
      settings: this.settings,
      directory,
      seedIds: ids,
      vnodes: opts.vnodes,
      expectedMembers: () => this.nodes.map((n) => n.id),
      onLeft: (id: string) => this.left(id),
      plugins: opts.plugins,
      seed: opts.seed,
      maxWriteDelayMs: opts.maxWriteDelayMs,
      fsyncHorizonMs: opts.fsyncHorizonMs ?? 50,
      tickMs: opts.tickMs,
      note: (text: string) => this.history.note(text),
      count: (event: string, n = 1) => this.count(event, n),
      onPut: (node: string, key: Buffer, obj: VersionedObject) => this.oracle.observePut(node, key.toString(), obj),
      onStored: (node: string, key: Buffer, obj: VersionedObject) => this.oracle.observeStored(node, key.toString(), obj, this.clock.now()),
      onPurge: (node: string, key: Buffer, obj: VersionedObject) => {
        this.history.note(`${node} collects ${key.toString()}`);
        this.count('tombstones collected');
        this.oracle.observePurge(key.toString(), obj);
      },
    };
    this.env = env;
    this.nodes = ids.map((id, i) => new SimNode(id, env, opts.machines?.[i]));
    this.named = ids.length;
  }

  private readonly env: NodeEnv;
  /** Node ids handed out so far (a new node gets the next; ids are never reused). */
  private named: number;
  /** Joins, leaves and removals under way (the nemesis starts them, the repair phase waits for them). */
  readonly changes = new MembershipChanges(this);

  /** A new node, configured with the seeds and starting 'joining' when started (not started here). */
  addNode(): SimNode {
    const i = this.named++;
    const id = `n${i}`;
    this.env.directory.set(id, simAddress(i));
    const node = new SimNode(id, this.env, { sync: true, clockOffsetMs: 0, freshState: 'joining' });
    this.nodes.push(node);
    this.history.note(`${id} is added to the cluster`);
    return node;
  }

  /** The ring replicas are placed by now: a running node's view (the static first ring without one). */
  currentRing(): Ring {
    for (const n of this.nodes) {
      const ring = n.assembled()?.membership()?.ring();
      if (ring) return ring;
    }
    return this.ring;
  }

  private readonly startedAt = this.clock.now();

  /** A node finished leaving: it stops for good and is no longer a member. */
  private left(id: string): void {
    this.history.note(`${id} has left the cluster and stops`);
    this.retire(id);
  }

  /** Takes a node out of the cluster for good (it stops if running and never starts again). */
  retire(id: string): void {
    const node = this.nodes.find((x) => x.id === id);
    if (!node) return;
    node.retire();
    this.nodes.splice(this.nodes.indexOf(node), 1);
    this.retired.push(node);
  }

  count(event: string, n = 1): void {
    this.counters.set(event, (this.counters.get(event) ?? 0) + n);
  }

  /** The disk of `id` is replaced by an empty one and the node starts again at once, under the same id. */
  wipe(id: string): void {
    const node = this.node(id);
    node.wipe();
    this.oracle.observeDiskLoss(id, -Infinity);
    this.count('disks wiped');
    void node.start();
  }

  /** `id` loses power: with sync false, the batches younger than the fsync horizon are gone. Down until restarted. */
  powerLoss(id: string): void {
    const node = this.node(id);
    const cutoff = this.clock.now() - (node.cache?.horizonMs ?? Infinity);
    void node.powerLoss().then((lost) => {
      if (lost > 0) this.history.note(`${id} lost ${lost} unsynced batch(es)`);
      this.count('unsynced batches lost', lost);
    });
    if (node.cache) this.oracle.observeDiskLoss(id, cutoff);
    this.count('power losses');
  }

  /** Simulated ms since the world was made. */
  elapsed(): number {
    return this.clock.now() - this.startedAt;
  }

  /** Starts every node and waits until their services are ready (membership converged). */
  async start(): Promise<void> {
    await this.settle(Promise.all(this.nodes.map((n) => n.start())));
    await this.settle(Promise.all(this.nodes.flatMap((n) => n.services().map((s) => s.ready?.()))));
  }

  node(id: string): SimNode {
    const node = this.nodes.find((x) => x.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  replicasOf(key: string): readonly string[] {
    return this.currentRing().preferenceList(keyHash(Buffer.from(key)), this.settings.n);
  }

  /** Runs the world until p settles (or maxMs of simulated time pass: then throws). */
  async settle<T>(p: Promise<T>, maxMs = 60_000): Promise<T> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    if (!(await runUntil(this.clock, () => done, this.clock.now() + maxMs))) throw new Error(`still pending after ${maxMs} ms of simulated time`);
    return p;
  }

  /** Lets ms of simulated time pass. */
  async idle(ms: number): Promise<void> {
    await runUntil(this.clock, () => false, this.clock.now() + ms);
  }

  /** Stops every node in order; services' stops may wait on storage, so the clock runs meanwhile. */
  async stop(): Promise<void> {
    for (const n of this.nodes) await this.settle(n.stop());
  }
}

/** The configured address of the i-th node of a world. */
export function simAddress(i: number): PeerAddress {
  return { host: `10.0.${(i >> 8) & 255}.${(i & 255) + 1}`, port: 7000 };
}
