import { ManualClock } from '../../src/core/clock.js';
import { keyHash } from '../../src/core/hash.js';
import { SeededRng } from '../../src/core/rng.js';
import { KeyLock } from '../../src/coordinator/key-lock.js';
import { ReplicaService } from '../../src/coordinator/replica-service.js';
import { actorId, DotIssuer } from '../../src/versioning/actor.js';
import type { RingControl } from '../../src/handoff/ring-control.js';
import { StreamRegistry } from '../../src/handoff/stream-progress.js';
import { DEFAULT_STREAM_SETTINGS, type StreamSettings } from '../../src/handoff/stream-settings.js';
import { StreamSource } from '../../src/handoff/stream-source.js';
import { StreamThrottle } from '../../src/handoff/stream-throttle.js';
import type { StreamNodeDeps } from '../../src/handoff/stream-deps.js';
import { Ring } from '../../src/ring/ring.js';
import type { MemberState, RingMember } from '../../src/ring/types.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore, type RecordStore } from '../../src/storage/record-store.js';
import type { MemoryEndpoint } from '../../src/transport/memory-network.js';
import { MemoryNetwork } from '../../src/transport/memory-network.js';
import { applyWrite } from '../../src/versioning/object.js';
import type { VersionedObject } from '../../src/versioning/types.js';

/**
 * Nodes for streaming tests: each a record store over a MemoryEngine, a
 * ReplicaService for merges, a StreamSource answering 's.*' on a
 * MemoryNetwork, and a fake RingControl over one shared member list that
 * the test edits (as gossip would spread the change).
 */
export interface StreamNode {
  readonly id: string;
  engine: MemoryEngine;
  store: RecordStore;
  replica: ReplicaService;
  endpoint: MemoryEndpoint;
  readonly control: FakeControl;
  readonly registry: StreamRegistry;
  settings: StreamSettings;
  readonly throttle: StreamThrottle;
}

export class SharedRing {
  members: RingMember[] = [];
  ring: Ring = Ring.build([]);
  private readonly listeners = new Set<() => void>();

  set(members: RingMember[]): void {
    this.members = members;
    this.ring = Ring.build(members);
    for (const l of [...this.listeners]) l();
  }

  setState(id: string, state: MemberState): void {
    this.set(this.members.map((m) => (m.id === id ? { ...m, state } : m)));
  }

  add(id: string, state: MemberState, vnodes = 32): void {
    this.set([...this.members, { id, rack: 'r1', dc: 'dc1', vnodes, state }]);
  }

  remove(id: string): void {
    this.set(this.members.filter((m) => m.id !== id));
  }

