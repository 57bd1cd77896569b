import type { Clock } from '../core/clock.js';
import type { Ring } from '../ring/ring.js';
import type { PurgeableStore } from '../storage/forwarding-store.js';
import type { RpcTransport } from '../transport/types.js';
import type { MergeLocal } from './exchange.js';
import type { PurgeRefusal } from './purge-verdict.js';
import type { RebuildProgress } from './rebuild.js';

/*
 * What a node's anti-entropy is built with (options, defaults, callbacks)
 * and what it reports (status); the scheduler itself is in anti-entropy.ts.
 */

/** Optional callbacks for metrics; every one may be left out. */
export interface AntiEntropyObserver {
  exchange?(peer: string, outcome: 'in-sync' | 'repaired' | 'failed' | 'not-ready', ms: number): void;
  /** Keys merged here from a peer (pulled) or sent to a peer (pushed), with their bytes. */
  repaired?(direction: 'pulled' | 'pushed', keys: number, bytes: number): void;
  purged?(kind: 'tombstone' | 'expired', n: number): void;
  /** Purges a peer asked of this node and it refused, by reason (purge-verdict.ts). */
  purgeRefused?(reason: PurgeRefusal, n: number): void;
  rebuild?(p: RebuildProgress): void;
  fullPass?(seconds: number): void;
}

export interface AntiEntropyOptions {
  readonly nodeId: string;
  /** Replicas per key. */
  readonly n: number;
  readonly clock: Clock;
  readonly transport: Pick<RpcTransport, 'request'>;
  /** The current ring (read each round: ranges move when members change). */
  readonly ring: () => Ring;
  /** Whether a peer is worth asking now (default: always). */
  readonly isReachable?: (peer: string) => boolean;
  /** The node's store, unwrapped: the trees follow it through `store` (the wrapper to hand to the coordinator). */
  readonly inner: PurgeableStore;
  /** Merges a version into this node's copy under the key lock; refuses a version from before a FLUSHALL. */
  readonly mergeLocal: MergeLocal;
  /** This node's flush epoch. */
  readonly epoch: () => number | Promise<number>;
  /** How often the scheduler runs, in ms (default: ANTI_ENTROPY_DEFAULTS, as every tunable below). */
  readonly intervalMs?: number;
  /** Every range is compared with every replica about this often, in ms. */
  readonly fullPassMs?: number;
  /** Repair budget in keys a second, both directions together. */
  readonly maxKeysPerSec?: number;
  /** Repair budget in bytes a second. */
  readonly maxBytesPerSec?: number;
  /** Dead records wait at least this long before collection, in ms. */
  readonly graceMs?: number;
  /** Leaves per range tree, a power of two (default 64). */
  readonly leaves?: number;
  /** Keys per fetch or push message (default 128). */
  readonly batchKeys?: number;
  /** Tree levels per descent round trip (default 3: 8 children). */
  readonly descendStep?: number;
  /** Exchanges run at once while catching up or working through prioritized pairs (default 4). */
  readonly parallel?: number;
  /** Per-request timeout (default 10 s). */
  readonly requestTimeoutMs?: number;
  readonly observer?: AntiEntropyObserver;
  readonly log?: (level: 'debug' | 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
}

export interface AntiEntropyStatus {
  rebuild: { done: number; total: number; rate: number; etaSeconds: number; rangesLeft: number; running: boolean };
  ranges: number;
  trackedKeys: number;
  treeBytes: number;
  exchanges: number;
  exchangesInSync: number;
  exchangesFailed: number;
  keysRepaired: number;
  bytesRepaired: number;
  /** Keys repaired a second over the last exchange that repaired any. */
  repairRate: number;
  /** Seconds the last complete pass over every range took (null before the first). */
  lastFullPassSeconds: number | null;
  tombstonesPurged: number;
  expiredPurged: number;
  /** Purges peers asked of this node that it refused (the record is kept). */
  purgesRefused: number;
  prioritized: number;
}

const DAY = 86_400_000;

/**
 * What anti-entropy runs with when not told: the same values as the node's
 * --ae-* and --tombstone-grace-seconds defaults in src/config (which this
 * module may not import); test/config/component-defaults.test.ts keeps them equal.
 */
export const ANTI_ENTROPY_DEFAULTS = {
  intervalMs: 1000,
  fullPassMs: 600_000,
  maxKeysPerSec: 2000,
  maxBytesPerSec: 8 * 1024 * 1024,
  graceMs: 10 * DAY,
} as const;
