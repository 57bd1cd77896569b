import type { TimerHandle } from '../core/clock.js';
import { NO_LOG, type StreamLog } from './ring-control.js';
import { gainedRanges, planKey, subtract, type Interval } from './range-plan.js';
import { RangePuller, type PullRange } from './range-puller.js';
import type { StreamNodeDeps } from './stream-deps.js';
import { StreamStopped } from './stream-throttle.js';

export interface JoinManagerOptions extends StreamNodeDeps {
  /** How long the view must stay unchanged before the ranges to pull are computed (default 3000 ms). */
  readonly settleMs?: number;
}

/** The saved cursors of the join stream live under this id. */
export const JOIN_STREAM_ID = 'join';

/**
 * Brings a joining node into the ring: once the view has settled, it pulls
 * every range the node gains (the pending ring against the current one)
 * from the range's current replicas, and only when all are pulled and
 * verified announces itself 'normal'. If the view changes meanwhile, the
 * plan is recomputed and the ranges already done are not pulled again.
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
    this.unsubscribe = this.opts.control.onChange(() => this.changed());
    this.changed();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.timer?.cancel();
    this.puller?.stop();
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
    this.running = this.join().finally(() => {
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
      const plan = this.plan();
      if (plan.length === 0) return this.becomeNormal();
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

  private becomeNormal(): void {
    this.opts.control.setSelfState('normal');
    this.log('info', 'joined: this node now owns its ranges', { node: this.opts.control.selfId });
    this.resolveJoined();
  }
}
