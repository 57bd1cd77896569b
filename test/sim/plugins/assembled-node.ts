import { HINT_DEFAULTS } from '../../../src/config/cluster-options.js';
import { AntiEntropyWiring } from '../../../src/server/antientropy-wiring.js';
import { assembleNode, type AssembledNode, type NodeAssemblyOptions } from '../../../src/server/node-assembly.js';
import { Readiness } from '../../../src/server/readiness.js';
import type { SwimTuning } from '../../../src/membership/swim-options.js';
import type { PeerAddress } from '../../../src/transport/types.js';
import type { AssembledParts, NodeContext, NodeService } from '../node-services.js';
import { SIM_AE_TIMING, SIM_HANDOFF_TIMING, SIM_STREAM_TIMING, SIM_SWIM_TUNING, type AntiEntropyTiming, type HandoffTiming, type StreamTiming } from './sim-timings.js';

export interface ClusterPluginOptions {
  readonly swim: Partial<SwimTuning>;
  readonly handoff: HandoffTiming;
  readonly antiEntropy: AntiEntropyTiming;
  readonly streaming: StreamTiming;
}

export const CLUSTER_PLUGIN_OPTIONS: ClusterPluginOptions = {
  swim: SIM_SWIM_TUNING,
  handoff: SIM_HANDOFF_TIMING,
  antiEntropy: SIM_AE_TIMING,
  streaming: SIM_STREAM_TIMING,
};

/** How long the repair phase waits for a node's view to show every peer reachable. */
const REPAIR_WAIT_MS = 5_000;

/**
 * One incarnation of a node as the server builds it (src/server/node-assembly.ts):
 * SWIM membership, a coordinator writing through anti-entropy's tracked store
 * with a hint store and sloppy quorum, hint delivery, anti-entropy with
 * tombstone collection, range streaming (joins, leaves, removals, cleanup),
 * and the request router, over the in-memory network's endpoint, the
 * incarnation's engine and clock. The parts a run steps from outside
 * (waiting for views to converge, repair rounds) are services.
 */
export async function assembledSimNode(ctx: NodeContext, opts: ClusterPluginOptions): Promise<AssembledParts> {
  const { settings } = ctx;
  const aeTiming = opts.antiEntropy;
  const antiEntropy = new AntiEntropyWiring(ctx.clock, ctx.id, settings.n, {
    intervalMs: aeTiming.intervalMs,
    fullPassMs: aeTiming.fullPassMs,
    graceMs: aeTiming.graceMs,
    requestTimeoutMs: aeTiming.requestTimeoutMs,
  });
  ctx.purge.canPurge = antiEntropy.canPurge;
  const store = antiEntropy.wrap(ctx.store);
  // Every member of the first ring is a seed; a node added later is configured with them.
  const seeds = (): PeerAddress[] => [...ctx.directory].filter(([id]) => id !== ctx.id && ctx.seedIds.includes(id)).map(([, a]) => a);
  const options: NodeAssemblyOptions = {
    n: settings.n,
    rack: 'r1',
    dc: 'dc1',
    vnodes: ctx.vnodes,
    seeds: seeds(),
    sync: ctx.sync,
    hints: { maxPerTarget: HINT_DEFAULTS.maxPerTarget, maxBytesPerTarget: HINT_DEFAULTS.maxBytesPerTarget, rateKeys: HINT_DEFAULTS.rateKeys, ...opts.handoff },
    tombstoneGraceMs: aeTiming.graceMs,
    gossip: opts.swim,
    streaming: { limits: () => opts.streaming.settings, ...opts.streaming },
  };
  const node = await assembleNode({
    nodeId: ctx.id,
    actor: ctx.actor,
    store,
    engine: ctx.engine,
    transport: ctx.endpoint.rpc,
    datagrams: ctx.endpoint.datagram,
    clock: ctx.clock,
    rng: ctx.rng,
    options,
    r: () => settings.r,
    w: () => settings.w,
    requestTimeoutMs: () => settings.timeoutMs,
    sloppyQuorum: () => true,
    antiEntropy,
    readiness: new Readiness({ seeds: options.seeds, n: settings.n }, ctx.seedIds.includes(ctx.id)),
    schedule: (run) => queueMicrotask(run),
    onLeft: () => ctx.left(),
    onMemberEvent: (ev) => {
      if (ev.kind === 'suspect' || ev.kind === 'dead' || ev.kind === 'alive' || ev.kind === 'left') ctx.note(`${ctx.id} sees ${ev.id} ${ev.kind}`);
      if (ev.kind === 'dead') ctx.count('members declared dead');
    },
    hintObserver: {
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
  const pending = Object.values(node.handoff?.store.stats() ?? {}).reduce((s, p) => s + p.pending, 0);
  if (pending > 0) ctx.note(`${ctx.id} holds ${pending} hint(s) from before its restart`);
  return {
    node,
    coord: node.coordinator,
    members: node.members,
    services: [membershipService(ctx, node, opts.swim), hintsService(node), antiEntropyService(ctx, node, aeTiming)],
  };
}

/** Membership: joins at start (the node's record carries its endpoint's address); an orderly stop closes the whole node. */
function membershipService(ctx: NodeContext, node: AssembledNode, tuning: Partial<SwimTuning>): NodeService {
  // Waits (in simulated time) until this node's view holds every member of the ring reachable, or gives up.
  const converge = async (): Promise<void> => {
    const deadline = ctx.clock.now() + REPAIR_WAIT_MS;
    const allUp = (): boolean => ctx.expectedMembers().every((id) => node.members.isReachable(id));
    while (!allUp() && ctx.clock.now() < deadline && ctx.alive()) {
      await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, tuning.protocolPeriodMs ?? 100));
    }
  };
  return {
    name: 'swim',
    async start() {
      // Addresses are configuration: every node of the directory is known by id.
      for (const [id, addr] of ctx.directory) if (id !== ctx.id) ctx.endpoint.rpc.setPeerAddress(id, addr);
      try {
        await node.join({ address: ctx.endpoint.address, peer: ctx.endpoint.address }, ctx.freshState);
      } catch (err) {
        // The process crashed while reading its member table: nothing to start.
        if (!ctx.alive()) return;
        throw err;
      }
    },
    stop: () => node.close(),
    ready: converge,
    repair: converge,
  };
}

/** Hinted handoff: a repair round delivers every pending hint whose target is reachable, now. */
function hintsService(node: AssembledNode): NodeService {
  return {
    name: 'hints',
    start() {},
    stop() {},
    async repair() {
      const h = node.handoff;
      if (!h) return;
      for (const target of h.store.targets()) h.delivery.nudge(target);
      await h.delivery.idle();
    },
  };
}

/**
 * Anti-entropy: a repair round is about one full pass: enough scheduler
 * rounds to compare every range with every reachable replica (and collect),
 * and two more, since rounds for prioritized peers come first.
 */
function antiEntropyService(ctx: NodeContext, node: AssembledNode, timing: AntiEntropyTiming): NodeService {
  return {
    name: 'anti-entropy',
    start() {},
    stop() {},
    async repair() {
      const ae = node.antiEntropy;
      if (!ae) return;
      const ranges = node.members.ring().rangesOf(ctx.id, ctx.settings.n).length;
      const perRound = Math.max(1, Math.ceil((ranges * timing.intervalMs) / timing.fullPassMs));
      const rounds = Math.ceil(ranges / perRound) + 2;
      for (let i = 0; i < rounds && ctx.alive(); i++) await ae.runRound();
    },
  };
}
