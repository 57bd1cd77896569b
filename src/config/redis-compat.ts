import type { NodeConfig } from './node-config.js';

/**
 * Redis parameters that clients and tools read with CONFIG GET and that have
 * one fixed (or derived) answer here. They are read-only: CONFIG SET to the
 * value they already have is accepted as a no-op (scripts that run
 * `CONFIG SET save ""` keep working), any other value is refused.
 */
export interface CompatParam {
  readonly name: string;
  value(config: NodeConfig): string;
  /** Why it has this value, for the docs. */
  readonly doc: string;
}

export const REDIS_COMPAT_PARAMS: readonly CompatParam[] = [
  { name: 'save', value: () => '', doc: 'No RDB snapshots: every write is already durable in RocksDB (redis-benchmark reads it).' },
  { name: 'appendonly', value: () => 'yes', doc: 'Every write goes to the RocksDB write-ahead log first (redis-benchmark reads it).' },
  { name: 'appendfsync', value: (c) => (c.sync ? 'always' : 'no'), doc: "Follows --sync: 'always' fsyncs before acknowledging, 'no' leaves flushing to the OS." },
  { name: 'databases', value: () => '1', doc: 'One keyspace: SELECT 0 only.' },
  { name: 'dir', value: (c) => c.dataDir, doc: 'The data directory (--data-dir).' },
  { name: 'maxmemory-policy', value: () => 'noeviction', doc: 'Keys are never evicted to make room: they live on disk, and only caches shrink to fit maxmemory.' },
  { name: 'cluster-enabled', value: () => 'no', doc: 'Not Redis Cluster: every node serves every key, so clients connect in standalone mode.' },
  { name: 'daemonize', value: () => 'no', doc: 'The server runs in the foreground.' },
];
