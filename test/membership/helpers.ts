import { ManualClock } from '../../src/core/clock.js';
import { SeededRng } from '../../src/core/rng.js';
import type { MemberInfo } from '../../src/membership/member.js';
import type { MemberRecord } from '../../src/membership/member-state.js';
import type { MetaStore } from '../../src/membership/member-store.js';
import { SwimMembership } from '../../src/membership/swim-membership.js';
import type { GossipObserver, LogLevel, SwimTuning } from '../../src/membership/swim-options.js';
import type { MemberState } from '../../src/ring/types.js';
import { MemoryNetwork, type MemoryEndpoint, type NetworkEvent } from '../../src/transport/memory-network.js';
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
export async function run(clock: ManualClock, ms: number, step = 10): Promise<void> {
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
    incarnation: 1,
    ...extra,
  };
}

export function rec(info: MemberInfo, status: MemberRecord['status'] = 'alive'): MemberRecord {
  return { info, status };
}

export interface SimNode {
  readonly id: string;
  readonly endpoint: MemoryEndpoint;
  readonly membership: SwimMembership;
  readonly store: FakeMetaStore;
  readonly logs: Array<[LogLevel, string, Record<string, unknown> | undefined]>;
  readonly counters: Map<string, number>;
}

export interface StartOptions {
  readonly seeds?: readonly PeerAddress[];
  readonly secret?: string;
  readonly state?: MemberState;
  readonly tuning?: Partial<SwimTuning>;
  /** The node's DC (default dc1). */
  readonly dc?: string;
}

/** A simulated network of nodes running SWIM membership on one manual clock. */
export class SimCluster {
  readonly clock = new ManualClock(0);
  readonly net: MemoryNetwork;
  readonly nodes = new Map<string, SimNode>();
  readonly stores = new Map<string, FakeMetaStore>();
  private readonly seed: number;

  constructor(seed = 1, delays: { min: number; max: number } = { min: 1, max: 5 }, onEvent?: (e: NetworkEvent) => void) {
    this.seed = seed;
    this.net = new MemoryNetwork({ clock: this.clock, rng: new SeededRng(seed), minDelayMs: delays.min, maxDelayMs: delays.max, ...(onEvent ? { onEvent } : {}) });
  }

  address(id: string): PeerAddress {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n.endpoint.address;
  }

  /** Starts (or restarts, with the same store and address) a node. */
  async start(id: string, opts: StartOptions = {}): Promise<SimNode> {
    const endpoint = this.net.attach(id, { requestTimeoutMs: 2000 });
    const store = this.stores.get(id) ?? new FakeMetaStore();
    this.stores.set(id, store);
    const logs: SimNode['logs'] = [];
    const counters = new Map<string, number>();
    const count = (name: string, by = 1): void => {
      counters.set(name, (counters.get(name) ?? 0) + by);
    };
    const observer: GossipObserver = {
      sent: (type, bytes) => {
        count(`sent:${type}`);
        count('sent-bytes', bytes);
      },
      received: (type) => count(`received:${type}`),
      dropped: (reason) => count(`dropped:${reason}`),
      suspected: (subject) => {
        count('suspected');
        count(`suspected:${subject}`);
      },
      refuted: () => count('refuted'),
      died: () => count('died'),
    };
    const membership = await SwimMembership.start({
      self: {
        id,
        rack: 'rack1',
        dc: opts.dc ?? 'dc1',
        vnodes: 4,
        state: opts.state ?? 'normal',
        address: { host: endpoint.address.host, port: 6379 },
        peer: endpoint.address,
      },
      seeds: opts.seeds ?? [],
      datagrams: endpoint.datagram,
      rpc: endpoint.rpc,
      store,
      clock: this.clock,
      rng: new SeededRng(this.seed * 7919 + this.nodes.size + hash(id)),
      secret: opts.secret,
      tuning: opts.tuning,
      observer,
      log: (level, msg, fields) => logs.push([level, msg, fields]),
    });
    endpoint.rpc.onRequest((from, msg) => membership.handleRequest(from, msg));
    const node = { id, endpoint, membership, store, logs, counters };
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

  run(ms: number, step?: number): Promise<void> {
    return run(this.clock, ms, step);
  }

  /** Runs in steps of `step` until check() holds or limitMs passed; the time it took, or -1. */
  async until(check: () => boolean, limitMs: number, step = 100): Promise<number> {
    const start = this.clock.monotonic();
    while (this.clock.monotonic() - start <= limitMs) {
      if (check()) return this.clock.monotonic() - start;
      await this.run(step, Math.min(step, 10));
    }
    return check() ? this.clock.monotonic() - start : -1;
  }

  /** How `observer` sees `subject` now. */
  status(observer: string, subject: string): string | undefined {
    return this.nodes
      .get(observer)
      ?.membership.members()
      .find((m) => m.info.id === subject)?.status;
  }
}

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}
