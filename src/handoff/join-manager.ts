import type { TimerHandle } from '../core/clock.js';
import { NO_LOG, type StreamLog } from './ring-control.js';
import { gainedRanges, planKey, subtract, type Interval } from './range-plan.js';
import { RangeEraser, heldRanges } from './range-eraser.js';
import { RangePuller, type PullRange } from './range-puller.js';
import { StreamCursors, rangeKey } from './stream-cursors.js';
import type { StreamNodeDeps } from './stream-deps.js';
import { parseStateReply } from './stream-messages.js';
import { reason } from './stream-settings.js';
import { StreamStopped } from './stream-throttle.js';

export interface JoinManagerOptions extends StreamNodeDeps {
  /** How long the view must stay unchanged before the ranges to pull are computed (default 3000 ms). */
  readonly settleMs?: number;
}

/** The saved cursors of the join stream live under this id. */
export const JOIN_STREAM_ID = 'join';
/** The stream that empties the gained ranges before they are pulled. */
export const JOIN_RESET_STREAM_ID = 'join-reset';
/** Metadata set while a join that began on an empty store is under way (one byte 1; empty once normal). */
export const JOIN_FRESH_META = 'join-fresh';

/**
 * Brings a joining node into the ring: once the view has settled, it pulls
 * every range the node gains (the pending ring against the current one)
 * from the range's current replicas, and only when all are pulled and
 * verified announces itself 'normal'. If the view changes meanwhile, the
 * plan is recomputed and the ranges already done are not pulled again.
 *
 * A joining node owns nothing yet, so whatever its store holds of the
 * ranges it gains is left over from an earlier life (a node removed and
 * added back with its disk): before pulling, it adopts the newest flush
 * epoch of the members (a FLUSHALL it missed clears its store) and empties
 * each gained range, so it starts the range empty and never merges stale
 * copies back. Ranges a crashed join had already pulled (their saved
 * cursors) keep what was pulled.
 *
 * Bootstrap: when no member is normal yet (a brand-new cluster whose nodes
 * all start as joining), there is nothing to pull from and nothing to lose,
 * so the node turns normal at once.
 */
export class JoinManager {
  private readonly settleMs: number;
  private readonly log: StreamLog;
  private unsubscribe: (() => void) | null = null;
  private timer: TimerHandle | null = null;
  private puller: RangePuller | null = null;
  /** The plan of the puller in flight, to tell whether a new view changes it. */
  private pullerPlan: PullRange[] = [];
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly completed: Interval[] = [];
  /** Gained ranges already emptied by this manager. */
  private readonly reset: Interval[] = [];
  private epochChecked = false;
  private eraser: RangeEraser | null = null;
  /** The write of the fresh-join mark, when this join began on an empty store. */
  private freshMark: Promise<void> | null = null;
  private resolveJoined!: () => void;
  /** Resolves once this manager turned the node normal. */
  readonly joined: Promise<void>;

  constructor(private readonly opts: JoinManagerOptions) {
    this.settleMs = opts.settleMs ?? 3_000;
    this.log = opts.log ?? NO_LOG;
    this.joined = new Promise<void>((resolve) => (this.resolveJoined = resolve));
  }

  /** Starts watching the ring; does nothing unless (and until) this node is joining. */
  start(): void {
    if (this.unsubscribe || this.stopped) return;
    // Checked before gossip can bring a pending owner's write: an empty store holds nothing left over to reset.
    if (this.selfState() === 'joining' && this.opts.store.stats().keys === 0) {
      this.freshMark = this.opts.store.putMeta(JOIN_FRESH_META, Buffer.from([1]));
    }
    this.unsubscribe = this.opts.control.onChange(() => this.changed());
    this.changed();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.timer?.cancel();
    this.puller?.stop();
    this.eraser?.stop();
  }

  private selfState(): string | undefined {
    const { control } = this.opts;
    return control.ring().member(control.selfId)?.state;
  }

  private changed(): void {
    if (this.stopped || this.selfState() !== 'joining') return;
    this.timer?.cancel();
    this.timer = this.opts.clock.setTimeout(() => this.settled(), this.settleMs);
  }

