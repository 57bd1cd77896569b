import { QkvError } from '../core/errors.js';
import type { Ring } from '../ring/ring.js';
import { NO_LOG, type StreamLog } from './ring-control.js';
import { lostRangesByGainer } from './range-plan.js';
import { RangePusher } from './range-pusher.js';
import type { StreamNodeDeps } from './stream-deps.js';

export interface LeaveManagerOptions extends StreamNodeDeps {
  /** The share of the ring this node holds a replica of, for the push estimate. */
  readonly ownedFraction?: () => number;
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
  }

  private async run(): Promise<void> {
    const { control, n } = this.opts;
    try {
      control.setSelfState('leaving');
      const ring = await this.leavingRing();
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
