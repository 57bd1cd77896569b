import { QkvError } from '../../src/core/errors.js';
import { SeededRng } from '../../src/core/rng.js';
import { ClusterCoordinator } from '../../src/coordinator/cluster-coordinator.js';
import { startActor } from '../../src/coordinator/start-actor.js';
import type { MemberView } from '../../src/coordinator/data-path.js';
import type { Ring } from '../../src/ring/ring.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore } from '../../src/storage/record-store.js';
import type { MemoryEndpoint, MemoryNetwork } from '../../src/transport/memory-network.js';
import type { PeerAddress } from '../../src/transport/types.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { IncarnationEngine } from './incarnation-engine.js';
import { OracleMembership, type NodeContext, type NodePlugins, type NodeService, type SimCoordinator, type SimSettings } from './node-services.js';
import { ObservedStore } from './observed-store.js';
import { IncarnationClock, type SimClock } from './scheduler.js';

/** What every node of a world shares. */
export interface NodeEnv {
  readonly clock: SimClock;
  readonly net: MemoryNetwork;
  readonly ring: Ring;
  readonly settings: SimSettings;
  readonly directory: Map<string, PeerAddress>;
  readonly plugins: NodePlugins;
  readonly seed: number;
  /** Most ms a storage batch takes to land (0: at once). */
  readonly maxWriteDelayMs: number;
  /** Tick period of services that want one. */
  readonly tickMs: number;
  readonly note: (text: string) => void;
  readonly count: (event: string, n?: number) => void;
  /** Every put of every live incarnation: node, key, object. */
  readonly onPut: (node: string, key: Buffer, obj: VersionedObject) => void;
  /** Every put of a live incarnation that became durable. */
  readonly onStored: (node: string, key: Buffer, obj: VersionedObject) => void;
  /** Every record a live incarnation decided to purge (tombstone collection). */
  readonly onPurge: (node: string, key: Buffer, obj: VersionedObject) => void;
}

/** One running process of a node. */
interface Incarnation {
  readonly number: number;
  readonly clock: IncarnationClock;
  readonly engine: IncarnationEngine;
  readonly endpoint: MemoryEndpoint;
  readonly coord: SimCoordinator;
  readonly members: MemberView;
  readonly services: NodeService[];
  /** Rejects when this process crashes: whoever waits on it hears the connection drop. */
  readonly died: Promise<never>;
  readonly kill: (reason: Error) => void;
  alive: boolean;
}

/**
 * A node whose process can crash and restart. Its disk (a MemoryEngine)
 * survives; everything else (record store cache and queued batches,
 * coordinator state, timers, transport, services) belongs to one
 * incarnation and is dropped by a crash.
 */
export class SimNode {
  readonly disk = new MemoryEngine();
  private current: Incarnation | null = null;
  private incarnations = 0;
  private starting: Promise<void> | null = null;

  constructor(
    readonly id: string,
    private readonly env: NodeEnv,
  ) {}

  get up(): boolean {
    return this.current?.alive === true;
  }

  get incarnation(): number {
    return this.incarnations;
  }

  /** The running coordinator; throws UNAVAILABLE (connection refused) when the node is down. */
  coordinator(): { coord: SimCoordinator; died: Promise<never> } {
    const cur = this.current;
    if (!cur?.alive) throw new QkvError('UNAVAILABLE', `connection refused: ${this.id} is down`);
    return { coord: cur.coord, died: cur.died };
  }

  /** Services of the running incarnation (empty when down). */
  services(): readonly NodeService[] {
    return this.current?.alive ? this.current.services : [];
  }

  /** Starts a new incarnation over the disk. */
  start(): Promise<void> {
    if (this.current?.alive) return Promise.resolve();
    this.starting ??= this.boot().finally(() => (this.starting = null));
    return this.starting;
  }

