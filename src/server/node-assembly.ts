import type { Clock } from '../core/clock.js';
import type { Rng } from '../core/rng.js';
import type { DotIssuer } from '../versioning/actor.js';
import type { NodeMetrics } from '../metrics/registry.js';
import type { ClusterMetrics } from '../metrics/cluster-metrics.js';
import { ClusterCoordinator } from '../coordinator/cluster-coordinator.js';
import type { MemberView } from '../coordinator/data-path.js';
import type { HintDeliveryObserver } from '../handoff/hint-delivery.js';
import type { StreamSettings } from '../handoff/stream-settings.js';
import { SwimMembership } from '../membership/swim-membership.js';
import type { MemberEvent, SwimTuning } from '../membership/swim-options.js';
import type { MemberState } from '../ring/types.js';
import { Ring } from '../ring/ring.js';
import { keyMd5 } from '../core/hash.js';
import type { DcReplicas } from '../ring/dc-placement.js';
import type { ConsistencyLevel } from '../coordinator/consistency.js';
import type { Engine } from '../storage/engine.js';
import type { LocalStore } from '../storage/local-store.js';
import type { StorageHealthView } from '../storage/storage-health.js';
import type { DatagramTransport, PeerAddress, PeerIdentifier, RpcTransport } from '../transport/types.js';
import type { ClusterView } from '../commands/types.js';
import type { AntiEntropyWiring } from './antientropy-wiring.js';
import { clusterView, hintsByRemoteDc, memberLines } from './cluster-view.js';
import { gossipObserver } from './cluster-observers.js';
import { startHandoff, type Handoff } from './handoff-wiring.js';
import type { Readiness } from './readiness.js';
import { requestRouter } from './request-router.js';
import { ScriptRouting } from './script-routing.js';
import { PeerFanout } from '../pubsub/fanout.js';
import { PubSubHub } from '../pubsub/hub.js';
import { AclSync } from '../acl/acl-sync.js';
import { Streaming } from './streaming-wiring.js';

export type AssemblyLogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** A node's cluster settings, from its options (src/config) or a simulation's. */
export interface NodeAssemblyOptions {
  readonly n: number;
  /** Replicas per DC (`--replicas-per-dc`); absent: the first n owners clockwise. */
  readonly replicasPerDc?: DcReplicas;
  readonly rack: string;
  readonly dc: string;
  readonly vnodes: number;
  readonly seeds: readonly PeerAddress[];
  readonly clusterSecret?: string | null;
  /** Whether the hint store fsyncs every batch (the node's --sync). */
  readonly sync: boolean;
  readonly hints: {
    readonly maxPerTarget: number;
    readonly maxBytesPerTarget: number;
    /** For the replicas of one remote DC together (--dc-hint-max-bytes; absent: no such bound). */
    readonly maxBytesPerDc?: number;
    readonly rateKeys: number;
    readonly tickMs?: number;
    readonly minBackoffMs?: number;
    readonly maxBackoffMs?: number;
  };
  /** Hints older than this are dropped when the node runs no anti-entropy (which has its own grace). */
  readonly tombstoneGraceMs: number;
  readonly gossip: Partial<SwimTuning>;
  readonly streaming: {
    /** Read at every page: the rate limits (CONFIG SET may change them) and any setting that differs from the defaults. */
    readonly limits: () => Partial<StreamSettings>;
    readonly cleanupGraceMs: number;
    readonly cleanupIntervalMs: number;
    readonly joinSettleMs?: number;
    readonly leaveSettleMs?: number;
  };
}

