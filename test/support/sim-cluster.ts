import { ManualClock } from '../../src/core/clock.js';
import { keyHash } from '../../src/core/hash.js';
import { SeededRng } from '../../src/core/rng.js';
import { ClusterCoordinator, type MemberView } from '../../src/coordinator/cluster-coordinator.js';
import { NodeMetrics } from '../../src/metrics/registry.js';
import { Ring, type RingOptions } from '../../src/ring/ring.js';
import type { DcReplicas } from '../../src/ring/dc-placement.js';
import type { ConsistencyLevel } from '../../src/coordinator/consistency.js';
import type { RingMember } from '../../src/ring/types.js';
import { HINT_DEFAULTS } from '../../src/config/cluster-options.js';
import { HintStore, type HintStoreOptions } from '../../src/handoff/hint-store.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore, type RecordStore } from '../../src/storage/record-store.js';
import type { MemoryEndpoint } from '../../src/transport/memory-network.js';
import { MemoryNetwork, type LinkFaults } from '../../src/transport/memory-network.js';

/**
 * A whole cluster in one process: K nodes, each with its own RecordStore over
 * a MemoryEngine and a ClusterCoordinator, all on one MemoryNetwork driven by
 * one ManualClock. Each node's member view is a static ring of all nodes whose
 * reachability follows the network (isolate, partition), unless a test makes
 * a node believe otherwise (to see timeouts rather than fast failures).
 */
export interface SimNode {
  readonly id: string;
  readonly engine: MemoryEngine;
  readonly store: RecordStore;
  readonly endpoint: MemoryEndpoint;
  readonly coord: ClusterCoordinator;
  readonly metrics: NodeMetrics;
  /** What the coordinator's log received. */
  readonly logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>;
  /** The node's hint store (over its engine), with SimOptions.hints. */
  readonly hints?: HintStore;
}

export interface SimOptions {
  /** Number of nodes (ids n0, n1, ...). */
  readonly nodes: number;
  readonly n: number;
  readonly r?: number;
  readonly w?: number;
  readonly seed?: number;
  readonly vnodes?: number;
  readonly timeoutMs?: number;
  readonly faults?: Partial<LinkFaults>;
  /** The transport's frame limit and the coordinators' reply budget (defaults: 64 MiB, 8 MiB). */
  readonly maxFrameBytes?: number;
  readonly maxReplyBytes?: number;
  /** The stores' ring position of a key (default keyHash); tests force shared positions with it. */
  readonly storeHash?: (key: Buffer) => Buffer;
  /** Give every node a hint store over its engine (default false). */
  readonly hints?: boolean;
  /** The hint stores' bounds per target (defaults: a node's, HINT_DEFAULTS); per node id when a function. */
  readonly hintBounds?:
    | Partial<Pick<HintStoreOptions, 'maxHintsPerTarget' | 'maxBytesPerTarget'>>
    | ((id: string) => Partial<Pick<HintStoreOptions, 'maxHintsPerTarget' | 'maxBytesPerTarget'>>);
  /** Count stand-ins toward W (default false here, so quorum tests see home replicas only; nodes default to true). */
  readonly sloppyQuorum?: boolean;
  /** Let each coordinator see its store's health (failed or stalled batches), as a real node does (default false). */
  readonly storageHealth?: boolean;
  /** Why a node cannot serve yet (its ring still forming), read at call time; default: every node serves. */
  readonly notReady?: (nodeId: string) => string | null;
  /** The DC of node i (default 'dc1' for all). */
  readonly dcOf?: (index: number) => string;
  /** Replicas per DC for the ring (default: the first n owners). */
  readonly replicasPerDc?: DcReplicas;
}

/** Settings every node reads at call time, as CONFIG SET would change them. */
export interface SimSettings {
  r: number;
  w: number;
  /** Default levels of requests that name no number (null: R and W). */
  readConsistency?: ConsistencyLevel | null;
  writeConsistency?: ConsistencyLevel | null;
  timeoutMs: number;
  sloppyQuorum: boolean;
}

export class SimCluster {
  readonly nodes: SimNode[] = [];
  readonly settings: SimSettings;
  readonly ring: Ring;
  private readonly beliefs = new Map<string, boolean>();

  private constructor(
    readonly clock: ManualClock,
    readonly net: MemoryNetwork,
    readonly n: number,
    members: RingMember[],
    settings: SimSettings,
    ringOptions: RingOptions,
    private readonly maxReplyBytes?: number,
    private readonly withHealth = false,
    private readonly notReady?: (nodeId: string) => string | null,
  ) {
    this.ring = Ring.build(members, ringOptions);
    this.settings = settings;
  }