  private settled(): void {
    this.timer = null;
    if (this.running) {
      // A pull is in flight: replan once it ends or, if the plan changed, stop it now (its finished ranges count).
      this.again = true;
      if (this.puller && planKey(this.plan()) !== planKey(this.pullerPlan)) this.puller.stop();
      return;
    }
    this.running = this.join()
      .catch((e: unknown) => {
        // A failed step (a disk error) must not stop the process, nor the join: it tries again after a pause.
        this.log('warn', 'joining failed; trying again', { error: reason(e) });
        if (this.stopped) return;
        this.timer?.cancel();
        this.timer = this.opts.clock.setTimeout(() => this.settled(), this.opts.settings().retryMs);
      })
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.settled();
        }
      });
  }

  /** What is left to pull in the current view. */
  private plan(): PullRange[] {
    const { control, n } = this.opts;
    return subtract(gainedRanges(control.ring(), control.selfId, n), this.completed);
  }

  private async join(): Promise<void> {
    const { control } = this.opts;
    for (;;) {
      if (this.stopped || this.selfState() !== 'joining') return;
      this.again = false;
      const ring = control.ring();
      if (ring.owners.length === 0) {
        this.log('info', 'no member owns ranges yet: this node starts the ring', { node: control.selfId });
        return this.becomeNormal();
      }
      if (!this.epochChecked) this.epochChecked = await this.adoptNewestEpoch();
      if (!this.epochChecked) {
        // No member answered: whether this node missed a FLUSHALL is unknown, and a normal node at an old epoch would be refused by every replica.
        this.log('warn', 'joining: no member told its flush epoch; trying again', { retryMs: this.opts.settings().retryMs });
        await new Promise<void>((resolve) => this.opts.clock.setTimeout(resolve, this.opts.settings().retryMs));
        continue;
      }
      const plan = this.plan();
      if (plan.length === 0) return this.becomeNormal();
      try {
        await this.emptyGained(plan);
      } catch (e) {
        if (e instanceof StreamStopped) return;
        throw e;
      }
      if (this.stopped || this.selfState() !== 'joining') return;
      if (planKey(this.plan()) !== planKey(plan)) continue;
      this.pullerPlan = plan;
      this.log('info', 'joining: pulling the ranges this node gains', { ranges: plan.length });
      const puller = new RangePuller({ ...this.opts, id: JOIN_STREAM_ID, kind: 'join', ranges: plan, isReachable: (id) => control.isReachable(id) });
      this.puller = puller;
      try {
        await puller.run();
      } catch (e) {
        if (!(e instanceof StreamStopped)) throw e;
      } finally {
        this.completed.push(...puller.doneRanges());
        this.puller = null;
      }
    }
  }

  /**
   * Asks the other members for their flush epoch; a newer one than this
   * node's is adopted (clearing its store). False when no member answered.
   */
  private async adoptNewestEpoch(): Promise<boolean> {
    const { control, transport, adoptEpoch } = this.opts;
    if (!adoptEpoch) return true;
    const timeoutMs = this.opts.settings().requestTimeoutMs;
    const peers = control
      .ring()
      .members.filter((m) => m.id !== control.selfId && control.isReachable(m.id))
      .map((m) => m.id);
    const epochs = await Promise.all(
      peers.map((id) =>
        transport.request(id, { type: 's.state' }, { timeoutMs }).then(
          (reply) => parseStateReply(reply).epoch,
          // A member from before s.state existed answers, but cannot tell: its epoch counts as unknown (0).
          (e: unknown) => (e instanceof Error && /bad stream request/.test(e.message) ? 0 : null),
        ),
      ),
    );
    const answered = epochs.filter((e): e is number => e !== null);
    if (answered.length === 0) return false;
    const newest = Math.max(...answered);
    if (newest <= this.opts.epoch()) return true;
    this.log('warn', 'this node missed a FLUSHALL while out of the ring: adopting the newest flush epoch and clearing its store', {
      epoch: this.opts.epoch(),
      newest,
    });
    await adoptEpoch(newest);
    // Whatever an earlier join had pulled went with the flush.
    await new StreamCursors(this.opts.store, JOIN_STREAM_ID).clear();
    return true;
  }

  /** Deletes what this node holds of the gained ranges not yet emptied, past what an interrupted join already pulled. */
  private async emptyGained(plan: readonly PullRange[]): Promise<void> {
    // A join that began on an empty store (across restarts, by its mark) has only writes sent to it as a
    // pending owner in its gained ranges: acknowledged writes, possibly their last copy, not left-overs.
    if (await this.startedFresh()) {
      this.reset.push(...plan.map(({ start, end }) => ({ start, end })));
      return;
    }
    const saved = await new StreamCursors(this.opts.store, JOIN_STREAM_ID).load();
    const wanted: Interval[] = [];
    for (const r of subtract(plan, this.reset)) {
      const cursor = saved.get(rangeKey(r.start, r.end));
      if (cursor === 'done') continue;
      const from = typeof cursor === 'bigint' && cursor > r.start ? cursor : r.start;
      if (from < r.end) wanted.push({ start: from, end: r.end });
    }
    const todo = await heldRanges(this.opts.store, wanted);
    if (todo.length > 0) {
      const eraser = new RangeEraser({ ...this.opts, id: JOIN_RESET_STREAM_ID, ranges: todo });
      this.eraser = eraser;
      try {
        await eraser.run();
      } finally {
        this.eraser = null;
      }
    }
    this.reset.push(...plan.map(({ start, end }) => ({ start, end })));
  }

  /** Whether this join began on an empty store (false when the mark cannot be read: the reset runs). */
  private async startedFresh(): Promise<boolean> {
    try {
      await this.freshMark;
      const mark = await this.opts.store.getMeta(JOIN_FRESH_META);
      return mark !== undefined && mark.length === 1 && mark[0] === 1;
    } catch {
      return false;
    }
  }

  private becomeNormal(): void {
    // A later join (removed, then added back with this disk) starts from what the store holds then.
    void this.opts.store.putMeta(JOIN_FRESH_META, Buffer.alloc(0)).catch(() => undefined);
    this.opts.control.setSelfState('normal');
    this.log('info', 'joined: this node now owns its ranges', { node: this.opts.control.selfId });
    this.resolveJoined();
  }
}