/** What a node is built from: transports already bound, a store already open, and the process's clock and randomness. */
export interface NodeAssemblyDeps {
  readonly nodeId: string;
  /** The dots this start of the node issues (coordinator/start-actor.ts). */
  readonly actor: DotIssuer;
  /** The record store (wrapped by anti-entropy when it runs). */
  readonly store: LocalStore;
  /** The node's open engine: with it the node keeps hints (hinted handoff); without, it keeps none. */
  readonly engine?: Engine;
  readonly transport: RpcTransport & PeerIdentifier;
  readonly datagrams: DatagramTransport;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly options: NodeAssemblyOptions;
  readonly log?: AssemblyLogFn;
  readonly metrics?: NodeMetrics;
  /** Where gossip, hints, anti-entropy and streaming report. */
  readonly clusterMetrics?: ClusterMetrics | null;
  /** Read at call time: CONFIG SET may change them. */
  readonly r: () => number;
  readonly w: () => number;
  /** Default levels of plain reads and writes (null: the numeric R and W). */
  readonly readConsistency?: () => ConsistencyLevel | null;
  readonly writeConsistency?: () => ConsistencyLevel | null;
  readonly requestTimeoutMs: () => number;
  /** How long an entry node waits for a script it sent to its keys' replica (default: three request timeouts). */
  readonly scriptTimeoutMs?: () => number;
  /** How long a read waits for its first R replicas before asking the rest (default: the coordinator's). */
  readonly readSpeculativeMs?: () => number;
  /** Whether stand-ins' hints count toward W; default: true. */
  readonly sloppyQuorum?: () => boolean;
  /** Merkle-tree anti-entropy; `store` is then the store it wrapped. */
  readonly antiEntropy?: AntiEntropyWiring | null;
  readonly storageHealth?: StorageHealthView;
  /** When this node may serve requests that need the ring; without it, at once. */
  readonly readiness?: Readiness;
  readonly selfLoad?: () => { keys: number; bytes: number };
  /** Called once this node has left the cluster (QKV.LEAVE completed): the process should stop. */
  readonly onLeft?: () => void;
  /** Every membership event, before the node's own reactions (a dialer clears its backoff, a log notes it). */
  readonly onMemberEvent?: (ev: MemberEvent) => void;
  /** How the hint store schedules its batches (default: its own). */
  readonly schedule?: (run: () => void) => void;
  /** Hints delivered to or dropped for a target, besides the metrics. */
  readonly hintObserver?: HintDeliveryObserver;
}

/** A node without sockets: what the server runs over TCP and UDP and the simulation over its in-memory network. */
export interface AssembledNode {
  readonly coordinator: ClusterCoordinator;
  readonly view: ClusterView;
  /** The ring and reachability the coordinator routes by. */
  readonly members: MemberView;
  /** The peer request dispatcher (already registered on the transport). */
  readonly handleRequest: (from: string, msg: unknown) => Promise<unknown>;
  readonly handoff: Handoff | null;
  readonly antiEntropy: AntiEntropyWiring | null;
  readonly streaming: Streaming;
  /** Pub/Sub: this node's subscribers, and the fan-out of what is published here to every live member. */
  readonly pubsub: PubSubHub;
  /** Scripts run at their keys' first reachable replica ('x.eval'); the command layer attaches the runner. */
  readonly scripts: ScriptRouting;
  /** ACL changes to and from every live member ('l.*'); the command layer attaches its ACL store. */
  readonly acl: AclSync;
  /**
   * Starts membership: this node's record says clients reach it at
   * `address` and peers at `peer`; `state` is the ring state of a node with
   * no stored one (default 'normal').
   */
  join(self: { readonly address: PeerAddress; readonly peer: PeerAddress }, state?: MemberState): Promise<void>;
  membership(): SwimMembership | null;
  setHealth(problem: string | null): void;
  notServing(): string[];
  memberCount(): number;
  memberLines(): Array<readonly [string, string]>;
  /** Stops streaming, anti-entropy, membership, hint delivery, then both transports. Safe to call twice. */
  close(): Promise<void>;
}

