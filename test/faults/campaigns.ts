import { SeededRng, type Rng } from '../../src/core/rng.js';
import { sleep, type FaultCluster } from '../support/fault-cluster.js';
import { check, converge, finalRead, finalReadOf, type CheckResult, type FinalRead } from './checker.js';
import { startWorkload, type WorkloadHistory, type WorkloadName } from './workloads.js';
import { wipeAndOverwrite } from './wipe-overwrites.js';

/**
 * Named fault schedules and a bounded run of one: the workloads run while the
 * schedule injects faults, then every fault is undone, the workloads run a
 * little longer on the healed cluster, replicas are driven to agree, and the
 * checker compares what clients were told with what the cluster holds.
 */
export interface ScheduleContext {
  readonly cluster: FaultCluster;
  /** Date.now() at which the schedule should stop injecting new faults. */
  readonly until: number;
  readonly rng: Rng;
  readonly log: (msg: string) => void;
  /** Prefix for keys a schedule writes itself. */
  readonly prefix: string;
}

export interface Schedule {
  readonly name: string;
  readonly description: string;
  /** Injects the faults; may return the history of writes it made itself, checked with the workloads'. */
  run(ctx: ScheduleContext): Promise<void | WorkloadHistory>;
}

const remaining = (ctx: ScheduleContext): number => ctx.until - Date.now();
const pickNode = (ctx: ScheduleContext): string => ctx.cluster.ids[ctx.rng.int(ctx.cluster.ids.length)]!;

/** Milliseconds injected each way between datacenters in the DC schedules: a WAN on loopback. */
export const WAN_DELAY_MS = 60;

/**
 * Schedules for a cluster of two or more datacenters (FaultCluster dcs),
 * run with the default level LOCAL_QUORUM so each DC keeps writing alone.
 */
export const DC_SCHEDULES: readonly Schedule[] = [
  {
    name: 'dc-partition',
    description: `${WAN_DELAY_MS} ms each way between the DCs; dc1 is cut off from the rest for up to 30 s while clients write through every node, then healed`,
    async run(ctx) {
      const [first, ...rest] = ctx.cluster.dcs;
      if (!first || rest.length === 0) throw new Error('dc-partition needs a cluster of two or more DCs (--dcs 2)');
      const others = rest.flat();
      const between = async (ms: number): Promise<void> => {
        for (const a of first) for (const b of others) await Promise.all([ctx.cluster.debug(a, 'DELAY', b, String(ms)), ctx.cluster.debug(b, 'DELAY', a, String(ms))]);
      };
      await between(WAN_DELAY_MS);
      await sleep(Math.min(1000, Math.max(0, remaining(ctx))));
      ctx.log(`partition dc1 (${first.join(',')}) | ${others.join(',')}`);
      await ctx.cluster.partition([first, others]);
      await sleep(Math.min(30_000, Math.max(0, remaining(ctx))));
      await ctx.cluster.heal();
      await sleep(Math.max(0, remaining(ctx)));
      await between(0);
    },
  },
];