  listen(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

export class FakeControl implements RingControl {
  readonly stateChanges: MemberState[] = [];
  constructor(
    readonly selfId: string,
    private readonly shared: SharedRing,
    private readonly reach: (id: string) => boolean,
  ) {}
  ring(): Ring {
    return this.shared.ring;
  }
  isReachable(id: string): boolean {
    return this.reach(id);
  }
  setSelfState(state: MemberState): void {
    this.stateChanges.push(state);
    this.shared.setState(this.selfId, state);
  }
  onChange(listener: () => void): () => void {
    return this.shared.listen(listener);
  }
}

export class StreamCluster {
  readonly clock = new ManualClock();
  readonly net: MemoryNetwork;
  readonly shared = new SharedRing();
  readonly nodes = new Map<string, StreamNode>();
  /** Every acknowledged write: key -> value. */
  readonly written = new Map<string, string>();
  /** Nodes every view believes reachable whatever the network says (a failure not yet detected). */
  readonly believedUp = new Set<string>();

  constructor(
    readonly n = 3,
    seed = 1,
  ) {
    this.net = new MemoryNetwork({ clock: this.clock, rng: new SeededRng(seed), minDelayMs: 1, maxDelayMs: 1 });
  }

  /** A node with an empty store, attached to the network (not yet in the ring). */
  async addNode(id: string, settings: Partial<StreamSettings> = {}): Promise<StreamNode> {
    const engine = new MemoryEngine();
    await engine.open();
    const node = {
      id,
      engine,
      control: new FakeControl(id, this.shared, (peer) => this.reachable(id, peer)),
      registry: new StreamRegistry(),
      settings: { ...DEFAULT_STREAM_SETTINGS, requestTimeoutMs: 200, retryMs: 100, ...settings },
    } as StreamNode;
    (node as { throttle: StreamThrottle }).throttle = new StreamThrottle(this.clock, () => node.settings);
    await this.open(node);
    this.nodes.set(id, node);
    this.net.introduceAll();
    return node;
  }

  /** Opens (or reopens, after a crash) a node's store, replica service, transport and stream source. */
  async open(node: StreamNode): Promise<void> {
    node.store = await openRecordStore(node.engine, { sync: false, clock: this.clock, schedule: (run) => queueMicrotask(run) });
    node.replica = new ReplicaService(node.store, new KeyLock(), new DotIssuer(actorId(node.id, 1)));
    await node.replica.ready();
    node.endpoint = this.net.attach(node.id, { requestTimeoutMs: 10_000 });
    const source = new StreamSource({
      store: node.store,
      mergeLocal: (k, o, e) => node.replica.merge(k, o, e),
      readDurable: (keys) => node.replica.get(keys),
      epoch: () => node.replica.flushEpoch,
      pulling: () => node.registry.pullsInFlight(),
      ownedFraction: () => this.shared.ring.ownership(node.id, this.n).replica,
    });
    node.endpoint.rpc.onRequest((from, msg) => source.handleRequest(from, msg));
    this.net.introduceAll();
  }

  /** A crash and restart: transport and store close, the engine's data (the disk) survives and is opened again. */
  async restart(node: StreamNode): Promise<void> {
    await node.endpoint.close();
    await node.store.close();
    await node.engine.open();
    await this.open(node);
  }

  reachable(from: string, to: string): boolean {
    const peer = this.nodes.get(to);
    if (this.believedUp.has(to)) return true;
    return peer !== undefined && peer.endpoint.rpc.isOpen && this.net.canReach(from, to) && this.net.canReach(to, from);
  }

  node(id: string): StreamNode {
    const x = this.nodes.get(id);
    if (!x) throw new Error(`no node ${id}`);
    return x;
  }

  deps(id: string): StreamNodeDeps {
    const node = this.node(id);
    return {
      control: node.control,
      transport: node.endpoint.rpc,
      store: node.store,
      mergeLocal: (k, o, e) => node.replica.merge(k, o, e),
      epoch: () => node.replica.flushEpoch,
      adoptEpoch: (epoch) => node.replica.flush(epoch),
      clock: this.clock,
      n: this.n,
      settings: () => node.settings,
      throttle: node.throttle,
      registry: node.registry,
    };
  }

  /** Writes key=value to every replica of the current ring (an acknowledged write). */
  async write(key: string, value: string, writer = 'w'): Promise<void> {
    const k = Buffer.from(key);
    for (const id of this.shared.ring.writeTargets(keyHash(k), this.n)) {
      const node = this.node(id);
      const local = await node.store.get(k);
      const obj = applyWrite(local, local?.clock ?? {}, writer, { value: Buffer.from(value), tombstone: false, expireAt: 0, ts: this.clock.now() });
      await node.store.put(k, obj);
    }
    this.written.set(key, value);
  }

  /** Keys each node stores. */
  async keysOf(id: string): Promise<Set<string>> {
    const out = new Set<string>();
    const store = this.node(id).store;
    let from: bigint | null = 0n;
    while (from !== null) {
      const page = await store.scan({ from, limit: 1000 });
      for (const e of page.entries) out.add(e.key.toString());
      from = page.next;
    }
    return out;
  }

  async get(id: string, key: string): Promise<VersionedObject | undefined> {
    return this.node(id).store.get(Buffer.from(key));
  }

  /** Keys whose preference list in `ring` includes node id. */
  keysOwnedBy(id: string, ring: Ring = this.shared.ring): Set<string> {
    const out = new Set<string>();
    for (const key of this.written.keys()) if (ring.preferenceList(keyHash(key), this.n).includes(id)) out.add(key);
    return out;
  }

  /**
   * The fewest copies any acknowledged write has on the live members of its
   * current preference list (what a read at the current ring can reach).
   */
  async minCopies(): Promise<number> {
    let min = Infinity;
    const ring = this.shared.ring;
    for (const key of this.written.keys()) {
      let copies = 0;
      for (const id of ring.preferenceList(keyHash(key), this.n)) {
        const node = this.nodes.get(id);
        // A node cut off from the network (isolated) counts as lost.
        if (!node || !node.endpoint.rpc.isOpen || !this.net.canReach('probe', id)) continue;
        if (await node.store.get(Buffer.from(key))) copies++;
      }
      min = Math.min(min, copies);
    }
    return min;
  }

  /** Runs the clock 1 ms at a time until p settles; calls each(ms) every `every` ms. */
  async settle<T>(p: Promise<T>, maxMs = 200_000, each?: () => Promise<void> | void, every = 50): Promise<T> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    await flush();
    for (let i = 0; !done && i < maxMs; i++) {
      this.clock.advance(1);
      await flush();
      if (each && i % every === 0) await each();
    }
    if (!done) throw new Error(`still pending after ${maxMs} ms of simulated time`);
    return p;
  }

  async idle(ms: number): Promise<void> {
    for (let i = 0; i < ms; i++) {
      this.clock.advance(1);
      await flush();
    }
  }

  async close(): Promise<void> {
    for (const node of this.nodes.values()) {
      if (node.endpoint.rpc.isOpen) await node.endpoint.close();
      await node.store.close();
    }
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A started cluster of `count` normal nodes n0.. with `keys` acknowledged writes. */
export async function clusterWithData(count: number, keys: number, settings: Partial<StreamSettings> = {}): Promise<StreamCluster> {
  const c = new StreamCluster();
  for (let i = 0; i < count; i++) {
    await c.addNode(`n${i}`, settings);
    c.shared.add(`n${i}`, 'normal');
  }
  for (let i = 0; i < keys; i++) await c.write(`k${i}`, `v${i}`);
  return c;
}
