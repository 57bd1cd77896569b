import { networkInterfaces } from 'node:os';
import type { Clock } from '../core/clock.js';
import { keyHash } from '../core/hash.js';
import { QkvError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { NodeConfig } from '../config/node-config.js';
import type { NodeMetrics } from '../metrics/registry.js';
import { ClusterCoordinator } from '../coordinator/cluster-coordinator.js';
import type { KvApi } from '../coordinator/api.js';
import { StaticMembership, isMembershipMessage, type MemberStatus } from '../membership/static-members.js';
import { Ring } from '../ring/ring.js';
import type { LocalStore } from '../storage/local-store.js';
import { TcpRpcTransport } from '../transport/tcp-rpc.js';
import { formatAddress, type PeerAddress } from '../transport/types.js';
import type { ClusterMemberView, ClusterView } from '../commands/types.js';
import type { Logger } from './logger.js';
import type { Engine } from '../storage/engine.js';
import { startHandoff } from './handoff-wiring.js';

/**
 * The cluster half of a node: peer RPC on --peer-port, static membership
 * seeded from --seeds, and the ring coordinator. Built in two steps because
 * the member record carries the RESP port, known only once RESP listens:
 * `createClusterNode` (transport and coordinator, so commands can be served)
 * then `join` (membership starts exchanging tables).
 */
export interface ClusterDeps {
  readonly config: NodeConfig;
  readonly nodeId: string;
  readonly store: LocalStore;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly metrics: NodeMetrics;
  readonly log: Logger;
  /** Read at call time: CONFIG SET may change them. */
  readonly r: () => number;
  readonly w: () => number;
  readonly requestTimeoutMs: () => number;
  /** The node's open engine: with it the node keeps hints (hinted handoff); without, it keeps none. */
  readonly engine?: Engine;
}

export interface ClusterNode {
  readonly kv: KvApi;
  readonly view: ClusterView;
  /** Where peers reach this node. */
  readonly peerAddress: PeerAddress;
  /** Starts membership: this node's record says clients reach it at `resp`. */
  join(resp: PeerAddress): Promise<void>;
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
  const transport = await TcpRpcTransport.listen({
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
  const host = advertisedHost(config.bind);
  const peerAddress = { host, port: transport.address.port };
  const logFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void => log[level](msg, fields);

  let membership: StaticMembership | null = null;
  // Before join the ring is this node alone (its record needs the RESP port).
  const solo = soloRing(nodeId, config);
  const members = {
    ring: () => membership?.ring() ?? solo,
    isReachable: (id: string) => (membership ? membership.isReachable(id) : id === nodeId),
  };
  const handoff = deps.engine
    ? await startHandoff({
        engine: deps.engine,
        sync: config.sync,
        transport,
        isReachable: members.isReachable,
        clock: deps.clock,
        log: logFn,
        requestTimeoutMs: deps.requestTimeoutMs,
      })
    : null;
  const coordinator = new ClusterCoordinator({
    nodeId,
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
  });
  transport.onRequest((from, msg) => {
    if (!isMembershipMessage(msg)) return coordinator.handleRequest(from, msg);
    if (!membership) throw new QkvError('UNAVAILABLE', `${nodeId} has not joined yet`);
    return membership.handleRequest(from, msg);
  });

  const statuses = (): MemberStatus[] => membership?.status() ?? [];
  const view: ClusterView = {
    self: nodeId,
    members: () => {
      const ring = members.ring();
      return statuses().map(({ member: m, reachable }): ClusterMemberView => {
        const own = ring.ownership(m.id, config.n);
        return {
          id: m.id,
          address: formatAddress(m.address),
          peerAddress: formatAddress(m.peer),
          status: reachable ? 'alive' : 'dead',
          state: m.state,
          rack: m.rack,
          dc: m.dc,
          ownership: own.primary,
          replicaOwnership: own.replica,
          phi: null,
        };
      });
    },
    replicasOf: (key) => members.ring().preferenceList(keyHash(key), config.n),
    hints: () => handoff?.status() ?? {},
    repair: () => ({}),
  };

  let closing: Promise<void> | null = null;
  return {
    kv: coordinator,
    view,
    peerAddress,
    async join(resp) {
      membership = await StaticMembership.start({
        self: { id: nodeId, rack: config.rack, dc: config.dc, vnodes: config.vnodes, state: 'normal', address: { host, port: resp.port }, peer: peerAddress },
        seeds: config.seeds,
        transport,
        store: deps.store,
        clock: deps.clock,
        log: logFn,
      });
      log.info('cluster membership started', { peer: formatAddress(peerAddress), seeds: config.seeds.map(formatAddress), members: membership.members().length });
    },
    memberCount: () => membership?.members().length ?? 1,
    memberLines: () =>
      statuses().map((s, i) => [
        `member${i}`,
        `id=${s.member.id},address=${formatAddress(s.member.address)},peer=${formatAddress(s.member.peer)},status=${s.reachable ? 'alive' : 'dead'},rack=${s.member.rack},dc=${s.member.dc}`,
      ]),
    close: () =>
      (closing ??= (async () => {
        await membership?.close();
        // Delivery stops first; closing the transport ends its requests under way.
        const handoffClosed = handoff?.close();
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
