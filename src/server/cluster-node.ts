import { networkInterfaces } from 'node:os';
import type { DotIssuer } from '../versioning/actor.js';
import type { Clock } from '../core/clock.js';
import type { Rng } from '../core/rng.js';
import type { NodeConfig } from '../config/node-config.js';
import { formatDcCounts, type ConsistencyLevelName } from '../config/dc-replicas-option.js';
import type { NodeMetrics } from '../metrics/registry.js';
import type { KvApi } from '../coordinator/api.js';
import type { MemberState } from '../ring/types.js';
import type { LocalStore } from '../storage/local-store.js';
import { TcpRpcTransport } from '../transport/tcp-rpc.js';
import { UdpTransport } from '../transport/udp.js';
import { formatAddress, type PeerAddress } from '../transport/types.js';
import type { PeerTls } from '../transport/peer-tls.js';
import type { ClusterView } from '../commands/types.js';
import { assembleNode, type AssembledNode, type NodeAssemblyOptions } from './node-assembly.js';
import type { SwimMembership } from '../membership/swim-membership.js';
import type { Logger } from './logger.js';
import { ClusterMetrics } from '../metrics/cluster-metrics.js';
import { faultyDatagramTransport, faultyRpcTransport, type FaultInjector } from './fault-injection.js';
import type { AntiEntropyWiring } from './antientropy-wiring.js';
import type { Engine } from '../storage/engine.js';
import type { StorageHealthView } from '../storage/storage-health.js';
import type { Readiness } from './readiness.js';
import type { PubSubHub } from '../pubsub/hub.js';
import type { ScriptRouting } from './script-routing.js';
import type { AclSync } from '../acl/acl-sync.js';

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
  /** Default levels of plain reads and writes (null: the numeric R and W); read at call time. */
  readonly readConsistency?: () => ConsistencyLevelName | null;
  readonly writeConsistency?: () => ConsistencyLevelName | null;
  readonly requestTimeoutMs: () => number;
  /** How long an entry node waits for a script it sent to its keys' replica. */
  readonly scriptTimeoutMs?: () => number;
  readonly readSpeculativeMs?: () => number;
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
  /** Peer TCP over mutual TLS (--tls-cluster); absent: plain TCP. */
  readonly peerTls?: PeerTls | null;
}

export interface ClusterNode {
  readonly kv: KvApi;
  /** Pub/Sub delivered cluster-wide. */
  readonly pubsub: PubSubHub;
  /** Scripts run at their keys' first reachable replica. */
  readonly scripts: ScriptRouting;
  /** ACL changes to and from every live member. */
  readonly acl: AclSync;
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
  /** New certificates (CONFIG SET tls-*-file) for peer connections opened from now on. */
  refreshTls(): void;
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
    tls: deps.peerTls ?? null,
    // Every node must place replicas alike: a peer with other replicas per DC is refused at the handshake.
    placement: formatDcCounts(config.replicasPerDc),
    // And read and write the same replica sets: a peer with another --n is refused too.
    replicas: config.n,
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
  deps.metrics.setPeerFramesSource(() => tcp.requestsSent);
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
  let node: AssembledNode;
  try {
    node = await assembleNode({
      nodeId,
      actor: deps.actor,
      store: deps.store,
      ...(deps.engine ? { engine: deps.engine } : {}),
      transport,
      datagrams,
      clock: deps.clock,
      rng: deps.rng,
      options: assemblyOptions(config),
      log: (level, msg, fields) => log[level](msg, fields),
      metrics: deps.metrics,
      clusterMetrics: deps.clusterMetrics ?? new ClusterMetrics(deps.metrics.registry),
      r: deps.r,
      w: deps.w,
      ...(deps.readConsistency ? { readConsistency: deps.readConsistency } : {}),
      ...(deps.writeConsistency ? { writeConsistency: deps.writeConsistency } : {}),
      requestTimeoutMs: deps.requestTimeoutMs,
      ...(deps.scriptTimeoutMs ? { scriptTimeoutMs: deps.scriptTimeoutMs } : {}),
      ...(deps.readSpeculativeMs ? { readSpeculativeMs: deps.readSpeculativeMs } : {}),
      sloppyQuorum: deps.sloppyQuorum ?? (() => config.sloppyQuorum),
      antiEntropy: deps.antiEntropy ?? null,
      ...(deps.storageHealth ? { storageHealth: deps.storageHealth } : {}),
      ...(deps.readiness ? { readiness: deps.readiness } : {}),
      ...(deps.selfLoad ? { selfLoad: deps.selfLoad } : {}),
      ...(deps.onLeft ? { onLeft: deps.onLeft } : {}),
      // A member back from the dead is dialled at once, not after the backoff its refusals earned.
      onMemberEvent: (ev) => {
        if (ev.kind === 'alive') tcp.clearBackoff(ev.id);
      },
    });
  } catch (err) {
    await datagrams.close();
    await transport.close();
    throw err;
  }
  return {
    kv: node.coordinator,
    pubsub: node.pubsub,
    scripts: node.scripts,
    acl: node.acl,
    view: node.view,
    peerAddress,
    async join(resp, state = 'normal') {
      await node.join({ address: { host, port: resp.port }, peer: peerAddress }, state);
      log.info('cluster membership started', { peer: formatAddress(peerAddress), seeds: config.seeds.map(formatAddress), members: node.memberCount() });
    },
    membership: () => node.membership(),
    setHealth: (problem) => node.setHealth(problem),
    notServing: () => node.notServing(),
    memberCount: () => node.memberCount(),
    memberLines: () => node.memberLines(),
    refreshTls: () => tcp.refreshTls(),
    close: () => node.close(),
  };
}

/** The assembly's settings from the node's options (each with its one default in src/config). */
export function assemblyOptions(config: NodeConfig): NodeAssemblyOptions {
  return {
    n: config.n,
    ...(config.replicasPerDc ? { replicasPerDc: config.replicasPerDc } : {}),
    rack: config.rack,
    dc: config.dc,
    vnodes: config.vnodes,
    seeds: config.seeds,
    clusterSecret: config.clusterSecret,
    sync: config.sync,
    hints: { maxPerTarget: config.hintMaxPerTarget, maxBytesPerTarget: config.hintMaxBytesPerTarget, maxBytesPerDc: config.dcHintMaxBytes, rateKeys: config.hintRateKeys },
    tombstoneGraceMs: config.tombstoneGraceSeconds * 1000,
    gossip: {
      protocolPeriodMs: config.gossipIntervalMs,
      probeTimeoutMs: config.gossipProbeTimeoutMs,
      wanProbeTimeoutMs: config.gossipWanProbeTimeoutMs,
      suspicionMult: config.gossipSuspicionMult,
      pushPullIntervalMs: config.gossipPushPullMs,
    },
    streaming: {
      limits: () => ({ maxKeysPerSec: config.streamMaxKeysPerSec, maxBytesPerSec: config.streamMaxBytesPerSec }),
      cleanupGraceMs: config.rangeCleanupGraceSeconds * 1000,
      cleanupIntervalMs: config.rangeCleanupIntervalSeconds * 1000,
    },
  };
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
