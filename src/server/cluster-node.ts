import { networkInterfaces } from 'node:os';
import type { DotIssuer } from '../versioning/actor.js';
import type { Clock } from '../core/clock.js';
import { keyHash } from '../core/hash.js';
import { QkvError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { NodeConfig } from '../config/node-config.js';
import type { NodeMetrics } from '../metrics/registry.js';
import { ClusterCoordinator } from '../coordinator/cluster-coordinator.js';
import type { KvApi } from '../coordinator/api.js';
import { SwimMembership } from '../membership/swim-membership.js';
import { isMembershipMessage, type MemberSnapshot } from '../membership/swim-options.js';
import type { MemberState } from '../ring/types.js';
import { Ring } from '../ring/ring.js';
import type { LocalStore } from '../storage/local-store.js';
import { TcpRpcTransport } from '../transport/tcp-rpc.js';
import { UdpTransport } from '../transport/udp.js';
import { formatAddress, type PeerAddress } from '../transport/types.js';
import type { ClusterMemberView, ClusterView } from '../commands/types.js';
import type { Logger } from './logger.js';
import { ClusterMetrics } from '../metrics/cluster-metrics.js';
import { gossipObserver } from './cluster-observers.js';
import { faultyDatagramTransport, faultyRpcTransport, type FaultInjector } from './fault-injection.js';
import type { AntiEntropyWiring } from './antientropy-wiring.js';
import type { Engine } from '../storage/engine.js';
import { startHandoff } from './handoff-wiring.js';
import { Streaming } from './streaming-wiring.js';
import type { StorageHealthView } from '../storage/storage-health.js';
import type { Readiness } from './readiness.js';

/**
 * The cluster half of a node: peer RPC on --peer-port, SWIM gossip over UDP
 * on the same port number, seeded from --seeds, and the ring coordinator.
 * Built in two steps because the member record carries the RESP port, known
 * only once RESP listens: `createClusterNode` (transports and coordinator,
 * so commands can be served) then `join` (membership starts gossiping).
 */
export interface ClusterDeps {
  readonly config: NodeConfig;
  readonly nodeId: string;
  /** The dots this start of the node issues (coordinator/start-actor.ts). */
  readonly actor: DotIssuer;
  readonly store: LocalStore;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly metrics: NodeMetrics;
  readonly log: Logger;
  /** Read at call time: CONFIG SET may change them. */
  readonly r: () => number;
  /** This node's live keys and bytes on disk, for the admin view. */
  readonly selfLoad?: () => { keys: number; bytes: number };
  /** Called once this node has left the cluster (QKV.LEAVE completed): the process should stop. */
  readonly onLeft?: () => void;
  /** Whether stand-ins' hints count toward W (CONFIG SET sloppy-quorum); default: the option at start. */
  readonly sloppyQuorum?: () => boolean;
  readonly w: () => number;
  readonly requestTimeoutMs: () => number;
  /** With --debug: drops peer traffic as QKV.DEBUG says. */
  readonly faults?: FaultInjector | null;
  /** Merkle-tree anti-entropy; `store` is then the store it wrapped. */
  readonly antiEntropy?: AntiEntropyWiring | null;
  /** Where gossip, hints, anti-entropy and streaming report (one per registry). */
  readonly clusterMetrics?: ClusterMetrics | null;
  /** The node's open engine: with it the node keeps hints (hinted handoff); without, it keeps none. */
  readonly engine?: Engine;
  /** Whether this node's disk takes writes: while it does not, the node steps aside (see StorageHealth). */
  readonly storageHealth?: StorageHealthView;
  /** When this node may serve requests that need the ring (see readiness.ts); without it, at once. */
  readonly readiness?: Readiness;
}

export interface ClusterNode {
  readonly kv: KvApi;
  readonly view: ClusterView;
  /** Where peers reach this node. */
  readonly peerAddress: PeerAddress;
  /**
   * Starts membership: this node's record says clients reach it at `resp`.
   * `state` is the ring state of a node with no stored one (default 'normal').
   */
  join(resp: PeerAddress, state?: MemberState): Promise<void>;
  /** The running membership (null before join). */
  membership(): SwimMembership | null;
  /** Tells the cluster (in this node's gossiped record) why it steps aside, or that it no longer does (null). */
  setHealth(problem: string | null): void;
  /** Why this node does not serve now (a failing disk, a ring still forming); empty when it does. */
  notServing(): string[];
  /** Member count, for INFO (1 before join). */
  memberCount(): number;
  /** One INFO line per member: id=...,address=...,status=... */
  memberLines(): Array<readonly [string, string]>;
  /** Stops membership, then peer RPC. Safe to call twice. */
  close(): Promise<void>;
}

/** A node runs the cluster path when it has seeds or keeps more than one replica. */
export function wantsCluster(config: Pick<NodeConfig, 'seeds' | 'n'>): boolean {
  return config.seeds.length > 0 || config.n > 1;
}

/** The address peers and clients are told: the bind address, or for a wildcard bind this host's first external IPv4. */
export function advertisedHost(bind: string, interfaces = networkInterfaces()): string {
  if (bind !== '0.0.0.0' && bind !== '::' && bind !== '') return bind;
  for (const list of Object.values(interfaces)) {
    for (const ni of list ?? []) if (ni.family === 'IPv4' && !ni.internal) return ni.address;
  }
  return '127.0.0.1';
}

export async function createClusterNode(deps: ClusterDeps): Promise<ClusterNode> {
  const { config, nodeId, log } = deps;
  const inflightByPeer = new Map<string, number>();
  const tcp = await TcpRpcTransport.listen({
    nodeId,
    host: config.bind,
    port: config.peerPort,
    clock: deps.clock,
    rng: deps.rng,
    secret: config.clusterSecret,
    requestTimeoutMs: deps.requestTimeoutMs(),
    observer: {
      // Latency and errors are counted by the coordinator, per client-visible call; in-flight comes from here.
      inflight: (peer, n) => {
        deps.metrics.peerInflightChange(peer, n - (inflightByPeer.get(peer) ?? 0));
        inflightByPeer.set(peer, n);
      },
      authFailure: (remote, reason) => log.warn('peer refused', { remote, reason }),
      protocolError: (remote, reason) => log.warn('peer protocol error', { remote, reason }),
    },
  });
  const transport = faultyRpcTransport(tcp, deps.faults);
  const host = advertisedHost(config.bind);
  const peerAddress = { host, port: transport.address.port };
  // Gossip shares the port number TCP got (so --peer-port 0 gives one number for both).
  let datagrams: UdpTransport;
  try {
    datagrams = faultyDatagramTransport(await UdpTransport.bind(config.bind, transport.address.port), deps.faults);
  } catch (err) {
    await transport.close();
    throw err;
  }
  const clusterMetrics = deps.clusterMetrics ?? new ClusterMetrics(deps.metrics.registry);
  const logFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void => log[level](msg, fields);

  let membership: SwimMembership | null = null;
  // Before join the ring is this node alone (its record needs the RESP port).
  const solo = soloRing(nodeId, config);
  let ownProblem: string | null = null;
  const readiness = deps.readiness;
  const notReady = (): string | null => readiness?.notReady({ ring: membership?.ring() ?? null, selfState: membership?.self.state ?? null }) ?? null;
  const members = {
    ring: () => membership?.ring() ?? solo,
    // Gossip says who is up (and who steps aside with a failing disk); a refused connection says sooner that a stopped node is not.
    isReachable: (id: string) =>
      id === nodeId || (membership !== null && membership.isReachable(id) && membership.unhealthy(id) === undefined && !transport.isFailing(id)),
    phi: (id: string) => (id === nodeId ? 0 : (membership?.phi(id) ?? 0)),
  };
  const antiEntropy = deps.antiEntropy ?? null;
  const handoff = deps.engine
    ? await startHandoff({
        engine: deps.engine,
        sync: config.sync,
        transport,
        isReachable: members.isReachable,
        clock: deps.clock,
        log: logFn,
        requestTimeoutMs: deps.requestTimeoutMs,
        maxHintsPerTarget: config.hintMaxPerTarget,
        maxHintBytesPerTarget: config.hintMaxBytesPerTarget,
        maxKeysPerSec: config.hintRateKeys,
        maxAgeMs: () => antiEntropy?.graceMs ?? config.tombstoneGraceSeconds * 1000,
        // A refused hint is a copy the target will not get from here: anti-entropy compares its ranges first.
        onRefused: (target, reason, hints) => {
          clusterMetrics.hintsRefused(reason, hints);
          antiEntropy?.prioritize(target);
        },
        onStored: (hints) => clusterMetrics.hintsStored(hints),
        observer: {
          delivered: (_target, hints) => clusterMetrics.hintsDelivered(hints),
          refused: (_target, hints) => clusterMetrics.hintsDropped(hints),
        },
      })
    : null;
  if (handoff) {
    const h = handoff;
    clusterMetrics.setHintsSource(() => {
      const out: Record<string, number> = {};
      for (const [target, st] of Object.entries(h.status())) out[target] = st.pending;
      return out;
    });
    clusterMetrics.setHintBytesSource(() => {
      const out: Record<string, number> = {};
      for (const [target, st] of Object.entries(h.status())) out[target] = st.bytes;
      return out;
    });
  }
  const coordinator = new ClusterCoordinator({
    nodeId,
    actor: deps.actor,
    store: deps.store,
    transport,
    members,
    clock: deps.clock,
    rng: deps.rng,
    n: config.n,
    r: deps.r,
    w: deps.w,
    requestTimeoutMs: deps.requestTimeoutMs,
    metrics: deps.metrics,
    log: logFn,
    ...(handoff ? { hints: handoff.store } : {}),
    sloppyQuorum: deps.sloppyQuorum ?? (() => config.sloppyQuorum),
    ...(deps.storageHealth ? { storageHealth: deps.storageHealth } : {}),
    notReady,
  });
  const notServing = (): string[] => {
    const out: string[] = [];
    const disk = deps.storageHealth?.problem();
    if (disk) out.push(disk);
    const forming = notReady();
    if (forming) out.push(`cluster is forming: ${forming}`);
    return out;
  };
  antiEntropy?.attach({ transport, ring: members.ring, isReachable: members.isReachable, coordinator, log: logFn });
  const streaming = new Streaming({
    transport,
    store: deps.store,
    mergeLocal: (key, obj, epoch) => coordinator.replica.merge(key, obj, epoch),
    readDurable: (keys) => coordinator.replica.get(keys),
    epoch: () => coordinator.replica.flushEpoch,
    adoptEpoch: (epoch) => coordinator.replica.flush(epoch),
    cleanupGraceMs: config.rangeCleanupGraceSeconds * 1000,
    cleanupIntervalMs: config.rangeCleanupIntervalSeconds * 1000,
    clock: deps.clock,
    n: config.n,
    limits: () => ({ maxKeysPerSec: config.streamMaxKeysPerSec, maxBytesPerSec: config.streamMaxBytesPerSec }),
    metrics: clusterMetrics,
    log: (level, msg, fields) => log[level](msg, fields),
  });
  transport.onRequest((from, msg) => {
    if (antiEntropy?.handles(msg)) return antiEntropy.handleRequest(from, msg);
    if (streaming.handles(msg)) return streaming.handleRequest(from, msg);
    if (!isMembershipMessage(msg)) return coordinator.handleRequest(from, msg);
    if (!membership) throw new QkvError('UNAVAILABLE', `${nodeId} has not joined yet`);
    return membership.handleRequest(from, msg);
  });

  const statuses = (): MemberSnapshot[] => membership?.members() ?? [];
  const view: ClusterView = {
    self: nodeId,
    members: () => {
      const ring = members.ring();
      return statuses().map(({ info: m, status, phi }): ClusterMemberView => {
        const own = ring.ownership(m.id, config.n);
        return {
          id: m.id,
          address: formatAddress(m.address),
          peerAddress: formatAddress(m.peer),
          status,
          state: m.state,
          rack: m.rack,
          dc: m.dc,
          ownership: own.primary,
          replicaOwnership: own.replica,
          phi: m.id === nodeId ? null : Math.round(phi * 100) / 100,
          ...(m.unhealthy ? { unhealthy: m.unhealthy } : {}),
          // Only this node's own load is known here; `quorumkv status` asks each member for its own.
          ...(m.id === nodeId && deps.selfLoad ? deps.selfLoad() : {}),
        };
      });
    },
    replicasOf: (key) => members.ring().preferenceList(keyHash(key), config.n),
    hints: () => handoff?.status() ?? {},
    repair: () => antiEntropy?.status() ?? {},
    notServing,
    ring: () => streaming.ring() ?? { n: config.n, ranges: 0, pending: false, members: [] },
    streams: () => streaming.streams(),
    leave: () => streaming.leave(),
    remove: (id) => streaming.remove(id),
  };

  let closing: Promise<void> | null = null;
  return {
    kv: coordinator,
    view,
    peerAddress,
    async join(resp, state = 'normal') {
      membership = await SwimMembership.start({
        self: { id: nodeId, rack: config.rack, dc: config.dc, vnodes: config.vnodes, state, address: { host, port: resp.port }, peer: peerAddress },
        seeds: config.seeds,
        datagrams,
        rpc: transport,
        store: deps.store,
        clock: deps.clock,
        rng: deps.rng,
        secret: config.clusterSecret,
        tuning: {
          protocolPeriodMs: config.gossipIntervalMs,
          probeTimeoutMs: config.gossipProbeTimeoutMs,
          suspicionMult: config.gossipSuspicionMult,
          pushPullIntervalMs: config.gossipPushPullMs,
        },
        observer: gossipObserver(clusterMetrics),
        log: logFn,
      });
      const joined = membership;
      if (ownProblem) joined.setSelfHealth(ownProblem);
      // A member back from the dead gets its hints now and its ranges compared first.
      joined.onChange((ev) => {
        if (ev.kind !== 'alive') return;
        tcp.clearBackoff(ev.id);
        handoff?.nudge(ev.id);
        antiEntropy?.prioritize(ev.id);
      });
      clusterMetrics.setMembersSource(() => {
        const counts: Record<string, number> = { alive: 0, suspect: 0, dead: 0, left: 0 };
        for (const m of joined.members()) counts[m.status] = (counts[m.status] ?? 0) + 1;
        return counts;
      });
      antiEntropy?.start();
      streaming.start(joined, deps.onLeft ?? (() => undefined));
      if (antiEntropy) {
        const ae = antiEntropy;
        clusterMetrics.setRebuildSource(() => {
          const r = (ae.status() as { rebuild?: { done?: number; total?: number } }).rebuild;
          return Math.max(0, (r?.total ?? 0) - (r?.done ?? 0));
        });
      }
      log.info('cluster membership started', { peer: formatAddress(peerAddress), seeds: config.seeds.map(formatAddress), members: membership.members().length });
    },
    membership: () => membership,
    setHealth(problem) {
      ownProblem = problem;
      membership?.setSelfHealth(problem);
    },
    notServing,
    memberCount: () => membership?.members().length ?? 1,
    memberLines: () =>
      statuses().map((s, i) => [
        `member${i}`,
        `id=${s.info.id},address=${formatAddress(s.info.address)},peer=${formatAddress(s.info.peer)},status=${s.status},rack=${s.info.rack},dc=${s.info.dc}`,
      ]),
    close: () =>
      (closing ??= (async () => {
        streaming.close();
        await antiEntropy?.close();
        await membership?.close();
        // Delivery stops first; closing the transport ends its requests under way.
        const handoffClosed = handoff?.close();
        await datagrams.close();
        await transport.close();
        await handoffClosed;
      })()),
  };
}

function soloRing(nodeId: string, config: Pick<NodeConfig, 'rack' | 'dc' | 'vnodes'>): Ring {
  return Ring.build([{ id: nodeId, rack: config.rack, dc: config.dc, vnodes: config.vnodes, state: 'normal' }]);
}

/** The cluster view of a node that runs alone (N = 1, no seeds): itself, owning the whole ring. */
export function soloClusterView(nodeId: string, config: Pick<NodeConfig, 'rack' | 'dc' | 'bind' | 'peerPort'>, respPort: () => number): ClusterView {
  const host = advertisedHost(config.bind);
  return {
    self: nodeId,
    members: () => [
      {
        id: nodeId,
        address: formatAddress({ host, port: respPort() }),
        peerAddress: formatAddress({ host, port: config.peerPort }),
        status: 'alive',
        state: 'normal',
        rack: config.rack,
        dc: config.dc,
        ownership: 1,
        replicaOwnership: 1,
        phi: null,
      },
    ],
    replicasOf: () => [nodeId],
    hints: () => ({}),
    repair: () => ({}),
  };
}
