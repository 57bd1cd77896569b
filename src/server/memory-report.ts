import { MEMTABLES, type MemoryPlan } from '../config/memory-budget.js';
import type { MemorySample } from '../metrics/memory-metrics.js';
import type { RocksMemory } from '../storage/rocksdb-engine.js';

/** Where the memory figures come from; read at each INFO and each scrape. */
export interface MemorySources {
  /** The split of the budget now (CONFIG SET maxmemory changes it). */
  plan(): MemoryPlan;
  /** The split RocksDB was opened with: its block cache and memtables keep these sizes until a restart. */
  readonly opened: MemoryPlan;
  recordCache(): { readonly bytes: number; readonly limit: number; readonly entries: number };
  rocks(): RocksMemory;
  /** Bytes all clients hold in requests being read and replies not yet sent. */
  clients(): number;
  process?(): { readonly rss: number; readonly heapUsed: number; readonly external: number };
  /** Full collections the memory governor asked for. */
  forcedCollections(): number;
  /** The Lua state's bytes and the scripts it caches. */
  scripts?(): { readonly luaBytes: number; readonly cachedScripts: number };
}

export interface MemoryReport extends MemorySample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly recordCacheEntries: number;
  readonly forcedCollections: number;
  readonly luaBytes: number;
  readonly cachedScripts: number;
  /** maxmemory changed since start: RocksDB's parts are still sized for `opened`. */
  readonly restartPending: boolean;
}

/** Bytes as Redis's INFO writes them: 1.50M, 2.00G, 512B. */
export function human(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v}B` : `${v.toFixed(2)}${units[i]}`;
}

export function memoryReport(src: MemorySources): MemoryReport {
  const plan = src.plan();
  const opened = src.opened;
  const proc = src.process?.() ?? process.memoryUsage();
  const rocks = src.rocks();
  const cache = src.recordCache();
  // V8's external memory holds the record cache's segments and client buffers; RocksDB's is native.
  const used = proc.heapUsed + proc.external + rocks.memtables + rocks.blockCache + rocks.tableReaders;
  return {
    maxmemory: plan.maxmemory,
    used,
    rss: proc.rss,
    heapUsed: proc.heapUsed,
    external: proc.external,
    recordCacheEntries: cache.entries,
    forcedCollections: src.forcedCollections(),
    luaBytes: src.scripts?.().luaBytes ?? 0,
    cachedScripts: src.scripts?.().cachedScripts ?? 0,
    restartPending: plan.blockCache !== opened.blockCache || plan.writeBuffer !== opened.writeBuffer,
    parts: {
      record_cache: { bytes: cache.bytes, limit: cache.limit },
      rocksdb_block_cache: { bytes: rocks.blockCache, limit: opened.blockCache },
      rocksdb_memtables: { bytes: rocks.memtables, limit: MEMTABLES * opened.writeBuffer },
      // Index and filter blocks of open SST files: not sized from the budget, part of the fixed overhead.
      rocksdb_table_readers: { bytes: rocks.tableReaders, limit: 0 },
      clients: { bytes: src.clients(), limit: plan.clients },
    },
  };
}

/** INFO memory's fields: Redis's names first, then what each part holds and may hold. */
export function memoryInfo(r: MemoryReport): Array<readonly [string, string | number]> {
  const p = r.parts;
  return [
    ['used_memory', r.used],
    ['used_memory_human', human(r.used)],
    ['used_memory_rss', r.rss],
    ['used_memory_rss_human', human(r.rss)],
    ['maxmemory', r.maxmemory],
    ['maxmemory_human', human(r.maxmemory)],
    ['maxmemory_policy', 'noeviction'],
    ['used_memory_lua', r.luaBytes],
    ['used_memory_lua_human', human(r.luaBytes)],
    ['number_of_cached_scripts', r.cachedScripts],
    ['used_memory_vm_heap', r.heapUsed],
    ['used_memory_external', r.external],
    ['record_cache_bytes', p.record_cache.bytes],
    ['record_cache_max_bytes', p.record_cache.limit],
    ['record_cache_entries', r.recordCacheEntries],
    ['rocksdb_block_cache_bytes', p.rocksdb_block_cache.bytes],
    ['rocksdb_block_cache_max_bytes', p.rocksdb_block_cache.limit],
    ['rocksdb_memtables_bytes', p.rocksdb_memtables.bytes],
    ['rocksdb_memtables_max_bytes', p.rocksdb_memtables.limit],
    ['rocksdb_table_readers_bytes', p.rocksdb_table_readers.bytes],
    ['clients_memory_bytes', p.clients.bytes],
    ['maxmemory_clients', p.clients.limit],
    ['rocksdb_resize_needs_restart', r.restartPending ? 1 : 0],
    ['forced_gcs', r.forcedCollections],
  ];
}
