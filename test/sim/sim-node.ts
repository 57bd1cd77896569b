import { QkvError } from '../../src/core/errors.js';
import { SeededRng } from '../../src/core/rng.js';
import { ClusterCoordinator } from '../../src/coordinator/cluster-coordinator.js';
import { startActor } from '../../src/coordinator/start-actor.js';
import type { MemberView } from '../../src/coordinator/data-path.js';
import type { Ring } from '../../src/ring/ring.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore } from '../../src/storage/record-store.js';
import type { MemoryEndpoint, MemoryNetwork } from '../../src/transport/memory-network.js';
import type { MemberState } from '../../src/ring/types.js';
import type { AssembledNode } from '../../src/server/node-assembly.js';
import type { PeerAddress } from '../../src/transport/types.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { IncarnationEngine } from './incarnation-engine.js';
import { OracleMembership, type NodeContext, type NodePlugins, type NodeService, type SimCoordinator, type SimSettings } from './node-services.js';
import { ObservedStore } from './observed-store.js';
import { PageCache } from './page-cache.js';
import { IncarnationClock, type SimClock } from './scheduler.js';

/** What every node of a world shares. */
export interface NodeEnv {
  readonly clock: SimClock;
  readonly net: MemoryNetwork;
  readonly ring: Ring;
  readonly settings: SimSettings;
  /** Every node id and its address: configuration, fixed before any node starts. */
  readonly directory: Map<string, PeerAddress>;
  /** The members of the initial ring (the cluster's seeds). */
  readonly seedIds: readonly string[];
  readonly vnodes: number;
  /** Every member of the cluster now. */
  readonly expectedMembers: () => readonly string[];
  /** A node finished leaving the cluster. */
  readonly onLeft: (node: string) => void;
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
  /** A node writing with sync false loses unsynced batches younger than this in a power loss. */
  readonly fsyncHorizonMs: number;
}

/** How one node's machine differs from the others. */
export interface MachineOptions {
  /** The ring state it starts in without a stored one ('joining': added to a running cluster). Default 'normal'. */
  readonly freshState?: MemberState;
  /** Its record and hint stores fsync every batch (false: the server's default, `--sync false`). */
  readonly sync: boolean;
  /** How far its wall clock is from the true time (ms; positive: ahead). */
  readonly clockOffsetMs: number;
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
  /** The server's assembly of the node, when the plug-ins build one. */
  readonly assembled: AssembledNode | null;
  /** Rejects when this process crashes: whoever waits on it hears the connection drop. */
  readonly died: Promise<never>;
  readonly kill: (reason: Error) => void;
  alive: boolean;
}

/**
 * A node whose process can crash and restart. Its disk (a MemoryEngine)
 * survives; everything else (record store cache and queued batches,
 * coordinator state, timers, transport, services) belongs to one
 * incarnation and is dropped by a crash. The machine can also lose its
 * disk (`wipe`: an empty one under the same node id) or its power
 * (`powerLoss`: with sync false, the batches not yet on the platter).
 */
export class SimNode {
  /** What the process sees of its disk (replaced by a wipe or a power loss). */
  disk = new MemoryEngine();
  /** With sync false: what a power loss would keep. */
  readonly cache: PageCache | null;
  private diskOpen: Promise<void> | null = null;
  /** Purges (tombstone collection) still to fail. */
  private purgeFaults = 0;
  private current: Incarnation | null = null;
  private incarnations = 0;
  private starting: Promise<void> | null = null;
  /** Left the cluster or removed from it: never starts again. */
  private retired = false;

  constructor(
    readonly id: string,
    private readonly env: NodeEnv,
    readonly machine: MachineOptions = { sync: true, clockOffsetMs: 0 },
  ) {
    this.cache = machine.sync ? null : new PageCache(env.fsyncHorizonMs, () => env.clock.now());
  }

  get up(): boolean {
    return this.current?.alive === true;
  }

  /** The server's assembly of the running incarnation (null when down or built from plug-ins). */
  assembled(): AssembledNode | null {
    return this.current?.alive ? this.current.assembled : null;
  }