  /** The process dies: timers, queued and unlanded writes, transport and in-flight requests are gone. */
  crash(): void {
    const cur = this.current;
    if (!cur?.alive) return;
    cur.alive = false;
    cur.clock.kill();
    cur.engine.crash();
    void cur.endpoint.close();
    cur.kill(new QkvError('UNAVAILABLE', `connection lost: ${this.id} crashed`));
  }

  /** An orderly stop at the end of a run. */
  async stop(): Promise<void> {
    const cur = this.current;
    if (!cur?.alive) return;
    for (const s of cur.services) await s.stop();
    this.crash();
  }

  private async boot(): Promise<void> {
    const env = this.env;
    const number = ++this.incarnations;
    if (number === 1) await this.disk.open();
    const clock = new IncarnationClock(env.clock);
    const rng = new SeededRng(env.seed * 7919 + hashId(this.id) * 131 + number);
    const engine = new IncarnationEngine(this.disk, clock, new SeededRng(env.seed * 104729 + hashId(this.id) * 17 + number), env.maxWriteDelayMs);
    const purge: NodeContext['purge'] = { canPurge: null };
    const records = await openRecordStore(engine, {
      sync: true,
      clock,
      schedule: (run) => queueMicrotask(run),
      canPurge: (key, obj, now) => purge.canPurge?.(key, obj, now) ?? true,
    });
    let alive = true;
    const store = new ObservedStore(
      records,
      (key, obj) => {
        if (alive) env.onPut(this.id, key, obj);
      },
      (key, obj) => {
        if (alive) env.onPurge(this.id, key, obj);
      },
      (key, obj) => {
        if (alive) env.onStored(this.id, key, obj);
      },
    );
    const actor = await startActor(store, this.id, clock.now());
    const endpoint = env.net.attach(this.id, { requestTimeoutMs: 1_000_000 });
    env.directory.set(this.id, endpoint.address);
    const ctx: NodeContext = {
      id: this.id,
      actor,
      incarnation: number,
      clock,
      rng,
      store,
      engine,
      purge,
      alive: () => alive,
      endpoint,
      net: env.net,
      directory: env.directory,
      ring: env.ring,
      settings: env.settings,
      note: env.note,
      count: env.count,
    };
    const membership = env.plugins.membership?.(ctx) ?? new OracleMembership(ctx);
    const members = membership.view;
    const coord = env.plugins.coordinator?.(ctx, members) ?? defaultCoordinator(ctx, members);
    const services: NodeService[] = [membership, ...(env.plugins.services ?? []).map((make) => make(ctx, coord, members))];
    endpoint.rpc.onRequest((from, msg) => {
      const type = (msg as { type?: unknown } | null)?.type;
      const owner = typeof type === 'string' ? services.find((s) => s.requestPrefixes?.some((p) => type.startsWith(p))) : undefined;
      return owner?.handleRequest ? owner.handleRequest(from, msg) : coord.handleRequest(from, msg);
    });
    let kill!: (reason: Error) => void;
    const died = new Promise<never>((_, reject) => (kill = reject));
    died.catch(() => undefined);
    const inc: Incarnation = {
      number,
      clock,
      engine,
      endpoint,
      coord,
      members,
      services,
      died,
      kill: (reason) => {
        alive = false;
        kill(reason);
      },
      alive: true,
    };
    this.current = inc;
    for (const s of services) await s.start();
    if (services.some((s) => s.tick)) clock.setInterval(() => services.forEach((s) => s.tick?.()), env.tickMs);
  }
}

export function defaultCoordinator(ctx: NodeContext, members: MemberView): SimCoordinator {
  const { settings } = ctx;
  return new ClusterCoordinator({
    nodeId: ctx.id,
    actor: ctx.actor,
    store: ctx.store,
    transport: ctx.endpoint.rpc,
    members,
    clock: ctx.clock,
    rng: ctx.rng,
    n: settings.n,
    r: () => settings.r,
    w: () => settings.w,
    requestTimeoutMs: () => settings.timeoutMs,
  });
}

/** A small stable number from a node id, for deriving per-node seeds. */
function hashId(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) % 1_000_003;
  return h;
}
