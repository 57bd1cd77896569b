import type { Clock } from '../core/clock.js';
import type { ClusterMetrics } from '../metrics/cluster-metrics.js';
import { JoinManager } from '../handoff/join-manager.js';
import { RangeCleanup } from '../handoff/range-cleanup.js';
import { LeaveManager } from '../handoff/leave-manager.js';
import { RemoveManager, checkRemovable } from '../handoff/remove-manager.js';
import { ringSummary } from '../handoff/range-summary.js';
import type { RingControl } from '../handoff/ring-control.js';
import { isStreamMessage } from '../handoff/stream-messages.js';
import { StreamRegistry, type StreamStatus } from '../handoff/stream-progress.js';
import { DEFAULT_STREAM_SETTINGS, type StreamSettings } from '../handoff/stream-settings.js';
import { StreamSource } from '../handoff/stream-source.js';
import { StreamThrottle } from '../handoff/stream-throttle.js';
import type { SwimMembership } from '../membership/swim-membership.js';
import type { MemberState } from '../ring/types.js';
import type { LocalStore } from '../storage/local-store.js';
import type { RpcTransport } from '../transport/types.js';
import type { VersionedObject } from '../versioning/types.js';
import type { ClusterRingView, ClusterStreamView } from '../commands/types.js';

/** Default of how long a joining node's view must stay unchanged before it plans what to pull. */
const JOIN_SETTLE_MS = 3_000;
/** Default of how long a leaving node waits, once its view shows it leaving, for gossip to tell the others before it pushes. */
const LEAVE_SETTLE_MS = 3_000;

export interface StreamingDeps {
  readonly transport: RpcTransport;
  readonly store: LocalStore;
  /** The coordinator's replica merge (key lock, flush epoch, durable when it resolves). */
  readonly mergeLocal: (key: Buffer, obj: VersionedObject, epoch: number) => Promise<void>;
  /** The coordinator's durable read (ReplicaService.get): what range streaming serves. */
  readonly readDurable: (keys: readonly Buffer[]) => Promise<{ objs: Array<VersionedObject | undefined>; epoch: number }>;
  readonly epoch: () => number;
  /** Raises the flush epoch to a newer one, clearing the store (ReplicaService.flush). */
  readonly adoptEpoch: (epoch: number) => Promise<unknown>;
  /** Grace and recheck period of the cleanup of ranges this node no longer replicates. */
  readonly cleanupGraceMs: number;
  readonly cleanupIntervalMs: number;
  /** Defaults: JOIN_SETTLE_MS and LEAVE_SETTLE_MS (a simulation's gossip converges faster). */
  readonly joinSettleMs?: number;
  readonly leaveSettleMs?: number;
  readonly clock: Clock;
  readonly n: number;
  /** Read at every page: the rate limits (CONFIG SET may change them), and any other setting that differs from the defaults. */
  readonly limits: () => Partial<StreamSettings>;
  readonly metrics: ClusterMetrics | null;
  readonly log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Range streaming in a node: the source side (answers other nodes' s.*
 * requests) exists from the start; the join, leave, removal and cleanup managers
 * start once gossip runs, since they act on the ring it maintains.
 */
export class Streaming {
  private readonly settings: () => StreamSettings;
  private readonly throttle: StreamThrottle;
  readonly registry = new StreamRegistry();
  private readonly source: StreamSource;
  private control: RingControl | null = null;
  private membership: SwimMembership | null = null;
  private joinManager: JoinManager | null = null;
  private removeManager: RemoveManager | null = null;
  private leaveManager: LeaveManager | null = null;
  private cleanup: RangeCleanup | null = null;
  /** Stops the node once it has left the cluster. */
  private onLeft: () => void = () => undefined;
  private leaving = false;

  constructor(private readonly deps: StreamingDeps) {
    this.settings = () => ({ ...DEFAULT_STREAM_SETTINGS, ...deps.limits() });
    this.throttle = new StreamThrottle(deps.clock, this.settings);
    this.source = new StreamSource({
      store: deps.store,
      mergeLocal: deps.mergeLocal,
      readDurable: deps.readDurable,
      epoch: deps.epoch,
      pulling: () => this.registry.pullsInFlight(),
      ownedFraction: () => this.ownedFraction(),
    });
    deps.metrics?.setStreamSource(() => {
      let remaining = 0;
      let eta = 0;
      for (const s of this.registry.list()) {
        if (s.state === 'done') continue;
        remaining += Math.max(0, (s.keysTotal ?? s.keys) - s.keys);
        eta = Math.max(eta, s.etaSeconds ?? 0);
      }
      return { remainingKeys: remaining, etaSeconds: eta };
    });
  }

  handles(msg: unknown): boolean {
    return isStreamMessage(msg);
  }

  handleRequest(from: string, msg: unknown): Promise<unknown> {
    return Promise.resolve(this.source.handleRequest(from, msg as never));
  }