  /** The node is out of the cluster for good: its process stops (if it still runs) and never starts again. */
  retire(): void {
    this.retired = true;
    this.crash();
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

  /**
   * Starts a new incarnation over the disk. A start that fails (a disk
   * error while opening) leaves the node down, as a process exiting on a
   * startup error would: noted, and resolved all the same.
   */
  start(): Promise<void> {
    if (this.current?.alive || this.retired) return Promise.resolve();
    this.starting ??= this.boot()
      .catch((err: unknown) => {
        this.crash();
        this.env.note(`${this.id} failed to start: ${(err as Error).message}`);
      })
      .finally(() => (this.starting = null));
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

  /**
   * The disk is replaced by an empty one (a failed drive swapped, a data
   * directory deleted); the node keeps its id. It is down until started again.
   */
  wipe(): void {
    this.crash();
    this.disk = new MemoryEngine();
    this.diskOpen = null;
    this.cache?.wipe();
  }

  /**
   * The machine loses power: the process dies and, with sync false, the
   * batches younger than the fsync horizon are gone. Resolves with how many
   * batches were lost; the node is down until started again.
   */
  powerLoss(): Promise<number> {
    this.crash();
    const cache = this.cache;
    if (!cache) return Promise.resolve(0);
    const p = cache.powerLoss().then(({ disk, lost }) => {
      this.disk = disk;
      return lost;
    });
    this.diskOpen = p.then(() => undefined);
    return p;
  }

  /** The next n purges of records (tombstone collection, asked by itself or a peer) fail with a disk error. */
  failNextPurges(n: number): void {
    this.purgeFaults += n;
  }

  /** Purges succeed again. */
  healPurges(): void {
    this.purgeFaults = 0;
  }

  /** An orderly stop at the end of a run. */
  async stop(): Promise<void> {
    const cur = this.current;
    if (!cur?.alive) return;
    for (const s of cur.services) await s.stop();
    this.crash();
  }

  /** The server's assembly (it registers its own request router on the endpoint). */
  private async assemble(ctx: NodeContext): Promise<Pieces> {
    const parts = await this.env.plugins.assemble!(ctx);
    return { coord: parts.coord, members: parts.members, services: parts.services, assembled: parts.node };
  }

  private async boot(): Promise<void> {
    const env = this.env;
    const number = ++this.incarnations;
    await (this.diskOpen ??= this.disk.open());
    const clock = new IncarnationClock(env.clock, this.machine.clockOffsetMs);
    const rng = new SeededRng(env.seed * 7919 + hashId(this.id) * 131 + number);
    const engine = new IncarnationEngine(this.disk, clock, new SeededRng(env.seed * 104729 + hashId(this.id) * 17 + number), env.maxWriteDelayMs, this.cache);
    const purge: NodeContext['purge'] = { canPurge: null };
    try {
      await this.bootOn(number, clock, rng, engine, purge);
    } catch (err) {
      clock.kill();
      engine.crash();
      throw err;
    }
  }

  private async bootOn(number: number, clock: IncarnationClock, rng: SeededRng, engine: IncarnationEngine, purge: NodeContext['purge']): Promise<void> {
    const env = this.env;
    const records = await openRecordStore(engine, {
      sync: this.machine.sync,
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
      () => {
        if (this.purgeFaults === 0) return;
        this.purgeFaults--;
        env.note(`${this.id} fails a purge`);
        env.count('purges failed');
        throw new QkvError('IOERR', 'purge failed: I/O error (simulated)');
      },
    );
    const actor = await startActor(store, this.id, clock.now());
    const endpoint = env.net.attach(this.id, { requestTimeoutMs: 1_000_000, ...(env.directory.has(this.id) ? { address: env.directory.get(this.id)! } : {}) });
    env.directory.set(this.id, endpoint.address);
    const ctx: NodeContext = {
      id: this.id,
      actor,
      sync: this.machine.sync,
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
      seedIds: env.seedIds,
      vnodes: env.vnodes,
      freshState: this.machine.freshState ?? 'normal',
      expectedMembers: env.expectedMembers,
      left: () => {
        if (!alive) return;
        env.onLeft(this.id);
      },
      settings: env.settings,
      note: env.note,
      count: env.count,
    };
    const { coord, members, services, assembled } = env.plugins.assemble ? await this.assemble(ctx) : piecesFromPlugins(ctx, env.plugins);
    if (this.retired) throw new Error(`${this.id} was taken out of the cluster while starting`);
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
      assembled,
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

/** The pieces of an incarnation as the plug-ins build them; requests go to a service by prefix, the rest to the coordinator. */
function piecesFromPlugins(ctx: NodeContext, plugins: NodePlugins): Pieces {
  const membership = plugins.membership?.(ctx) ?? new OracleMembership(ctx);
  const members = membership.view;
  const coord = plugins.coordinator?.(ctx, members) ?? defaultCoordinator(ctx, members);
  const services: NodeService[] = [membership, ...(plugins.services ?? []).map((make) => make(ctx, coord, members))];
  ctx.endpoint.rpc.onRequest((from, msg) => {
    const type = (msg as { type?: unknown } | null)?.type;
    const owner = typeof type === 'string' ? services.find((s) => s.requestPrefixes?.some((p) => type.startsWith(p))) : undefined;
    return owner?.handleRequest ? owner.handleRequest(from, msg) : coord.handleRequest(from, msg);
  });
  return { coord, members, services, assembled: null };
}

interface Pieces {
  readonly coord: SimCoordinator;
  readonly members: MemberView;
  readonly services: NodeService[];
  readonly assembled: AssembledNode | null;
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
    schedule: (run) => queueMicrotask(run),
  });
}

/** A small stable number from a node id, for deriving per-node seeds. */
function hashId(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) % 1_000_003;
  return h;
}
