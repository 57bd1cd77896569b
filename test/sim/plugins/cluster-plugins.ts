import { ClusterCoordinator } from '../../../src/coordinator/cluster-coordinator.js';
import type { SwimTuning } from '../../../src/membership/swim-options.js';
import type { NodeContext, NodePlugins } from '../node-services.js';
import { AntiEntropyService, SIM_AE_TIMING, type AntiEntropyTiming } from './antientropy-service.js';
import { HandoffService, SIM_HANDOFF_TIMING, type HandoffTiming } from './handoff-service.js';
import { SIM_SWIM_TUNING, SwimService } from './swim-service.js';

export interface ClusterPluginOptions {
  readonly swim: Partial<SwimTuning>;
  readonly handoff: HandoffTiming;
  readonly antiEntropy: AntiEntropyTiming;
}

export const CLUSTER_PLUGIN_OPTIONS: ClusterPluginOptions = {
  swim: SIM_SWIM_TUNING,
  // Hints older than the tombstone grace are dropped (anti-entropy repairs their targets instead).
  handoff: { ...SIM_HANDOFF_TIMING, maxAgeMs: SIM_AE_TIMING.graceMs },
  antiEntropy: SIM_AE_TIMING,
};

/** What one incarnation's services share. */
interface Parts {
  readonly swim: SwimService;
  readonly ae: AntiEntropyService;
  hints?: HandoffService;
}

/**
 * A node as the server builds it (src/server/cluster-node.ts): SWIM
 * membership, a coordinator writing through anti-entropy's tracked store
 * with a hint store and sloppy quorum (stand-ins' hints count toward W),
 * hint delivery, and anti-entropy with tombstone collection. A member seen
 * alive again gets its hints at once and its ranges compared first.
 */
export function clusterPlugins(opts: ClusterPluginOptions = CLUSTER_PLUGIN_OPTIONS): NodePlugins {
  const byIncarnation = new WeakMap<NodeContext, Parts>();
  const partsOf = (ctx: NodeContext): Parts => {
    let parts = byIncarnation.get(ctx);
    if (!parts) {
      parts = { swim: new SwimService(ctx, opts.swim), ae: new AntiEntropyService(ctx, opts.antiEntropy) };
      const p = parts;
      p.swim.onChange((ev) => {
        if (ev.kind !== 'alive') return;
        p.hints?.nudge(ev.id);
        p.ae.prioritize(ev.id);
      });
      byIncarnation.set(ctx, parts);
    }
    return parts;
  };
  return {
    membership: (ctx) => partsOf(ctx).swim,
    coordinator: (ctx, members) => {
      const parts = partsOf(ctx);
      const hints = new HandoffService(ctx, members, opts.handoff);
      parts.hints = hints;
      const { settings } = ctx;
      const coord = new ClusterCoordinator({
        nodeId: ctx.id,
        actor: ctx.actor,
        store: parts.ae.store,
        transport: ctx.endpoint.rpc,
        members,
        clock: ctx.clock,
        rng: ctx.rng,
        n: settings.n,
        r: () => settings.r,
        w: () => settings.w,
        requestTimeoutMs: () => settings.timeoutMs,
        hints: hints.sink,
        sloppyQuorum: () => true,
      });
      parts.ae.attach(coord, members);
      return coord;
    },
    services: [(ctx) => partsOf(ctx).hints!, (ctx) => partsOf(ctx).ae],
  };
}
