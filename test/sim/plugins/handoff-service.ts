import { HINT_DEFAULTS } from '../../../src/config/cluster-options.js';
import { QkvError } from '../../../src/core/errors.js';
import type { HintSink, MemberView } from '../../../src/coordinator/data-path.js';
import { HintDelivery } from '../../../src/handoff/hint-delivery.js';
import { HintStore } from '../../../src/handoff/hint-store.js';
import type { NodeContext, NodeService } from '../node-services.js';

/** Hint delivery timings in simulated time. */
export interface HandoffTiming {
  /** How often targets with hints are polled. */
  readonly tickMs: number;
  /** First retry after a failed drain, doubled up to maxBackoffMs. */
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Hints older than this are dropped (the tombstone grace period). */
  readonly maxAgeMs: number;
}

export const SIM_HANDOFF_TIMING: HandoffTiming = { tickMs: 100, minBackoffMs: 100, maxBackoffMs: 800, maxAgeMs: 1_000 };

/**
 * Hinted handoff in one incarnation: the durable hint store over the
 * node's disk (under the 'h' prefix, so pending hints survive a crash as
 * data does) and its delivery loop on the incarnation's clock. The
 * coordinator gets `sink` at construction, before the store is open (a
 * hint offered before then is refused as a write to a node still starting).
 */
export class HandoffService implements NodeService {
  readonly name = 'hints';
  private store: HintStore | null = null;
  private delivery: HintDelivery | null = null;

  readonly sink: HintSink = {
    add: (owner, key, obj, epoch) =>
      this.store ? this.store.add(owner, key, obj, epoch) : Promise.reject(new QkvError('UNAVAILABLE', `${this.ctx.id} is starting: its hint store is not open`)),
  };

  constructor(
    private readonly ctx: NodeContext,
    private readonly members: MemberView,
    private readonly timing: HandoffTiming = SIM_HANDOFF_TIMING,
  ) {}

  async start(): Promise<void> {
    const { ctx, timing } = this;
    let store: HintStore;
    try {
      store = await HintStore.open({
        engine: ctx.engine,
        sync: ctx.sync,
        maxHintsPerTarget: HINT_DEFAULTS.maxPerTarget,
        maxBytesPerTarget: HINT_DEFAULTS.maxBytesPerTarget,
        schedule: (run) => queueMicrotask(run),
      });
    } catch (err) {
      if (!ctx.alive()) return;
      throw err;
    }
    this.store = store;
    const pending = store.stats();
    const count = Object.values(pending).reduce((s, p) => s + p.pending, 0);
    if (count > 0) ctx.note(`${ctx.id} holds ${count} hint(s) from before its restart`);
    this.delivery = new HintDelivery({
      store,
      transport: ctx.endpoint.rpc,
      isReachable: (peer) => this.members.isReachable(peer),
      clock: ctx.clock,
      maxKeysPerSec: HINT_DEFAULTS.rateKeys,
      tickMs: timing.tickMs,
      minBackoffMs: timing.minBackoffMs,
      maxBackoffMs: timing.maxBackoffMs,
      requestTimeoutMs: () => ctx.settings.timeoutMs,
      maxAgeMs: () => timing.maxAgeMs,
      observer: {
        delivered: (target, hints) => {
          ctx.note(`${ctx.id} delivered ${hints} hint(s) to ${target}`);
          ctx.count('hints delivered', hints);
        },
        refused: (target, hints) => {
          ctx.note(`${ctx.id} dropped ${hints} hint(s) for ${target}`);
          ctx.count('hints dropped', hints);
        },
      },
    });
    this.delivery.start();
  }

  /** A member is back: try its hints now. */
  nudge(peer: string): void {
    this.delivery?.nudge(peer);
  }

  /** Hints waiting, per target. */
  pending(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [target, s] of Object.entries(this.store?.stats() ?? {})) out[target] = s.pending;
    return out;
  }

  /** Delivers every pending hint whose target is reachable, now (backoffs forgotten). */
  async repair(): Promise<void> {
    const { store, delivery } = this;
    if (!store || !delivery) return;
    for (const target of store.targets()) delivery.nudge(target);
    await delivery.idle();
  }

  async stop(): Promise<void> {
    await this.delivery?.close();
    await this.store?.close();
  }
}