export async function assembleNode(deps: NodeAssemblyDeps): Promise<AssembledNode> {
  const { nodeId, options: o, transport } = deps;
  const log: AssemblyLogFn = deps.log ?? (() => undefined);
  const cm = deps.clusterMetrics ?? null;
  let membership: SwimMembership | null = null;
  // Before join the ring is this node alone (its record needs the client address).
  const ringOptions = o.replicasPerDc ? { replicasPerDc: o.replicasPerDc } : {};
  const solo = Ring.build([{ id: nodeId, rack: o.rack, dc: o.dc, vnodes: o.vnodes, state: 'normal' }], ringOptions);
  let ownProblem: string | null = null;
  const notReady = (): string | null => deps.readiness?.notReady({ ring: membership?.ring() ?? null, selfState: membership?.self.state ?? null }) ?? null;
  const members: MemberView & { phi(id: string): number } = {
    ring: () => membership?.ring() ?? solo,
    // Gossip says who is up (and who steps aside with a failing disk); a refused connection says sooner that a stopped node is not.
    isReachable: (id) =>
      id === nodeId || (membership !== null && membership.isReachable(id) && membership.unhealthy(id) === undefined && !(transport.isFailing?.(id) ?? false)),
    phi: (id) => (id === nodeId ? 0 : (membership?.phi(id) ?? 0)),
  };
  const antiEntropy = deps.antiEntropy ?? null;
  // A target's hints count toward its DC's bound when that DC is not this node's own.
  const remoteDcOf = (target: string): string | undefined => {
    const ring = members.ring();
    const dc = ring.replicasPerDc ? ring.dcOf(target) : undefined;
    return dc !== undefined && dc !== ring.dcOf(nodeId) ? dc : undefined;
  };
  const handoff = deps.engine ? await startHandoffFor(deps, deps.engine, members.isReachable, remoteDcOf, log) : null;
  if (handoff) deps.clusterMetrics?.setDcHintsSource(() => Object.fromEntries(Object.entries(hintsByRemoteDc(members.ring(), nodeId, handoff.status())).map(([dc, h]) => [dc, h.pending])));
  if (handoff) deps.clusterMetrics?.setDcHintBytesSource(() => handoff.store.groupStats());
  const coordinator = new ClusterCoordinator({
    nodeId,
    actor: deps.actor,
    store: deps.store,
    transport,
    members,
    clock: deps.clock,
    rng: deps.rng,
    n: o.n,
    r: deps.r,
    w: deps.w,
    ...(deps.readConsistency ? { readConsistency: deps.readConsistency } : {}),
    ...(deps.writeConsistency ? { writeConsistency: deps.writeConsistency } : {}),
    requestTimeoutMs: deps.requestTimeoutMs,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    log,
    ...(handoff ? { hints: handoff.store } : {}),
    sloppyQuorum: deps.sloppyQuorum ?? (() => true),
    ...(deps.storageHealth ? { storageHealth: deps.storageHealth } : {}),
    notReady,
    ...(deps.schedule ? { schedule: deps.schedule } : {}),
    ...(deps.readSpeculativeMs ? { speculativeRetryMs: deps.readSpeculativeMs } : {}),
  });
  const notServing = (): string[] => {
    const out: string[] = [];
    const disk = deps.storageHealth?.problem();
    if (disk) out.push(disk);
    const forming = notReady();
    if (forming) out.push(`cluster is forming: ${forming}`);
    return out;
  };
  antiEntropy?.attach({ transport, ring: members.ring, isReachable: members.isReachable, coordinator, log });
  const streaming = new Streaming({
    transport,
    store: deps.store,
    mergeLocal: (key, obj, epoch) => coordinator.replica.merge(key, obj, epoch),
    readDurable: (keys) => coordinator.replica.get(keys),
    epoch: () => coordinator.replica.flushEpoch,
    adoptEpoch: (epoch) => coordinator.replica.flush(epoch),
    cleanupGraceMs: o.streaming.cleanupGraceMs,
    cleanupIntervalMs: o.streaming.cleanupIntervalMs,
    ...(o.streaming.joinSettleMs !== undefined ? { joinSettleMs: o.streaming.joinSettleMs } : {}),
    ...(o.streaming.leaveSettleMs !== undefined ? { leaveSettleMs: o.streaming.leaveSettleMs } : {}),
    clock: deps.clock,
    n: o.n,
    limits: o.streaming.limits,
    metrics: cm,
    log,
  });
  // Every live member hears what is published here (members that are down miss it, as in Redis).
  const fanout = new PeerFanout({
    transport,
    peers: () => (membership?.members() ?? []).filter((m) => m.info.id !== nodeId && (m.status === 'alive' || m.status === 'suspect')).map((m) => m.info.id),
    onDropped: (peer, messages, why) => log('debug', 'published messages not delivered to a peer', { peer, messages, why }),
  });
  const pubsub = new PubSubHub(fanout);
  const scripts = new ScriptRouting({
    self: nodeId,
    replicasOf: (key) => members.ring().preferenceList(keyMd5(key).readBigUInt64BE(0), o.n),
    isReachable: members.isReachable,
    call: (peer, msg, ms) => transport.request(peer, msg, { timeoutMs: ms }),
    timeoutMs: deps.scriptTimeoutMs ?? (() => 3 * deps.requestTimeoutMs()),
  });
  const livePeers = (): string[] =>
    (membership?.members() ?? []).filter((m) => m.info.id !== nodeId && (m.status === 'alive' || m.status === 'suspect')).map((m) => m.info.id);
  const acl = new AclSync({
    request: (peer, msg) => transport.request(peer, msg),
    peers: livePeers,
    clock: deps.clock,
    log: (level, msg, fields) => log(level, msg, fields),
  });
  const handleRequest = requestRouter({ nodeId, antiEntropy, streaming, membership: () => membership, coordinator, pubsub, scripts, acl });
  transport.onRequest(handleRequest);

  const snapshots = () => membership?.members() ?? [];
  const view = clusterView({
    nodeId,
    n: o.n,
    ring: members.ring,
    members: snapshots,
    hints: () => handoff?.status() ?? {},
    dcLag: () => coordinator.dcLag(),
    repair: () => antiEntropy?.status() ?? {},
    notServing,
    streaming,
    ...(deps.selfLoad ? { selfLoad: deps.selfLoad } : {}),
  });

  let closing: Promise<void> | null = null;
  return {
    coordinator,
    view,
    members,
    handleRequest,
    handoff,
    antiEntropy,
    streaming,
    pubsub,
    scripts,
    acl,
    async join(self, state = 'normal') {
      membership = await SwimMembership.start({
        self: { id: nodeId, rack: o.rack, dc: o.dc, vnodes: o.vnodes, state, address: self.address, peer: self.peer },
        seeds: o.seeds,
        datagrams: deps.datagrams,
        rpc: transport,
        store: deps.store,
        clock: deps.clock,
        rng: deps.rng,
        secret: o.clusterSecret ?? null,
        tuning: o.gossip,
        ringOptions,
        ...(cm ? { observer: gossipObserver(cm) } : {}),
        log,
      });
      const joined = membership;
      if (ownProblem) joined.setSelfHealth(ownProblem);
      // A member back from the dead gets its hints now and its ranges compared first
      // (after the caller's own reaction: a dialer clears its backoff before they dial).
      joined.onChange((ev) => {
        deps.onMemberEvent?.(ev);
        if (ev.kind === 'alive') {
          handoff?.nudge(ev.id);
          antiEntropy?.prioritize(ev.id);
        }
      });
      cm?.setMembersSource(() => {
        const counts: Record<string, number> = { alive: 0, suspect: 0, dead: 0, left: 0 };
        for (const m of joined.members()) counts[m.status] = (counts[m.status] ?? 0) + 1;
        return counts;
      });
      antiEntropy?.start();
      streaming.start(joined, deps.onLeft ?? (() => undefined));
      if (antiEntropy && cm) {
        const ae = antiEntropy;
        cm.setRebuildSource(() => {
          const r = (ae.status() as { rebuild?: { done?: number; total?: number } }).rebuild;
          return Math.max(0, (r?.total ?? 0) - (r?.done ?? 0));
        });
      }
    },
    membership: () => membership,
    setHealth(problem) {
      ownProblem = problem;
      membership?.setSelfHealth(problem);
    },
    notServing,
    memberCount: () => membership?.members().length ?? 1,
    memberLines: () => memberLines(snapshots()),
    close: () =>
      (closing ??= (async () => {
        streaming.close();
        acl.stop();
        await antiEntropy?.close();
        await membership?.close();
        // Delivery stops first; closing the transport ends its requests under way.
        const handoffClosed = handoff?.close();
        await deps.datagrams.close();
        await transport.close();
        await handoffClosed;
      })()),
  };
}