export const SCHEDULES: readonly Schedule[] = [
  {
    name: 'partition-majority-minority',
    description: 'a random node is cut off from the others (both ways) for 2 s, then healed for 1 s, repeatedly',
    async run(ctx) {
      while (remaining(ctx) > 500) {
        const minority = pickNode(ctx);
        ctx.log(`partition ${minority} | rest`);
        await ctx.cluster.partition([[minority], ctx.cluster.ids.filter((id) => id !== minority)]);
        await sleep(Math.min(2000, remaining(ctx)));
        await ctx.cluster.heal();
        await sleep(Math.min(1000, Math.max(0, remaining(ctx))));
      }
    },
  },
  {
    name: 'partition-oneway',
    description: 'a random node stops hearing from the others (their traffic to it is dropped) for 2 s, repeatedly',
    async run(ctx) {
      while (remaining(ctx) > 500) {
        const deaf = pickNode(ctx);
        ctx.log(`one-way: rest -> ${deaf} dropped`);
        await ctx.cluster.partitionOneWay(ctx.cluster.ids.filter((id) => id !== deaf), [deaf]);
        await sleep(Math.min(2000, remaining(ctx)));
        await ctx.cluster.heal();
        await sleep(Math.min(1000, Math.max(0, remaining(ctx))));
      }
    },
  },
  {
    name: 'kill-restart',
    description: 'a random node is killed with SIGKILL, restarted after 1 s (same data dir and id), repeatedly',
    async run(ctx) {
      while (remaining(ctx) > 500) {
        const victim = pickNode(ctx);
        ctx.log(`kill -9 ${victim}`);
        await ctx.cluster.kill(victim);
        await sleep(1000);
        await ctx.cluster.restart(victim);
        await sleep(Math.min(1000, Math.max(0, remaining(ctx))));
      }
    },
  },
  {
    name: 'pause',
    description: 'a random node is paused with SIGSTOP for 2 s, then continued, repeatedly',
    async run(ctx) {
      while (remaining(ctx) > 500) {
        const victim = pickNode(ctx);
        ctx.log(`SIGSTOP ${victim}`);
        ctx.cluster.pause(victim);
        await sleep(Math.min(2000, remaining(ctx)));
        await ctx.cluster.resume(victim);
        await sleep(Math.min(1000, Math.max(0, remaining(ctx))));
      }
    },
  },
  {
    name: 'clock-skew-60s',
    description: "one node's wall clock runs 60 s behind for the whole run",
    async run(ctx) {
      const victim = pickNode(ctx);
      ctx.log(`clock of ${victim} -60 s`);
      await ctx.cluster.clockOffset(victim, -60_000);
      await sleep(Math.max(0, remaining(ctx)));
    },
  },
  {
    name: 'wipe-rebuild',
    description:
      'a node is killed, its data dir deleted, and restarted empty under the same id (rebuilt by repair); keys written through it before are overwritten through it the moment it answers',
    async run(ctx) {
      await sleep(Math.max(0, remaining(ctx) / 3));
      const victim = pickNode(ctx);
      const history = await wipeAndOverwrite(ctx.cluster, victim, ctx.prefix, ctx.log);
      await sleep(Math.max(0, remaining(ctx)));
      return history;
    },
  },
];

export function scheduleNamed(name: string): Schedule {
  const all = [...SCHEDULES, ...DC_SCHEDULES];
  const s = all.find((x) => x.name === name);
  if (!s) throw new Error(`no schedule ${name}; known: ${all.map((x) => x.name).join(', ')}`);
  return s;
}

/** What a campaign runs unless told otherwise: every workload startWorkload runs. */
export const DEFAULT_WORKLOADS: readonly WorkloadName[] = ['set-add', 'unique', 'register', 'overwrite', 'counter', 'set'];

export interface CampaignOptions {
  readonly faultMs: number;
  /** Workload time on the healed cluster before the final check (default 1000). */
  readonly quietMs?: number;
  readonly workloads?: readonly WorkloadName[];
  readonly clients?: number;
  readonly seed?: number;
  readonly convergeTimeoutMs?: number;
  readonly log?: (msg: string) => void;
}

export interface CampaignRow extends CheckResult {
  readonly schedule: string;
  /** Seconds from the end of the workload until every replica agreed; null if it did not within the timeout. */
  readonly convergeSeconds: number | null;
}

/** Runs the workloads under one schedule on a running cluster; keys are prefixed by the schedule's name and the seed. */
export async function runCampaign(cluster: FaultCluster, schedule: Schedule, opts: CampaignOptions): Promise<CampaignRow[]> {
  const seed = opts.seed ?? 1;
  const log = opts.log ?? (() => undefined);
  const ports = (): number[] => [...cluster.livePorts().values()];
  const names = opts.workloads ?? DEFAULT_WORKLOADS;
  const prefix = `${schedule.name}.${seed}`;
  const running = names.map((name, i) => startWorkload(name, { prefix, ports, clients: opts.clients ?? 3, seed: seed * 10 + i }));
  let own: WorkloadHistory | void;
  try {
    own = await schedule.run({ cluster, until: Date.now() + opts.faultMs, rng: new SeededRng(seed), log, prefix: `${prefix}.schedule` });
  } finally {
    log('recover');
    await cluster.recover();
  }
  await sleep(opts.quietMs ?? 1000);
  const histories = await Promise.all(running.map((w) => w.stop()));
  if (own) histories.push(own);
  const target = { ports: cluster.livePorts(), n: cluster.n };
  const keys = histories.flatMap((h) => h.keys);
  const how = new Map(histories.flatMap((h) => h.keys.map((k) => [k, finalReadOf(h.workload)] as const)));
  const readAs = (key: string): FinalRead => how.get(key) ?? 'siblings';
  const ms = await converge(target, keys, opts.convergeTimeoutMs ?? 30_000, readAs);
  const final = await finalRead(target, keys, undefined, readAs);
  return histories.map((h) => ({ schedule: schedule.name, convergeSeconds: ms === null ? null : ms / 1000, ...check(h, final) }));
}
