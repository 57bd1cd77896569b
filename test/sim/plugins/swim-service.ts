import { QkvError } from '../../../src/core/errors.js';
import type { MemberView } from '../../../src/coordinator/data-path.js';
import { SwimMembership } from '../../../src/membership/swim-membership.js';
import { MEMBERSHIP_PREFIX, type MemberEvent, type SwimTuning } from '../../../src/membership/swim-options.js';
import type { Message } from '../../../src/transport/types.js';
import type { MembershipService, NodeContext } from '../node-services.js';

/**
 * SWIM timings in simulated time: short enough that a partition or a pause
 * of a few hundred milliseconds gets a node declared dead within a run
 * (suspicion lasts suspicionMult periods at least, up to suspicionMaxMult
 * times that without confirmations), long enough that the 1-8 ms links
 * answer probes in time.
 */
export const SIM_SWIM_TUNING: Partial<SwimTuning> = {
  protocolPeriodMs: 100,
  probeTimeoutMs: 30,
  gossipIntervalMs: 50,
  suspicionMult: 2,
  suspicionMaxMult: 3,
  pushPullIntervalMs: 300,
  leavePeriods: 1,
};

/** How long the repair phase waits for a node's view to show every peer reachable. */
const REPAIR_WAIT_MS = 5_000;

/**
 * The SWIM failure detector as a node's membership: gossip over the
 * endpoint's datagrams, push-pull over its RPC, the member table kept in
 * the record store's metadata (it survives crashes). The coordinator asks
 * it who is reachable (alive or suspect); the ring stays the static one
 * (ring changes are not simulated, and a dead member keeps its place in
 * SWIM's ring too). Membership events are noted in the history.
 */
export class SwimService implements MembershipService {
  readonly name = 'swim';
  readonly requestPrefixes = [MEMBERSHIP_PREFIX];
  readonly view: MemberView;
  private swim: SwimMembership | null = null;
  private readonly listeners: Array<(ev: MemberEvent) => void> = [];

  constructor(
    private readonly ctx: NodeContext,
    private readonly tuning: Partial<SwimTuning> = SIM_SWIM_TUNING,
  ) {
    this.view = {
      ring: () => ctx.ring,
      isReachable: (peer) => peer === ctx.id || (this.swim?.isReachable(peer) ?? false),
    };
  }

  /** Called on every membership event of this incarnation (a member back alive: deliver its hints). */
  onChange(listener: (ev: MemberEvent) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    const { ctx } = this;
    const seeds = [];
    // Addresses are configuration (the ring is static); seeds are every other node already started.
    for (const [id, addr] of ctx.directory) {
      if (id === ctx.id) continue;
      ctx.endpoint.rpc.setPeerAddress(id, addr);
      seeds.push(addr);
    }
    const member = ctx.ring.member(ctx.id);
    let swim: SwimMembership;
    try {
      swim = await SwimMembership.start({
        self: {
          id: ctx.id,
          rack: member?.rack ?? 'r1',
          dc: member?.dc ?? 'dc1',
          vnodes: member?.vnodes ?? 8,
          state: 'normal',
          address: ctx.endpoint.address,
          peer: ctx.endpoint.address,
        },
        seeds,
        datagrams: ctx.endpoint.datagram,
        rpc: ctx.endpoint.rpc,
        store: ctx.store,
        clock: ctx.clock,
        rng: ctx.rng,
        tuning: this.tuning,
      });
    } catch (err) {
      // The process crashed while reading its member table: nothing to start.
      if (!ctx.alive()) return;
      throw err;
    }
    this.swim = swim;
    swim.onChange((ev) => {
      if (ev.kind === 'suspect' || ev.kind === 'dead' || ev.kind === 'alive') ctx.note(`${ctx.id} sees ${ev.id} ${ev.kind}`);
      if (ev.kind === 'dead') ctx.count('members declared dead');
      for (const l of this.listeners) l(ev);
    });
  }

  handleRequest(from: string, msg: unknown): Promise<unknown> {
    if (!this.swim) return Promise.reject(new QkvError('UNAVAILABLE', `${this.ctx.id} has not joined yet`));
    return Promise.resolve(this.swim.handleRequest(from, msg as Message));
  }

  async stop(): Promise<void> {
    await this.swim?.close();
  }

  /** Waits (in simulated time) until this node's view holds every peer reachable, or gives up. */
  ready(): Promise<void> {
    return this.repair();
  }

  /** Waits (in simulated time) until this node's view holds every peer reachable again, or gives up. */
  async repair(): Promise<void> {
    const { ctx } = this;
    const deadline = ctx.clock.now() + REPAIR_WAIT_MS;
    const allUp = (): boolean => [...ctx.directory.keys()].every((id) => this.view.isReachable(id));
    while (!allUp() && ctx.clock.now() < deadline && ctx.alive()) {
      await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, this.tuning.protocolPeriodMs ?? 100));
    }
  }
}
