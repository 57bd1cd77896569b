import type { TimerHandle } from '../core/clock.js';
import { QkvError } from '../core/errors.js';
import type { Ring } from '../ring/ring.js';
import { NO_LOG, type StreamLog } from './ring-control.js';
import { lostRangesByGainer } from './range-plan.js';
import { RangePusher } from './range-pusher.js';
import { StreamStopped } from './stream-throttle.js';
import type { StreamNodeDeps } from './stream-deps.js';

export interface LeaveManagerOptions extends StreamNodeDeps {
  /** The share of the ring this node holds a replica of, for the push estimate. */
  readonly ownedFraction?: () => number;
  /**
   * How long the view must stay unchanged, once it shows this node leaving,
   * before the push starts (default 0). Until the other members have heard
   * of the leave they write only to the current replicas, not to the gainers;
   * a write that reached this node after the push passed its position would
   * never reach its new owner. Waiting lets gossip spread the change first.
   */
  readonly settleMs?: number;
}

/**
 * A graceful leave: the node announces 'leaving' (it keeps serving and
 * owning its ranges meanwhile), pushes every range it loses to the nodes
 * that gain it, and resolves once every target acknowledged every page. The
 * caller then announces 'left' and stops the node.
 *
 * Refused when fewer than N other members would remain to hold the data, or
 * while the node is still joining.
 */
export class LeaveManager {
  private readonly log: StreamLog;
  private leaving: Promise<void> | null = null;
  private pushers: RangePusher[] = [];
  /** Ends a settle wait in progress (the node is stopping). */
  private cancelSettle: (() => void) | null = null;

  constructor(private readonly opts: LeaveManagerOptions) {
    this.log = opts.log ?? NO_LOG;
  }

  /** Throws QkvError ERR when this node cannot start leaving now (nothing in progress and a refusal applies). */
  check(): void {
    if (this.leaving) return;
    const { control, n } = this.opts;
    const ring = control.ring();
    const me = ring.member(control.selfId);
    if (!me) throw new QkvError('ERR', 'this node is not a member of the ring');
    if (me.state === 'joining') throw new QkvError('ERR', 'this node is still joining; it can leave once it is normal');
    const remaining = ring.members.filter((m) => m.id !== me.id && m.state !== 'leaving').length;
    if (me.state === 'normal' && remaining < n) {
      throw new QkvError('ERR', `cannot leave: ${remaining} other member(s) would remain and the replication factor is ${n}; add a node first`);
    }
  }

  /**
   * Starts the leave (or returns the one in progress); resolves once every
   * range was handed over, rejects with QkvError ERR when it cannot leave.
   */
  leave(): Promise<void> {
    if (this.leaving) return this.leaving;
    try {
      this.check();
    } catch (e) {
      return Promise.reject(e);
    }
    this.leaving = this.run();
    return this.leaving;
  }

  /** Stops pushing (the node is shutting down); a later leave() resumes from the saved cursors. */
  stop(): void {
    for (const p of this.pushers) p.stop();
    this.cancelSettle?.();
  }

  private async run(): Promise<void> {
    const { control, n } = this.opts;
    try {
      control.setSelfState('leaving');
      await this.leavingRing();
      const ring = await this.settledRing();
      const plan = lostRangesByGainer(ring, control.selfId, n);
      this.log('info', 'leaving: pushing the ranges this node loses', { targets: [...plan.keys()], ranges: [...plan.values()].reduce((k, l) => k + l.length, 0) });
      this.pushers = [...plan].map(
        ([target, ranges]) => new RangePusher({ ...this.opts, id: `leave-${target}`, kind: 'leave', target, ranges }),
      );
      await Promise.all(this.pushers.map((p) => p.run()));
      this.log('info', 'left: every range was handed over', { node: control.selfId });
    } catch (e) {
      this.leaving = null;
      throw e;
    }
  }

  /** The view once it has not changed for settleMs (at once without a settle time). */
  private settledRing(): Promise<Ring> {
    const { control, clock } = this.opts;
    const settleMs = this.opts.settleMs ?? 0;
    if (settleMs <= 0) return Promise.resolve(control.ring());
    this.log('info', 'leaving: waiting for the other members to see the change before pushing', { settleMs });
    return new Promise<Ring>((resolve, reject) => {
      let timer: TimerHandle | null = null;
      const end = (): void => {
        timer?.cancel();
        off();
        this.cancelSettle = null;
      };
      const arm = (): void => {
        timer?.cancel();
        timer = clock.setTimeout(() => {
          end();
          resolve(control.ring());
        }, settleMs);
      };
      const off = control.onChange(arm);
      this.cancelSettle = () => {
        end();
        reject(new StreamStopped());
      };
      arm();
    });
  }

  /** The view once it shows this node leaving (gossip may take a moment to reflect the node's own change). */
  private leavingRing(): Promise<Ring> {
    const { control } = this.opts;
    const isLeaving = (): boolean => control.ring().member(control.selfId)?.state === 'leaving';
    if (isLeaving()) return Promise.resolve(control.ring());
    return new Promise<Ring>((resolve) => {
      const off = control.onChange(() => {
        if (!isLeaving()) return;
        off();
        resolve(control.ring());
      });
    });
  }
}
