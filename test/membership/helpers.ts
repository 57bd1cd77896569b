import { ManualClock } from '../../src/core/clock.js';
import { SeededRng } from '../../src/core/rng.js';
import type { MemberInfo } from '../../src/membership/member.js';
import type { MetaStore } from '../../src/membership/member-store.js';
import { StaticMembership, type LogLevel } from '../../src/membership/static-members.js';
import { MemoryNetwork, type MemoryEndpoint } from '../../src/transport/memory-network.js';
import type { PeerAddress } from '../../src/transport/types.js';

/** A store of metadata in memory; `failWrites` makes putMeta reject. */
export class FakeMetaStore implements MetaStore {
  readonly data = new Map<string, Buffer>();
  failWrites = false;
  writes = 0;

  async getMeta(name: string): Promise<Buffer | undefined> {
    return this.data.get(name);
  }

  async putMeta(name: string, value: Buffer): Promise<void> {
    this.writes++;
    if (this.failWrites) throw new Error('disk full');
    this.data.set(name, Buffer.from(value));
  }
}

export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Advances the manual clock ms milliseconds in steps, letting replies and handlers run between. */
export async function run(clock: ManualClock, ms: number, step = 5): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await flush();
    await flush();
  }
}

export function member(id: string, extra: Partial<MemberInfo> = {}): MemberInfo {
  return {
    id,
    rack: 'rack1',
    dc: 'dc1',
    vnodes: 16,
    state: 'normal',
    address: { host: '127.0.0.1', port: 6379 },
    peer: { host: '10.0.0.1', port: 7000 },
    generation: 1,
    ...extra,
  };
}

export interface SimNode {
  readonly id: string;
  readonly endpoint: MemoryEndpoint;
  readonly membership: StaticMembership;
  readonly store: FakeMetaStore;
  readonly logs: Array<[LogLevel, string, Record<string, unknown> | undefined]>;
}

/** A simulated network of nodes running static membership on one manual clock. */
export class SimCluster {
  readonly clock = new ManualClock(0);
  readonly net: MemoryNetwork;
  readonly nodes = new Map<string, SimNode>();
  readonly stores = new Map<string, FakeMetaStore>();

  constructor(seed = 1) {
    this.net = new MemoryNetwork({ clock: this.clock, rng: new SeededRng(seed), minDelayMs: 1, maxDelayMs: 3 });
  }

  address(id: string): PeerAddress {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n.endpoint.address;
  }

  /** Starts (or restarts, with the same store and address) a node seeded with the given nodes' addresses. */
  async start(id: string, seeds: readonly PeerAddress[] = [], extra: { rack?: string; intervalMs?: number } = {}): Promise<SimNode> {
    const endpoint = this.net.attach(id, { requestTimeoutMs: 1000 });
    const store = this.stores.get(id) ?? new FakeMetaStore();
    this.stores.set(id, store);
    const logs: SimNode['logs'] = [];
    const membership = await StaticMembership.start({
      self: {
        id,
        rack: extra.rack ?? 'rack1',
        dc: 'dc1',
        vnodes: 16,
        state: 'normal',
        address: { host: endpoint.address.host, port: 6379 },
        peer: endpoint.address,
      },
      seeds,
      transport: endpoint.rpc,
      store,
      clock: this.clock,
      intervalMs: extra.intervalMs,
      log: (level, msg, fields) => logs.push([level, msg, fields]),
    });
    endpoint.rpc.onRequest((from, msg) => membership.handleRequest(from, msg));
    const node = { id, endpoint, membership, store, logs };
    this.nodes.set(id, node);
    return node;
  }

  /** Stops a node: its membership, then its network endpoint. */
  async stop(id: string): Promise<void> {
    const n = this.nodes.get(id);
    if (!n) return;
    await n.membership.close();
    await n.endpoint.close();
  }

  async stopAll(): Promise<void> {
    for (const id of this.nodes.keys()) await this.stop(id);
  }

  run(ms: number): Promise<void> {
    return run(this.clock, ms);
  }

  /** Member ids a node knows, sorted. */
  known(id: string): string[] {
    return this.nodes.get(id)!.membership.members().map((m) => m.id);
  }

  /** The ids a node currently deems reachable. */
  reachable(id: string): string[] {
    return this.nodes
      .get(id)!
      .membership.status()
      .filter((s) => s.reachable)
      .map((s) => s.member.id);
  }
}
