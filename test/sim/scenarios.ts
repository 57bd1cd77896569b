import { DEFAULT_FAULTS, type FaultOptions } from './nemesis.js';
import { SIM_AE_TIMING } from './plugins/sim-timings.js';
import type { SimOptions } from './simulate.js';

/**
 * Workloads that each stress one way a node can lose what it knew about
 * the dots it issued, on top of the cluster profile's partitions, pauses,
 * crashes, loss and disk faults (and nothing else destructive). Regression
 * tests and targeted sweeps run them; the cluster profile runs them all at
 * once.
 */
const CLUSTER_FAULTS: FaultOptions = { ...DEFAULT_FAULTS, pauses: true, longPartitions: true };
const NO_SKEW = { share: 0, maxMs: 0 };

export const SCENARIOS = {
  /** Disks wiped under the same node id, overwrites through the wiped node at once. */
  wipe: { scenario: 'wipe', profile: 'cluster', faults: { ...CLUSTER_FAULTS, wipes: true }, unsyncedShare: 0, clockSkew: NO_SKEW },
  /** Every node writes with sync false; power losses drop the unsynced tail. */
  walTail: { scenario: 'walTail', profile: 'cluster', faults: { ...CLUSTER_FAULTS, powerLosses: true }, unsyncedShare: 1, clockSkew: NO_SKEW },
  /** Purges fail on single replicas while tombstones are collected. */
  failedPurge: { scenario: 'failedPurge', profile: 'cluster', faults: { ...CLUSTER_FAULTS, purgeFaults: true }, unsyncedShare: 0, clockSkew: NO_SKEW },
  /** Every clock off by up to three tombstone graces. */
  skew: { scenario: 'skew', profile: 'cluster', faults: CLUSTER_FAULTS, unsyncedShare: 0, clockSkew: { share: 1, maxMs: 3 * SIM_AE_TIMING.graceMs } },
  /** The cluster profile's faults with a counter workload: no acknowledged increment may be lost. */
  counters: { scenario: 'counters', profile: 'cluster', counterOps: 60 },
  /** The cluster profile's faults with a set and hash workload: no acknowledged SADD or HINCRBY may be lost. */
  sets: { scenario: 'sets', profile: 'cluster', collectionOps: 80 },
} satisfies Record<string, Partial<SimOptions>>;

export type ScenarioName = keyof typeof SCENARIOS;