function startHandoffFor(
  deps: NodeAssemblyDeps,
  engine: Engine,
  isReachable: (id: string) => boolean,
  remoteDcOf: (target: string) => string | undefined,
  log: AssemblyLogFn,
): Promise<Handoff> {
  const { options: o, antiEntropy } = deps;
  const cm = deps.clusterMetrics ?? null;
  return startHandoff({
    engine,
    sync: o.sync,
    transport: deps.transport,
    isReachable,
    clock: deps.clock,
    log,
    requestTimeoutMs: deps.requestTimeoutMs,
    maxHintsPerTarget: o.hints.maxPerTarget,
    maxHintBytesPerTarget: o.hints.maxBytesPerTarget,
    ...(o.hints.maxBytesPerDc !== undefined ? { maxHintBytesPerDc: o.hints.maxBytesPerDc, remoteDcOf } : {}),
    maxKeysPerSec: o.hints.rateKeys,
    ...(o.hints.tickMs !== undefined ? { tickMs: o.hints.tickMs } : {}),
    ...(o.hints.minBackoffMs !== undefined ? { minBackoffMs: o.hints.minBackoffMs } : {}),
    ...(o.hints.maxBackoffMs !== undefined ? { maxBackoffMs: o.hints.maxBackoffMs } : {}),
    ...(deps.schedule ? { schedule: deps.schedule } : {}),
    maxAgeMs: () => antiEntropy?.graceMs ?? o.tombstoneGraceMs,
    // A refused hint is a copy the target will not get from here: anti-entropy compares its ranges first.
    onRefused: (target, reason, hints) => {
      cm?.hintsRefused(reason, hints);
      antiEntropy?.prioritize(target);
    },
    onStored: (hints) => cm?.hintsStored(hints),
    observer: {
      delivered: (target, hints, bytes) => {
        cm?.hintsDelivered(hints);
        deps.hintObserver?.delivered?.(target, hints, bytes);
      },
      refused: (target, hints) => {
        cm?.hintsDropped(hints);
        deps.hintObserver?.refused?.(target, hints);
      },
    },
  }).then((handoff) => {
    cm?.setHintsSource(() => perTarget(handoff, 'pending'));
    cm?.setHintBytesSource(() => perTarget(handoff, 'bytes'));
    return handoff;
  });
}

function perTarget(handoff: Handoff, field: 'pending' | 'bytes'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [target, st] of Object.entries(handoff.status())) out[target] = st[field];
  return out;
}
