import type { Clock } from '../core/clock.js';
import type { DcLagWindow } from './dc-lag.js';
import { QkvError } from '../core/errors.js';
import type { NodeMetrics } from '../metrics/registry.js';
import type { Ring } from '../ring/ring.js';
import type { StorageHealthView } from '../storage/storage-health.js';
import type { PeerBatcher } from './peer-batch.js';
import type { LogFn, PeerClient } from './peer-client.js';
import type { ReplicaService } from './replica-service.js';

/** What the coordinator needs to know about the other nodes. */
export interface MemberView {
  /** The ring as this node sees it now (members in state normal/leaving own ranges). */
  ring(): Ring;
  /** True if the peer is believed reachable now (gossip says alive or suspect, and its connections are not being refused). */
  isReachable(nodeId: string): boolean;
  /** Suspicion of the peer (phi accrual; lower is healthier), when the membership measures it. */
  phi?(nodeId: string): number;
}

/** Where the write path keeps hints: this node's durable hint store. */
export interface HintSink {
  /**
   * Stores a version meant for `owner`; resolves only once it is durable.
   * Rejects with a HINTREFUSED error (hint-refusal.ts) when it cannot keep it.
   */
  add(owner: string, key: Buffer, obj: Buffer, epoch: number): Promise<void>;
}

/** The parts of a node the read, write and scan paths share. */
export interface DataPath {
  readonly self: string;
  readonly replica: ReplicaService;
  readonly peers: PeerClient;
  /** Replica merges and reads, one frame per peer per turn. */
  readonly batch: PeerBatcher;
  /** How long a read waits for its first R replicas before asking the others too (read at call time). */
  readonly speculativeRetryMs: () => number;
  readonly members: MemberView;
  readonly clock: Clock;
  readonly metrics: NodeMetrics | undefined;
  /** The recent cross-DC replication lag of this node's writes (for status). */
  readonly dcLag?: DcLagWindow;
  readonly log: LogFn;
  /** This node's hint store; without one no hints are kept here (neither as stand-in nor for down replicas). */
  readonly hints: HintSink | undefined;
  /** Whether this node's disk takes writes; without it, always. */
  readonly health: StorageHealthView | undefined;
}

/**
 * This node counts as reachable to itself while its disk takes writes (a
 * node with a failing disk routes around itself as its peers do); others
 * as the member view says.
 */
export function reachable(dp: DataPath, node: string): boolean {
  if (node === dp.self) return !dp.health?.problem();
  return dp.members.isReachable(node);
}

/** Counts answers toward a quorum of `need` out of `total` replicas. */
export class Tally {
  ok = 0;
  failed = 0;

  constructor(
    readonly total: number,
    readonly need: number,
  ) {}

  get met(): boolean {
    return this.ok >= this.need;
  }

  /** True once too many replicas failed for the quorum ever to be met. */
  get impossible(): boolean {
    return this.total - this.failed < this.need;
  }
}

/** Refuses a per-request quorum outside 1..n (shared by both coordinators). */
export function checkQuorum(which: 'R' | 'W', value: number | undefined, n: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > n)) {
    throw new QkvError('ERR', `${which} must be an integer between 1 and ${n}`);
  }
}

/** Refuses a per-request home-replica quorum (PW) outside 0..n. */
export function checkHomeQuorum(value: number | undefined, n: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > n)) {
    throw new QkvError('ERR', `PW must be an integer between 0 and ${n}`);
  }
}

/** Reachable replicas, healthiest (lowest phi) first when the view measures phi; the order is otherwise kept. */
export function byPhi(dp: DataPath, nodes: readonly string[]): string[] {
  const phi = dp.members.phi?.bind(dp.members);
  if (!phi) return [...nodes];
  const score = (node: string): number => {
    if (node === dp.self) return 0;
    const v = phi(node);
    // NaN or infinite suspicion sorts last, and never breaks the comparison.
    return Number.isFinite(v) ? v : Number.MAX_VALUE;
  };
  return nodes
    .map((node, i) => ({ node, i, phi: score(node) }))
    .sort((a, b) => a.phi - b.phi || a.i - b.i)
    .map((x) => x.node);
}

/** Why an error ended a quorum operation, for the quorum metrics. */
export function outcomeOf(err: unknown): 'unavailable' | 'timeout' | 'conflict' | 'error' {
  const code = err instanceof QkvError ? err.code : '';
  if (code === 'UNAVAILABLE') return 'unavailable';
  if (code === 'TIMEOUT') return 'timeout';
  if (code === 'CONFLICT') return 'conflict';
  return 'error';
}
