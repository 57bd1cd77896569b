/**
 * How --maxmemory is split between the parts of a node that hold memory in
 * proportion to load. What is left once those are paid for (V8 and its
 * code, RocksDB's table readers and threads, write batches in flight) is
 * the fixed overhead docs/architecture.md states; it does not grow with the
 * data set.
 */
const MiB = 1024 * 1024;

/**
 * The default budget: with it one node holding 1,000,000 keys of 100 bytes
 * stays within 2x redis-server's RSS for the same keys (bench/memory.ts).
 */
export const DEFAULT_MAXMEMORY = 256 * MiB;
/**
 * What a node holds beyond its budget whatever the data: V8 and the code,
 * shared libraries, RocksDB's threads and table readers, the live heap of
 * everything not sized from the budget. The memory governor collects
 * garbage once RSS passes maxmemory plus half of this. Measured RSS beyond
 * maxmemory is larger under heavy writes (docs/architecture.md, "One memory
 * budget"), mostly V8's slack over its live heap.
 */
export const FIXED_OVERHEAD = 128 * MiB;
/** Below this the parts get too small to be useful (a 1 MB value must still fit the client share). */
export const MIN_MAXMEMORY = 32 * MiB;
/** RocksDB keeps this many memtables before it stalls writes (its default, which the binding does not change). */
export const MEMTABLES = 2;
/** The largest memtable worth having: bigger ones only make flushes longer. */
const MAX_WRITE_BUFFER = 64 * MiB;
const MIN_WRITE_BUFFER = 1 * MiB;

export interface MemoryPlan {
  readonly maxmemory: number;
  /** Encoded records cached in front of RocksDB; 0 turns the cache off. */
  readonly recordCache: number;
  readonly blockCache: number;
  /** One memtable; RocksDB holds up to MEMTABLES of them. */
  readonly writeBuffer: number;
  /** Requests being read and replies not yet sent, all clients together. */
  readonly clients: number;
}

/** What the split reads from the node's settings. */
export interface BudgetSettings {
  readonly maxmemory: number;
  readonly cacheMb: number | null;
  readonly rocksdbCacheMb: number | null;
  readonly maxmemoryClients: number;
}

/**
 * Clients, block cache and memtables get an eighth of the budget each and
 * the record cache the rest: it holds the hot records decoded-ready, so it
 * is worth more per byte than RocksDB's compressed blocks. Explicit
 * --cache-mb, --rocksdb-cache-mb and --maxmemory-clients take their part
 * out of the budget, and the record cache shrinks to match.
 */
export function memoryPlan(s: BudgetSettings): MemoryPlan {
  const budget = s.maxmemory;
  const share = Math.floor(budget / 8);
  const clients = s.maxmemoryClients > 0 ? s.maxmemoryClients : share;
  const blockCache = s.rocksdbCacheMb !== null ? s.rocksdbCacheMb * MiB : share;
  const writeBuffer = Math.min(MAX_WRITE_BUFFER, Math.max(MIN_WRITE_BUFFER, Math.floor(share / MEMTABLES)));
  const rest = Math.max(0, budget - clients - blockCache - MEMTABLES * writeBuffer);
  const recordCache = s.cacheMb !== null ? s.cacheMb * MiB : rest;
  return { maxmemory: budget, recordCache, blockCache, writeBuffer, clients };
}
