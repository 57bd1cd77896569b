import { SeededRng } from '../../src/core/rng.js';
import { Clients, DEFAULT_MIX, describe, type OpMix } from './clients.js';
import { CollectionClients } from './collection-clients.js';
import { CounterClients } from './counter-clients.js';
import { DEFAULT_FAULTS, Nemesis, type FaultOptions } from './nemesis.js';
import type { NodePlugins } from './node-services.js';
import { clusterPlugins } from './plugins/cluster-plugins.js';
import { repairAll } from './repair.js';
import { replayCommand } from './report.js';
import { runUntil } from './scheduler.js';
import { SIM_AE_TIMING } from './plugins/sim-timings.js';
import type { MachineOptions } from './sim-node.js';
import { World } from './world.js';

/**
 * What a node runs besides its disk and coordinator. 'basic': a perfect,
 * instant failure detector and strict quorums, nothing else. 'cluster':
 * the server's own assembly of a node: SWIM membership, hinted handoff with
 * sloppy quorum, anti-entropy with tombstone collection, range streaming;
 * with pauses and long partitions that get nodes declared dead, and
 * joins, leaves and removals that change the ring.
 */
export type Profile = 'basic' | 'cluster';

/** Everything a run depends on besides the seed. */
export interface SimOptions {
  profile: Profile;
  nodes: number;
  n: number;
  r: number;
  w: number;
  /** The coordinators' request timeout. */
  timeoutMs: number;
  vnodes: number;
  keys: number;
  clients: number;
  /** Client operations per run. */
  ops: number;
  thinkMs: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Most ms a storage batch takes to land; a crash loses the batches still on their way. */
  maxWriteDelayMs: number;
  mix: OpMix;
  /** Increments of counter keys (counter-clients.ts), beside the other operations; 0 for none. */
  counterOps: number;
  /** SADD, SREM and HINCRBY of set and hash keys (collection-clients.ts), beside the other operations; 0 for none. */
  collectionOps: number;
  faults: FaultOptions;
  /** Check that reads with R + W > N see every write acknowledged before them (off for sloppy quorums). */
  checkReadQuorum: boolean;
  plugins: NodePlugins;
  tickMs: number;
  /** Keep the history for printing; with verboseNetwork, every message too. */
  keepHistory: boolean;
  verboseNetwork: boolean;
  /** Invariants not to count (to see what a known bug leads to); never in CI. */
  ignoreInvariants: readonly string[];
  /** The named workload (scenarios.ts) these options came from, for the replay command; null: the profile's own. */
  scenario: string | null;
  /** Share of nodes whose stores write with sync false (a power loss drops their unsynced tail). */
  unsyncedShare: number;
  /** Batches younger than this are lost by a power loss of a node with sync false. */
  fsyncHorizonMs: number;
  /** Share of nodes whose wall clock is off, and by at most how many ms either way. */
  clockSkew: { share: number; maxMs: number };
}

export const DEFAULT_OPTIONS: SimOptions = {
  profile: 'basic',
  nodes: 5,
  n: 3,
  r: 2,
  w: 2,
  timeoutMs: 60,
  vnodes: 8,
  keys: 4,
  clients: 4,
  ops: 80,
  thinkMs: 8,
  minDelayMs: 1,
  maxDelayMs: 8,
  maxWriteDelayMs: 4,
  mix: DEFAULT_MIX,
  counterOps: 0,
  collectionOps: 0,
  faults: DEFAULT_FAULTS,
  checkReadQuorum: true,
  plugins: {},
  tickMs: 50,
  keepHistory: false,
  verboseNetwork: false,
  ignoreInvariants: [],
  scenario: null,
  unsyncedShare: 0,
  fsyncHorizonMs: 50,
  clockSkew: { share: 0, maxMs: 0 },
};

/** What a profile changes from DEFAULT_OPTIONS (explicit options still win). */
export function profileOptions(profile: Profile): Partial<SimOptions> {
  if (profile === 'basic') return {};
  return {
    plugins: clusterPlugins(),
    // Writes acknowledged by stand-ins' hints are not on R of the home replicas yet.
    checkReadQuorum: false,
    faults: { ...DEFAULT_FAULTS, pauses: true, longPartitions: true, wipes: true, powerLosses: true, purgeFaults: true, membershipChanges: true },
    // More keys and deletes, so some keys rest deleted past the tombstone grace and get collected mid-run.
    keys: 6,
    mix: { ...DEFAULT_MIX, delete: 16 },
    // Some nodes run with the server's default `--sync false`; some clocks are off by up to 3 tombstone graces.
    unsyncedShare: 0.4,
    clockSkew: { share: 0.4, maxMs: 3 * SIM_AE_TIMING.graceMs },
  };
}

/**
 * Each node's machine, seeded apart from everything else (so a run without
 * skew or unsynced nodes keeps the histories it had): whether it syncs, and
 * its clock's offset: half of the skewed ones within the tombstone grace,
 * half beyond it.
 */
export function machinesFor(seed: number, o: Pick<SimOptions, 'nodes' | 'unsyncedShare' | 'clockSkew'>): MachineOptions[] {
  const rng = new SeededRng(seed * 31 + 0xc10c);
  return Array.from({ length: o.nodes }, () => {
    const sync = !(rng.next() < o.unsyncedShare);
    const skewed = rng.next() < o.clockSkew.share;
    const magnitude = Math.round(rng.next() * o.clockSkew.maxMs);
    const sign = rng.next() < 0.5 ? -1 : 1;
    return { sync, clockOffsetMs: skewed ? sign * magnitude : 0 };
  });
}

export interface SeedFailure {
  /** The step (operation or fault, counted from 1) after which the invariant failed; 'final' for the end-of-run checks. */
  readonly step: number | 'final';
  readonly invariant: string;
  readonly message: string;
  /** Every violation seen at that point. */
  readonly all: ReadonlyArray<{ invariant: string; message: string }>;
}

