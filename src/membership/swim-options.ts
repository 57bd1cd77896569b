import type { Clock } from '../core/clock.js';
import type { Rng } from '../core/rng.js';
import type { Ring, RingOptions } from '../ring/ring.js';
import type { DatagramTransport, Message, PeerAddress, PeerIdentifier, RpcTransport } from '../transport/types.js';
import type { MemberInfo } from './member.js';
import type { MetaStore } from './member-store.js';
import type { MemberStatusName } from './member-state.js';

/** What the coordinator needs of membership (the same shape as its own MemberView). */
export interface MemberView {
  ring(): Ring;
  isReachable(nodeId: string): boolean;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFn = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

/**
 * The knobs of the protocol; defaults suit a LAN and a loaded machine. Five
 * are node options (named below; a node passes them, and
 * test/config/component-defaults.test.ts keeps DEFAULT_TUNING equal to their
 * defaults); the others are fixed.
 */
export interface SwimTuning {
  /** One probe per period (--gossip-interval-ms). */
  readonly protocolPeriodMs: number;
  /** Between two rounds of pure gossip to a few random members, sent only while there is news. */
  readonly gossipIntervalMs: number;
  /** Members each gossip round goes to. */
  readonly gossipFanout: number;
  /** Wait for a direct ack before asking others to probe (--gossip-probe-timeout-ms). */
  readonly probeTimeoutMs: number;
  /** Wait for a direct ack from a member of another DC (--gossip-wan-probe-timeout-ms); its probe fails after twice this. */
  readonly wanProbeTimeoutMs: number;
  /** Members asked to probe indirectly. */
  readonly indirectProbes: number;
  /** Minimum suspicion timeout in periods, scaled by log10(n) (--gossip-suspicion-mult). */
  readonly suspicionMult: number;
  /** Maximum suspicion timeout as a multiple of the minimum. */
  readonly suspicionMaxMult: number;
  /** Each update is piggybacked lambda * log10(n + 1) times. */
  readonly retransmitMult: number;
  /** Local health stretches probe period and timeout by up to this factor. */
  readonly awarenessMax: number;
  /** Full-table exchange with a random member (--gossip-push-pull-ms). */
  readonly pushPullIntervalMs: number;
  /** Largest datagram sent or accepted. */
  readonly maxDatagramBytes: number;
  /** Periods a leaving node keeps gossiping its departure. */
  readonly leavePeriods: number;
  /** Inter-arrival samples per peer for phi. */
  readonly phiWindow: number;
}

export const DEFAULT_TUNING: SwimTuning = {
  protocolPeriodMs: 1000,
  probeTimeoutMs: 500,
  wanProbeTimeoutMs: 1500,
  gossipIntervalMs: 200,
  gossipFanout: 3,
  indirectProbes: 3,
  suspicionMult: 4,
  suspicionMaxMult: 6,
  retransmitMult: 4,
  awarenessMax: 8,
  pushPullIntervalMs: 30_000,
  maxDatagramBytes: 1400,
  leavePeriods: 3,
  phiWindow: 100,
};

/** Optional hooks for metrics; every method may be left out. */
export interface GossipObserver {
  sent?(type: string, bytes: number): void;
  received?(type: string, bytes: number): void;
  /** A datagram was dropped: too short, oversize, bad tag, malformed, other version, wrong target, replayed, stale, or an ack from the wrong member. */
  dropped?(reason: string): void;
  /** This node began suspecting a member. */
  suspected?(id: string): void;
  /** This node refuted a suspicion (or death) about itself. */
  refuted?(): void;
  /** This node declared a member dead. */
  died?(id: string): void;
  /** Members per status, after any change. */
  memberCount?(counts: Readonly<Record<MemberStatusName, number>>): void;
}

export interface SwimOptions {
  /** This node; its incarnation is chosen at start. `state` is the ring state to start in unless one is stored. */
  readonly self: Omit<MemberInfo, 'incarnation'>;
  /** Peer addresses (TCP, and UDP on the same port) to join through; this node's own address may be among them. */
  readonly seeds: readonly PeerAddress[];
  readonly datagrams: DatagramTransport;
  readonly rpc: RpcTransport & PeerIdentifier;
  readonly store: MetaStore;
  readonly clock: Clock;
  readonly rng: Rng;
  /** Cluster secret: keys the datagram tags. */
  readonly secret?: string | null;
  /** When true, `self.state` wins over a stored ring state (a join manager that knows better). */
  readonly forceState?: boolean;
  readonly tuning?: Partial<SwimTuning>;
  /** How the ring this membership forms places replicas (replicas per DC). */
  readonly ringOptions?: RingOptions;
  readonly observer?: GossipObserver;
  readonly log?: LogFn;
}

export interface MemberSnapshot {
  readonly info: MemberInfo;
  readonly status: MemberStatusName;
  readonly incarnation: number;
  readonly phi: number;
}

export type MemberEvent = { readonly kind: 'added' | 'alive' | 'suspect' | 'dead' | 'left' | 'state' | 'updated'; readonly id: string };

/** Request types of this module all start with 'm.'; the node routes them here. */
export const MEMBERSHIP_PREFIX = 'm.';
export const PUSH_PULL = 'm.push-pull';

export function isMembershipMessage(msg: Message): boolean {
  if (typeof msg !== 'object' || msg === null) return false;
  const type = (msg as { type?: unknown }).type;
  return typeof type === 'string' && type.startsWith(MEMBERSHIP_PREFIX);
}