  static async start(opts: SimOptions): Promise<SimCluster> {
    const clock = new ManualClock();
    const seed = opts.seed ?? 1;
    const net = new MemoryNetwork({ clock, rng: new SeededRng(seed), minDelayMs: 1, maxDelayMs: 1, ...opts.faults });
    const ids = Array.from({ length: opts.nodes }, (_, i) => `n${i}`);
    const members = ids.map((id, i) => ({ id, rack: 'r1', dc: opts.dcOf?.(i) ?? 'dc1', vnodes: opts.vnodes ?? 8, state: 'normal' as const }));
    const settings = {
      r: opts.r ?? Math.min(2, opts.n),
      w: opts.w ?? Math.min(2, opts.n),
      timeoutMs: opts.timeoutMs ?? 100,
      sloppyQuorum: opts.sloppyQuorum ?? false,
    };
    const ringOptions = opts.replicasPerDc ? { replicasPerDc: opts.replicasPerDc } : {};
    const sim = new SimCluster(clock, net, opts.n, members, settings, ringOptions, opts.maxReplyBytes, opts.storageHealth ?? false, opts.notReady);
    for (const [i, id] of ids.entries()) {
      const engine = new MemoryEngine();
      await engine.open();
      const store = await openRecordStore(engine, {
        sync: false,
        clock,
        schedule: (run) => queueMicrotask(run),
        ...(opts.storeHash ? { hash: opts.storeHash } : {}),
      });
      // A huge transport timeout: the coordinator's own timeouts are under test.
      const endpoint = net.attach(id, { requestTimeoutMs: 1_000_000, ...(opts.maxFrameBytes ? { maxFrameBytes: opts.maxFrameBytes } : {}) });
      const metrics = new NodeMetrics({ nodeId: id, processMetrics: false });
      const logs: SimNode['logs'] = [];
      const bounds = typeof opts.hintBounds === 'function' ? opts.hintBounds(id) : opts.hintBounds;
      const hints = opts.hints
        ? await HintStore.open({
            engine,
            sync: false,
            maxHintsPerTarget: bounds?.maxHintsPerTarget ?? HINT_DEFAULTS.maxPerTarget,
            maxBytesPerTarget: bounds?.maxBytesPerTarget ?? HINT_DEFAULTS.maxBytesPerTarget,
            schedule: (run) => queueMicrotask(run),
          })
        : undefined;
      const node = { id, engine, store, endpoint, metrics, logs, ...(hints ? { hints } : {}) } as SimNode;
      const coord = sim.coordinatorOver(node, new SeededRng(seed * 1000 + i));
      (node as { coord: ClusterCoordinator }).coord = coord;
      endpoint.rpc.onRequest((from, msg) => coord.handleRequest(from, msg));
      sim.nodes.push(node);
    }
    net.introduceAll();
    return sim;
  }

  /** A coordinator over a node's store, transport and metrics (a restarted process builds a new one). */
  coordinatorOver(node: Omit<SimNode, 'coord'>, rng = new SeededRng(7)): ClusterCoordinator {
    const settings = this.settings;
    return new ClusterCoordinator({
      nodeId: node.id,
      store: node.store,
      transport: node.endpoint.rpc,
      members: this.viewOf(node.id),
      clock: this.clock,
      rng,
      n: this.n,
      r: () => settings.r,
      w: () => settings.w,
      readConsistency: () => settings.readConsistency ?? null,
      writeConsistency: () => settings.writeConsistency ?? null,
      requestTimeoutMs: () => settings.timeoutMs,
      metrics: node.metrics,
      log: (level, msg, fields) => node.logs.push({ level, msg, ...(fields ? { fields } : {}) }),
      ...(this.maxReplyBytes ? { maxReplyBytes: this.maxReplyBytes } : {}),
      sloppyQuorum: () => settings.sloppyQuorum,
      ...(node.hints ? { hints: node.hints } : {}),
      ...(this.withHealth ? { storageHealth: node.store.health } : {}),
      ...(this.notReady ? { notReady: () => this.notReady!(node.id) } : {}),
    });
  }

  node(id: string): SimNode {
    const node = this.nodes.find((x) => x.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  /** The member view node `id` sees. */
  viewOf(id: string): MemberView {
    return {
      ring: () => this.ring,
      isReachable: (peer) => this.beliefs.get(`${id}>${peer}`) ?? (this.net.canReach(id, peer) && this.net.canReach(peer, id)),
    };
  }

  /** Makes `viewer` believe peer is (un)reachable whatever the network says; undefined: follow the network again. */
  believe(viewer: string, peer: string, up: boolean | undefined): void {
    if (up === undefined) this.beliefs.delete(`${viewer}>${peer}`);
    else this.beliefs.set(`${viewer}>${peer}`, up);
  }

  /** Every node believes every peer reachable (a stale view: the network decides what answers). */
  believeAllUp(): void {
    for (const a of this.nodes) for (const b of this.nodes) if (a !== b) this.believe(a.id, b.id, true);
  }

  forgetBeliefs(): void {
    this.beliefs.clear();
  }

  replicasOf(key: Buffer | string): readonly string[] {
    return this.ring.preferenceList(keyHash(key), this.n);
  }

  /** The first key k<i> (with prefix) whose replica list satisfies pred. */
  keyWhere(pred: (replicas: readonly string[]) => boolean, prefix = 'k'): Buffer {
    for (let i = 0; i < 100_000; i++) {
      const key = Buffer.from(`${prefix}${i}`);
      if (pred(this.replicasOf(key))) return key;
    }
    throw new Error('no such key');
  }

  /** Runs the clock 1 ms at a time, letting handlers and stores work, until p settles. */
  async settle<T>(p: Promise<T>, maxMs = 100_000): Promise<T> {
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

  /** Like settle, but an error becomes its 'CODE message' text. */
  outcome<T>(p: Promise<T>): Promise<T | string> {
    return this.settle(p).catch((e: { code?: string; message: string }) => `${e.code} ${e.message}`);
  }

  /** Lets ms of simulated time pass (background repairs, late replies). */
  async idle(ms: number): Promise<void> {
    await flush();
    for (let i = 0; i < ms; i++) {
      this.clock.advance(1);
      await flush();
    }
  }

  async close(): Promise<void> {
    for (const node of this.nodes) {
      await node.endpoint.close();
      await node.hints?.close();
      await node.store.close();
    }
  }
}

/** Lets promise continuations and immediates run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** The values of an object's live-or-not siblings as strings, sorted (for comparisons). */
export function siblingValues(obj: { siblings: ReadonlyArray<{ value: Buffer; tombstone: boolean }> } | undefined): string[] {
  if (!obj) return [];
  return obj.siblings.map((s) => (s.tombstone ? '<tombstone>' : s.value.toString())).sort();
}