  /** Starts the managers over the running membership; a joining node begins pulling its ranges. */
  start(membership: SwimMembership, onLeft: () => void): void {
    this.membership = membership;
    const control: RingControl = {
      selfId: membership.self.id,
      ring: () => membership.ring(),
      isReachable: (id) => id === membership.self.id || membership.isReachable(id),
      setSelfState: (state: MemberState) => membership.setSelfState(state),
      onChange: (listener) => membership.onChange(() => listener()),
    };
    this.control = control;
    const d = this.deps;
    const common = {
      control,
      transport: d.transport,
      store: d.store,
      mergeLocal: d.mergeLocal,
      epoch: d.epoch,
      adoptEpoch: d.adoptEpoch,
      clock: d.clock,
      n: d.n,
      settings: this.settings,
      throttle: this.throttle,
      registry: this.registry,
      observer: {
        page: (_kind: string, direction: 'pull' | 'push' | 'delete', keys: number, bytes: number) => {
          if (direction === 'delete') d.metrics?.rangeCleaned(keys);
          else d.metrics?.streamed(direction === 'pull' ? 'in' : 'out', keys, bytes);
        },
        sourceFailed: (kind: string, peer: string, why: string) => d.log('warn', 'stream source failed', { kind, peer, why }),
        finished: (s: StreamStatus) => d.log('info', 'stream finished', { id: s.id, kind: s.kind, keys: s.keys, bytes: s.bytes, state: s.state }),
      },
      log: d.log,
    };
    this.joinManager = new JoinManager({ ...common, settleMs: d.joinSettleMs ?? JOIN_SETTLE_MS });
    this.removeManager = new RemoveManager(common);
    this.leaveManager = new LeaveManager({ ...common, settleMs: d.leaveSettleMs ?? LEAVE_SETTLE_MS, ownedFraction: () => this.ownedFraction() });
    this.cleanup = new RangeCleanup({ ...common, graceMs: d.cleanupGraceMs, intervalMs: d.cleanupIntervalMs });
    this.joinManager.start();
    this.removeManager.start();
    this.cleanup.start();
    this.onLeft = onLeft;
  }

  /** Resolves once this node is normal (at once for a node that never joined). */
  joined(): Promise<void> {
    return this.joinManager?.joined ?? Promise.resolve();
  }

  ring(): ClusterRingView | undefined {
    return this.membership ? ringSummary(this.membership.ring(), this.deps.n) : undefined;
  }

  streams(): ClusterStreamView[] {
    return this.registry.list();
  }

  /** QKV.REMOVE: refuses a reachable member or this node; the removal managers then rebuild its ranges. */
  remove(id: string): void {
    if (!this.control || !this.membership) throw new Error('membership has not started');
    checkRemovable(this.control, id);
    this.membership.remove(id);
    this.deps.log('info', 'member removed by an operator', { member: id });
  }

  /** Whether a QKV.LEAVE is under way (false again once one failed: it may be issued again). */
  get leaveUnderWay(): boolean {
    return this.leaving;
  }

  /**
   * QKV.LEAVE: refuses at once when it cannot leave; streams in the
   * background, then announces 'left' and stops the node. Issued again
   * while under way, it is the same leave.
   */
  leave(): void {
    const lm = this.leaveManager;
    const membership = this.membership;
    if (!lm || !membership) throw new Error('membership has not started');
    lm.check();
    if (this.leaving) return;
    this.leaving = true;
    this.deps.log('info', 'leaving the cluster: streaming this node\'s ranges to their new owners');
    void lm
      .leave()
      .then(() => membership.leave())
      // Every range was handed over and acknowledged durable by its new owners: this node's copies are left-overs.
      .then(() => this.clearAfterLeave())
      .then(
        () => {
          this.deps.log('info', 'left the cluster; stopping');
          this.onLeft();
        },
        (err: unknown) => {
          this.leaving = false;
          this.deps.log('error', 'leave did not complete; QKV.LEAVE may be issued again', { error: String(err) });
        },
      );
  }

  close(): void {
    this.joinManager?.stop();
    this.removeManager?.stop();
    this.leaveManager?.stop();
    this.cleanup?.stop();
  }

  /**
   * Deletes the data of a node that has left: it is about to stop and serves
   * no one, so the store is cleared at once rather than paced. Should it be
   * added back with this disk, it joins empty anyway (see JoinManager).
   */
  private async clearAfterLeave(): Promise<void> {
    this.cleanup?.stop();
    try {
      await this.deps.store.clear();
      this.deps.log('info', 'deleted this node\'s copies of the ranges it handed over');
    } catch (e) {
      this.deps.log('warn', 'could not delete the handed-over ranges; a later join starts them empty anyway', { error: String(e) });
    }
  }

  private ownedFraction(): number {
    const m = this.membership;
    return m ? m.ring().ownership(m.self.id, this.deps.n).replica : 1;
  }
}