export interface SeedResult {
  readonly seed: number;
  readonly failure: SeedFailure | null;
  readonly ops: number;
  readonly acked: number;
  readonly failed: number;
  readonly unknown: number;
  readonly faults: number;
  /** Acknowledged writes the final check found lost. */
  readonly lost: number;
  readonly maxSiblings: number;
  readonly steps: number;
  /** Simulated ms the run took. */
  readonly simMs: number;
  /** Hash of the whole history: equal for two runs of one seed. */
  readonly historyHash: string;
  /** The kept history (empty unless keepHistory). */
  readonly history: string;
  /** Events the services counted: hints delivered and dropped, members declared dead, tombstones collected. */
  readonly counters: Readonly<Record<string, number>>;
}

/** One whole run: start the cluster, run clients and faults, heal, repair, check. */
export async function runSeed(seed: number, options: Partial<SimOptions> = {}): Promise<SeedResult> {
  const o: SimOptions = { ...DEFAULT_OPTIONS, ...profileOptions(options.profile ?? DEFAULT_OPTIONS.profile), ...options };
  const world = new World({
    seed,
    nodes: o.nodes,
    settings: { n: o.n, r: o.r, w: o.w, timeoutMs: o.timeoutMs },
    vnodes: o.vnodes,
    minDelayMs: o.minDelayMs,
    maxDelayMs: o.maxDelayMs,
    maxWriteDelayMs: o.maxWriteDelayMs,
    plugins: o.plugins,
    tickMs: o.tickMs,
    keepHistory: o.keepHistory,
    verboseNetwork: o.verboseNetwork,
    machines: machinesFor(seed, o),
    fsyncHorizonMs: o.fsyncHorizonMs,
  });
  world.clock.label = replayCommand(seed, options);
  const oracle = world.oracle;
  const keys = Array.from({ length: o.keys }, (_, i) => `k${i}`);
  let steps = 0;
  let failure: SeedFailure | null = null;
  const counted = (): Array<{ invariant: string; message: string }> => oracle.violations.filter((v) => !o.ignoreInvariants.includes(v.invariant));
  // The run goes on after a violation: every violation of the seed is collected, the first step is reported.
  let firstStep: number | null = null;
  const onStep = (): void => {
    steps++;
    if (firstStep === null && counted().length > 0) firstStep = steps;
  };
  const rng = new SeededRng(seed);
  const clients = new Clients(world, rng, keys, o.ops, o.mix, o.thinkMs, onStep, o.checkReadQuorum);
  // Its own seeded stream, so runs without counters keep their histories.
  const counters = new CounterClients(world, new SeededRng(seed ^ 0xc0417e), ['ctr0', 'ctr1'], o.counterOps, o.thinkMs, onStep);
  const collections = new CollectionClients(world, new SeededRng(seed ^ 0x5e75), o.collectionOps, o.thinkMs, onStep);
  const nemesis = new Nemesis(world, new SeededRng(seed ^ 0x5eed), o.faults, onStep);

  await world.start();
  world.history.note(`start: ${o.nodes} nodes, N=${o.n} R=${o.r} W=${o.w}, seed ${seed}`);
  for (const n of world.nodes) {
    const m = n.machine;
    if (!m.sync || m.clockOffsetMs !== 0) world.history.note(`${n.id}: sync ${m.sync}, clock ${m.clockOffsetMs >= 0 ? '+' : ''}${m.clockOffsetMs} ms`);
  }
  clients.start(o.clients);
  if (o.counterOps > 0) counters.start(2);
  if (o.collectionOps > 0) collections.start(3);
  nemesis.start();
  const deadline = world.clock.now() + 600_000;
  const finished = await runUntil(world.clock, () => clients.done && counters.done && collections.done, deadline);
  nemesis.stop();
  if (!finished) failure = { step: steps, invariant: 'progress', message: 'clients did not finish within 600 s of simulated time', all: [] };

  let lost = 0;
  if (!failure) {
    const counterKeys = o.counterOps > 0 ? counters.keys : [];
    const collectionKeys = o.collectionOps > 0 ? collections.keys : [];
    const { finals, diverged } = await repairAll(world, [...keys, ...counterKeys, ...collectionKeys]);
    for (const [key, copies] of diverged) oracle.fail('replicas-converge', `${key}: replicas still differ after repair: ${copies}`);
    for (const [key, obj] of finals) {
      if (counterKeys.includes(key)) {
        counters.checkFinal(key, obj);
        continue;
      }
      if (collectionKeys.includes(key)) {
        collections.checkFinal(key, obj);
        continue;
      }
      world.history.note(`final ${key}: ${describe(obj)}`);
      oracle.checkFinal(key, obj);
    }
    lost = oracle.violations.filter((v) => v.invariant === 'no-lost-write').length;
    for (const w of oracle.lostWithDisks) world.history.note(`lost with every disk that held it: ${w}`);
    world.count('acked writes lost with their disks', oracle.lostWithDisks.length);
    if (counted().length > 0) failure = failureAt(firstStep ?? 'final', counted());
  }
  world.history.close();
  await world.stop();
  return {
    seed,
    failure,
    ...clients.counts,
    faults: nemesis.faults,
    lost,
    maxSiblings: oracle.maxSiblings,
    steps,
    simMs: world.elapsed(),
    historyHash: world.history.digest(),
    history: world.history.text(),
    counters: Object.fromEntries(world.counters),
  };
}

function failureAt(step: number | 'final', all: ReadonlyArray<{ invariant: string; message: string }>): SeedFailure {
  return { step, invariant: all[0]!.invariant, message: all[0]!.message, all: [...all] };
}
