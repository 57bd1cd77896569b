import type { StreamSettings } from '../../../src/handoff/stream-settings.js';
import type { SwimTuning } from '../../../src/membership/swim-options.js';

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

/** Hint delivery timings in simulated time. */
export interface HandoffTiming {
  /** How often targets with hints are polled. */
  readonly tickMs: number;
  /** First retry after a failed drain, doubled up to maxBackoffMs. */
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
}

export const SIM_HANDOFF_TIMING: HandoffTiming = { tickMs: 100, minBackoffMs: 100, maxBackoffMs: 800 };

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

/** Range streaming timings in simulated time (gossip here converges in a few hundred ms, not seconds). */
export interface StreamTiming {
  /** How long a joining node's view must stay unchanged before it plans its pulls. */
  readonly joinSettleMs: number;
  /** How long a leaving node waits for gossip to spread its 'leaving' before it pushes. */
  readonly leaveSettleMs: number;
  /** Grace and recheck period of the cleanup of ranges a node no longer replicates. */
  readonly cleanupGraceMs: number;
  readonly cleanupIntervalMs: number;
  /** Page requests time out and retry on the scale of the simulated links (a lost message is not a lost TCP connection). */
  readonly settings: Partial<StreamSettings>;
}

export const SIM_STREAM_TIMING: StreamTiming = {
  joinSettleMs: 300,
  leaveSettleMs: 300,
  cleanupGraceMs: 1_000,
  cleanupIntervalMs: 200,
  settings: { maxKeysPerSec: 10_000, maxBytesPerSec: 64 << 20, requestTimeoutMs: 200, retryMs: 100 },
};
