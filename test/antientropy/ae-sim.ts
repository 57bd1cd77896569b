import { ManualClock, type Clock, type TimerHandle } from '../../src/core/clock.js';
import { keyHash } from '../../src/core/hash.js';
import { SeededRng } from '../../src/core/rng.js';
import { ClusterCoordinator } from '../../src/coordinator/cluster-coordinator.js';
import { FLUSH_EPOCH_META } from '../../src/coordinator/replica-service.js';
import { AntiEntropy, type AntiEntropyOptions } from '../../src/antientropy/index.js';
import { Ring } from '../../src/ring/ring.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore, type RecordStore } from '../../src/storage/record-store.js';
import { MemoryNetwork, type MemoryEndpoint } from '../../src/transport/memory-network.js';
import { encodeObject } from '../../src/versioning/codec.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { flush } from '../support/sim-cluster.js';

/** One node's wall clock, offset from the simulation's (a skewed node); timers and monotonic time are shared. */
export class OffsetClock implements Clock {
  constructor(
    private readonly base: Clock,
    public offsetMs: number,
  ) {}
  now(): number {
    return this.base.now() + this.offsetMs;
  }
  monotonic(): number {
    return this.base.monotonic();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.base.setTimeout(fn, ms);
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.base.setInterval(fn, ms);
  }
}

export type AeOptions = Partial<Omit<AntiEntropyOptions, 'nodeId' | 'n' | 'clock' | 'transport' | 'ring' | 'inner' | 'mergeLocal' | 'epoch'>>;

/** One node: a record store over a memory engine, anti-entropy over it, a coordinator over the tracked store. */
export interface AeNode {
  readonly id: string;
  engine: MemoryEngine;
  store: RecordStore;
  ae: AntiEntropy;
  coord: ClusterCoordinator;
  endpoint: MemoryEndpoint;
  /** This node's own clock (the simulation's, offset by setSkew). */
  clock: OffsetClock;
  up: boolean;
}

/**
 * Nodes wired as the server wires them (antientropy-wiring.ts), on one
 * MemoryNetwork and ManualClock: merges go through the coordinator's
 * replica merge ('r.merge' to itself), the epoch is the stored flush epoch.
 */
export class AeSim {
  readonly nodes: AeNode[] = [];
  readonly ring: Ring;

  private constructor(
    readonly clock: ManualClock,
    readonly net: MemoryNetwork,
    readonly n: number,
    ids: string[],
    private readonly aeOpts: AeOptions,
  ) {
    this.ring = Ring.build(ids.map((id) => ({ id, rack: 'r1', dc: 'dc1', vnodes: 4, state: 'normal' as const })));
  }

  /** Nodes that only answer exchanges (their scheduler never fires on its own). */
  private passive = new Set<string>();

  static async start(count: number, n: number, aeOpts: AeOptions = {}, passive: string[] = []): Promise<AeSim> {
    const clock = new ManualClock();
    const net = new MemoryNetwork({ clock, rng: new SeededRng(3), minDelayMs: 1, maxDelayMs: 1 });
    const ids = Array.from({ length: count }, (_, i) => `n${i}`);
    const sim = new AeSim(clock, net, n, ids, aeOpts);
    sim.passive = new Set(passive);
    for (const id of ids) sim.nodes.push(await sim.boot(id, new MemoryEngine()));
    net.introduceAll();
    return sim;
  }

  /** Per-node wall clock offsets (ms), kept across restarts. */
  private readonly skews = new Map<string, number>();

  /** Moves one node's wall clock by offsetMs from the simulation's (QKV.DEBUG CLOCK-OFFSET). */
  setSkew(id: string, offsetMs: number): void {
    this.skews.set(id, offsetMs);
    const node = this.nodes.find((x) => x.id === id);
    if (node) node.clock.offsetMs = offsetMs;
  }

  private async boot(id: string, engine: MemoryEngine): Promise<AeNode> {
    await engine.open();
    const clock = new OffsetClock(this.clock, this.skews.get(id) ?? 0);
    let ae!: AntiEntropy;
    const store = await openRecordStore(engine, { sync: false, clock, schedule: (run) => queueMicrotask(run), canPurge: (k, o, now) => ae.canPurge(k, o, now) });
    const endpoint = this.net.attach(id, { requestTimeoutMs: 1_000_000 });
    let coord!: ClusterCoordinator;
    ae = new AntiEntropy({
      nodeId: id,
      n: this.n,
      clock,
      transport: endpoint.rpc,
      ring: () => this.ring,
      isReachable: (peer) => this.net.canReach(id, peer) && this.net.canReach(peer, id),
      inner: store,
      mergeLocal: async (key, obj, epoch) => {
        await coord.handleRequest(id, { type: 'r.merge', key, obj: encodeObject(obj), epoch });
      },
      epoch: async () => {
        const b = await store.getMeta(FLUSH_EPOCH_META);
        return b && b.length === 8 ? Number(b.readBigUInt64BE(0)) : 0;
      },
      intervalMs: 100,
      fullPassMs: 1000,
      requestTimeoutMs: 5000,
      ...this.aeOpts,
      ...(this.passive.has(id) ? { intervalMs: 1e12 } : {}),
    });
    coord = new ClusterCoordinator({
      nodeId: id,
      store: ae.store,
      transport: endpoint.rpc,
      members: { ring: () => this.ring, isReachable: (peer) => this.net.canReach(id, peer) && this.net.canReach(peer, id) },
      clock,
      rng: new SeededRng(9),
      n: this.n,
      r: () => Math.min(2, this.n),
      w: () => Math.min(2, this.n),
      requestTimeoutMs: () => 200,
    });
    endpoint.rpc.onRequest((from, msg) => (ae.handles(msg) ? ae.handleRequest(from, msg) : coord.handleRequest(from, msg)));
    return { id, engine, store, ae, coord, endpoint, clock, up: true };
  }

  node(id: string): AeNode {
    return this.nodes.find((x) => x.id === id)!;
  }

  replicasOf(key: Buffer | string): readonly string[] {
    return this.ring.preferenceList(keyHash(key), this.n);
  }

  /** Stops a node (its data stays in its engine unless wipe). */
  async stop(id: string): Promise<void> {
    const node = this.node(id);
    await node.ae.close();
    await node.endpoint.close();
    await node.store.close();
    node.up = false;
  }

  /** Starts a stopped node again over its engine (or an empty one: a wiped disk). */
  async restart(id: string, wipe = false): Promise<AeNode> {
    const old = this.node(id);
    const fresh = await this.boot(id, wipe ? new MemoryEngine() : old.engine);
    this.nodes[this.nodes.indexOf(old)] = fresh;
    this.net.introduceAll();
    return fresh;
  }

  startAll(): void {
    for (const node of this.nodes) if (node.up) node.ae.start();
  }


  async settle<T>(p: Promise<T>, maxMs = 200_000): Promise<T> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    await flush();
    for (let i = 0; !done && i < maxMs; i++) {
      this.clock.advance(1);
      await flush();
    }
    if (!done) throw new Error(`still pending after ${maxMs} ms of simulated time`);
    return p;
  }

  /** Lets ms of simulated time pass in steps of `step` ms. */
  async idle(ms: number, step = 1): Promise<void> {
    await flush();
    for (let i = 0; i < ms; i += step) {
      this.clock.advance(step);
      await flush();
    }
  }

  async close(): Promise<void> {
    for (const node of this.nodes) if (node.up) await this.stop(node.id);
  }
}

export function live(obj: VersionedObject | undefined): string[] {
  return (obj?.siblings ?? []).filter((s) => !s.tombstone).map((s) => s.value.toString()).sort();
}
