import { AntiEntropy } from '../../../src/antientropy/index.js';
import type { LocalStore } from '../../../src/storage/local-store.js';
import { QkvError } from '../../../src/core/errors.js';
import type { MemberView } from '../../../src/coordinator/data-path.js';
import { FLUSH_EPOCH_META } from '../../../src/coordinator/replica-service.js';
import { encodeObject } from '../../../src/versioning/codec.js';
import type { NodeContext, NodeService, SimCoordinator } from '../node-services.js';

/** Anti-entropy timings in simulated time. */
export interface AntiEntropyTiming {
  /** How often the scheduler runs a round. */
  readonly intervalMs: number;
  /** Every range is compared with every replica about this often. */
  readonly fullPassMs: number;
  /** Dead records wait this long before collection (hints older than it are dropped). */
  readonly graceMs: number;
  readonly requestTimeoutMs: number;
}

export const SIM_AE_TIMING: AntiEntropyTiming = { intervalMs: 100, fullPassMs: 400, graceMs: 250, requestTimeoutMs: 200 };

/**
 * Merkle-tree anti-entropy in one incarnation, wired as the server wires it
 * (src/server/antientropy-wiring.ts): the trees follow the record store
 * through `store` (what the coordinator writes through), merges go through
 * the coordinator's replica merge under its key lock, the record store asks
 * `canPurge` before purging, and exchanges run on the incarnation's clock.
 * The trees and agreements are in memory: a restart rebuilds them.
 */
export class AntiEntropyService implements NodeService {
  readonly name = 'anti-entropy';
  readonly requestPrefixes = ['a.'];
  private readonly ae: AntiEntropy;
  private coord: SimCoordinator | null = null;
  private members: MemberView | null = null;

  constructor(
    private readonly ctx: NodeContext,
    private readonly timing: AntiEntropyTiming = SIM_AE_TIMING,
  ) {
    const attached = (): { coord: SimCoordinator; members: MemberView } => {
      if (!this.coord || !this.members) throw new QkvError('UNAVAILABLE', 'anti-entropy is not attached yet');
      return { coord: this.coord, members: this.members };
    };
    this.ae = new AntiEntropy({
      nodeId: ctx.id,
      n: ctx.settings.n,
      clock: ctx.clock,
      transport: ctx.endpoint.rpc,
      ring: () => ctx.ring,
      isReachable: (peer) => attached().members.isReachable(peer),
      inner: ctx.store,
      mergeLocal: async (key, obj, epoch) => {
        await attached().coord.handleRequest(ctx.id, { type: 'r.merge', key, obj: encodeObject(obj), epoch });
      },
      epoch: async () => {
        const b = await ctx.store.getMeta(FLUSH_EPOCH_META);
        return b && b.length === 8 ? Number(b.readBigUInt64BE(0)) : 0;
      },
      intervalMs: timing.intervalMs,
      fullPassMs: timing.fullPassMs,
      graceMs: timing.graceMs,
      requestTimeoutMs: timing.requestTimeoutMs,
    });
    ctx.purge.canPurge = this.ae.canPurge;
  }

  /** The store the coordinator writes through (keeps the trees current). */
  get store(): LocalStore {
    return this.ae.store;
  }

  /** Gives it the coordinator (for merges) and the member view (who is worth asking). */
  attach(coord: SimCoordinator, members: MemberView): void {
    this.coord = coord;
    this.members = members;
  }

  handleRequest(from: string, msg: unknown): Promise<unknown> {
    return this.ae.handleRequest(from, msg);
  }

  start(): void {
    this.ae.start();
  }

  /** A member is back: compare its ranges first. */
  prioritize(peer: string): void {
    this.ae.prioritize(peer);
  }

  stop(): Promise<void> {
    return this.ae.close();
  }

  /**
   * About one full pass: enough scheduler rounds to compare every range
   * with every reachable replica (and collect), and two more, since rounds
   * for prioritized peers come first. The repair phase runs it each round.
   */
  async repair(): Promise<void> {
    const { intervalMs, fullPassMs } = this.timing;
    const ranges = this.ctx.ring.rangesOf(this.ctx.id, this.ctx.settings.n).length;
    const perRound = Math.max(1, Math.ceil((ranges * intervalMs) / fullPassMs));
    const rounds = Math.ceil(ranges / perRound) + 2;
    for (let i = 0; i < rounds && this.ctx.alive(); i++) await this.ae.runRound();
  }
}
