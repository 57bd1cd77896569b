import { QkvError } from '../core/errors.js';
import type { Ring } from '../ring/ring.js';
import type { RingControl } from './ring-control.js';
import { NO_LOG, type StreamLog } from './ring-control.js';
import { rebuiltRanges } from './range-plan.js';
import { RangePuller } from './range-puller.js';
import type { StreamNodeDeps } from './stream-deps.js';
import { StreamStopped } from './stream-throttle.js';

/**
 * Rebuilds the copies a removed node held. When an operator removes a dead
 * member (QKV.REMOVE), every node compares the ring before and after; the
 * ranges it now replicates because of the removal are pulled from the
 * surviving previous replicas. Members that left gracefully (they were
 * 'leaving') pushed their ranges themselves and are not rebuilt.
 */
export class RemoveManager {
  private readonly log: StreamLog;
  private last: Ring | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly pullers = new Set<RangePuller>();
  /** Every rebuild started, for tests and the caller to await. */
  readonly rebuilds: Array<Promise<void>> = [];

  constructor(private readonly opts: StreamNodeDeps) {
    this.log = opts.log ?? NO_LOG;
  }

  start(): void {
    if (this.unsubscribe) return;
    this.last = this.opts.control.ring();
    this.unsubscribe = this.opts.control.onChange(() => this.changed());
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const p of this.pullers) p.stop();
  }

  private changed(): void {
    const { control, n } = this.opts;
    const before = this.last!;
    const after = control.ring();
    this.last = after;
    if (before === after) return;
    const removed = new Set(before.members.filter((m) => m.state === 'normal' && !after.member(m.id)).map((m) => m.id));
    if (removed.size === 0) return;
    const me = after.member(control.selfId);
    if (!me || me.state === 'joining') return; // A joining node pulls its whole share anyway.
    const ranges = rebuiltRanges(before, after, control.selfId, removed, n);
    const orphaned = ranges.filter((r) => r.sources.length === 0);
    if (orphaned.length > 0) {
      this.log('error', 'removed members held the only copies of some ranges; they cannot be rebuilt', { removed: [...removed], ranges: orphaned.length });
    }
    const plan = ranges.filter((r) => r.sources.length > 0);
    if (plan.length === 0) return;
    const id = `remove-${[...removed].sort().join('+')}`;
    this.log('info', 'rebuilding the ranges of removed members', { removed: [...removed], ranges: plan.length });
    const puller = new RangePuller({ ...this.opts, id, kind: 'remove', ranges: plan, isReachable: (peer) => control.isReachable(peer) });
    this.pullers.add(puller);
    const done = puller
      .run()
      .catch((e: unknown) => {
        if (!(e instanceof StreamStopped)) this.log('error', 'rebuild failed', { stream: id, error: String(e) });
      })
      .finally(() => this.pullers.delete(puller));
    this.rebuilds.push(done);
  }
}

/**
 * Throws QkvError ERR unless `id` may be removed: a member, not this node,
 * and not reachable (a live node should leave instead, handing its ranges over).
 */
export function checkRemovable(control: RingControl, id: string): void {
  if (id === control.selfId) throw new QkvError('ERR', 'cannot remove this node itself; use QKV.LEAVE');
  if (!control.ring().member(id)) throw new QkvError('ERR', `no member '${id}' in the ring`);
  if (control.isReachable(id)) throw new QkvError('ERR', `member '${id}' is reachable; a live node should leave with QKV.LEAVE`);
}
