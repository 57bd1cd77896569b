import type { Clock } from '../../src/core/clock.js';
import type { DotIssuer } from '../../src/versioning/actor.js';
import type { Rng } from '../../src/core/rng.js';
import type { KvApi } from '../../src/coordinator/api.js';
import type { MemberView } from '../../src/coordinator/data-path.js';
import type { Ring } from '../../src/ring/ring.js';
import type { MemberState } from '../../src/ring/types.js';
import type { AssembledNode } from '../../src/server/node-assembly.js';
import type { PurgeableStore } from '../../src/storage/forwarding-store.js';
import type { Engine } from '../../src/storage/engine.js';
import type { CanPurge } from '../../src/storage/record-store.js';
import type { MemoryEndpoint, MemoryNetwork } from '../../src/transport/memory-network.js';
import type { PeerAddress } from '../../src/transport/types.js';

/**
 * What a simulated node is built from, so membership (SWIM), hinted handoff
 * and anti-entropy can be plugged in without touching the scheduler, the
 * driver or the checker. Every piece is built afresh for each incarnation
 * (a restart is a new process over the same disk) from a NodeContext.
 */

/** Cluster-wide settings every node reads at call time. */
export interface SimSettings {
  n: number;
  r: number;
  w: number;
  timeoutMs: number;
}

/** What one incarnation of a node is given. */
export interface NodeContext {
  readonly id: string;
  /** The dots this incarnation issues: a new actor per start. */
  readonly actor: DotIssuer;
  /** Whether its stores fsync every batch (false: `--sync false`, a power loss drops the unsynced tail). */
  readonly sync: boolean;
  /** 1 for the first start, +1 per restart. */
  readonly incarnation: number;
  /** This incarnation's clock: its timers die with the process. */
  readonly clock: Clock;
  /** Seeded per node and incarnation. */
  readonly rng: Rng;
  /** The node's record store (durable across restarts; what is in it survived the crash). */
  readonly store: PurgeableStore;
  /** The incarnation's view of the node's disk (hints live here too, under their own prefix). */
  readonly engine: Engine;
  /** The record store's say on purging expired records; a plug-in (anti-entropy) sets it. Unset: purge. */
  readonly purge: { canPurge: CanPurge | null };
  /** Whether this incarnation is still running (false once it crashed or stopped). */
  readonly alive: () => boolean;
  /** RPC and datagram transports; closed when the process crashes. */
  readonly endpoint: MemoryEndpoint;
  /** The network, for services that need its ground truth (the default membership does; SWIM must not). */
  readonly net: MemoryNetwork;
  /** Every node id and its address, as seed lists and configuration would give them. */
  readonly directory: ReadonlyMap<string, PeerAddress>;
  /** The initial ring (all nodes normal). */
  readonly ring: Ring;
  /** The members of the initial ring: every one is a seed of the cluster. */
  readonly seedIds: readonly string[];
  /** Virtual nodes per member. */
  readonly vnodes: number;
  /** The ring state of a node with none stored: 'normal' for a member of the initial ring, 'joining' for one added later. */
  readonly freshState: MemberState;
  /** Every member of the cluster now (added ones in, left and removed ones out): whom a converged view holds reachable. */
  readonly expectedMembers: () => readonly string[];
  /** This node has left the cluster (QKV.LEAVE done): its process stops for good. */
  readonly left: () => void;
  readonly settings: SimSettings;
  /** Notes a line in the run's history (shown with --verbose). */
  readonly note: (text: string) => void;
  /** Counts an event of the run for the summary (hints delivered, members declared dead, ...). */
  readonly count: (event: string, n?: number) => void;
}

/** A background part of a node: membership, hint delivery, anti-entropy. */
export interface NodeService {
  readonly name: string;
  /** Peer request types this service answers, by prefix (e.g. 'm.' for membership, 'h.' for hints). */
  readonly requestPrefixes?: readonly string[];
  handleRequest?(from: string, msg: unknown): Promise<unknown>;
  /** Starts timers and listeners; the node serves clients once every service's start resolved. */
  start(): void | Promise<void>;
  /** An orderly stop (end of a run). A crash never calls it: the clock and transport just die. */
  stop(): void | Promise<void>;
  /** Resolves once the service is ready for the first clients of a run (membership: every peer seen). */
  ready?(): Promise<void>;
  /** Called every `tickMs` of simulated time while the node is up (for services stepped from outside). */
  tick?(): void;
  /**
   * One round of this service's repair work for the repair phase (deliver
   * pending hints, one anti-entropy exchange per range); resolves when the
   * round is done. The phase runs rounds until replicas agree.
   */
  repair?(): Promise<void>;
}

/** Membership: it also tells the coordinator who is in the ring and who is reachable. */
export interface MembershipService extends NodeService {
  readonly view: MemberView;
}

/** A coordinator as the node needs it: the client API and the handler of peer requests. */
export type SimCoordinator = KvApi & { handleRequest(from: string, msg: unknown): Promise<unknown> };

/** A node built whole (src/server/node-assembly.ts): its router is already on the endpoint. */
export interface AssembledParts {
  readonly node: AssembledNode;
  readonly coord: SimCoordinator;
  readonly members: MemberView;
  readonly services: NodeService[];
}

/** How to build each part of a node; only membership and coordinator have defaults. */
export interface NodePlugins {
  /** Builds the whole node at once, as the server does; the other hooks are then unused. */
  assemble?(ctx: NodeContext): Promise<AssembledParts>;
  membership?(ctx: NodeContext): MembershipService;
  coordinator?(ctx: NodeContext, members: MemberView): SimCoordinator;
  /** Further services (hints, anti-entropy), built after the coordinator. */
  services?: ReadonlyArray<(ctx: NodeContext, coord: SimCoordinator, members: MemberView) => NodeService>;
}

/**
 * The default membership: a perfect, instant failure detector. A peer is
 * reachable when its process is up and the network carries messages both
 * ways. Peers' addresses come from the directory at start.
 */
export class OracleMembership implements MembershipService {
  readonly name = 'oracle-membership';
  readonly view: MemberView;
  private readonly introduced = new Set<string>();

  constructor(private readonly ctx: NodeContext) {
    const { endpoint, net, id, ring } = ctx;
    this.view = {
      ring: () => ring,
      isReachable: (peer) => this.introduce(peer) && endpoint.rpc.isConnected(peer) && net.canReach(peer, id),
    };
  }

  start(): void {
    for (const peer of this.ctx.directory.keys()) this.introduce(peer);
  }

  /** Gives the transport a peer's address once it is known (nodes start in any order). */
  private introduce(peer: string): boolean {
    if (this.introduced.has(peer)) return true;
    const addr = this.ctx.directory.get(peer);
    if (!addr || peer === this.ctx.id) return false;
    this.ctx.endpoint.rpc.setPeerAddress(peer, addr);
    this.introduced.add(peer);
    return true;
  }

  stop(): void {}
}
