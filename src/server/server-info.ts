import { arch, hostname, platform, release } from 'node:os';
import type { LocalStoreStats } from '../storage/local-store.js';
import { QUORUMKV_VERSION, REDIS_COMPAT_VERSION } from './version.js';
import { human } from './memory-report.js';

/** Counters the node keeps for INFO stats. */
export class ServerCounters {
  connectionsReceived = 0;
  commandsProcessed = 0;
  rejectedConnections = 0;
  /** Clients closed because all clients together held more than maxmemory-clients. */
  evictedClients = 0;
  bytesRead = 0;
  bytesWritten = 0;
  protocolErrors = 0;
  errorReplies = 0;
  /** Keys a reading command looked up and found, or did not (Redis's keyspace_hits and keyspace_misses). */
  keyspaceHits = 0;
  keyspaceMisses = 0;
  /** Error replies sent, by their code (the first word: ERR, WRONGTYPE, ...), for INFO errorstats. */
  readonly errorCodes = new Map<string, number>();

  /** Counts one error reply sent to a client; past ERROR_CODES_KEPT distinct codes, new ones are not tracked (as in Redis). */
  countError(text: string): void {
    const space = text.indexOf(' ');
    const code = space < 0 ? text : text.slice(0, space);
    const n = this.errorCodes.get(code);
    if (n !== undefined) this.errorCodes.set(code, n + 1);
    else if (this.errorCodes.size < ERROR_CODES_KEPT) this.errorCodes.set(code, 1);
  }

  /** CONFIG RESETSTAT, as Redis resets its stats and errorstats sections. */
  reset(): void {
    this.connectionsReceived = this.commandsProcessed = this.rejectedConnections = this.evictedClients = 0;
    this.bytesRead = this.bytesWritten = this.protocolErrors = this.errorReplies = 0;
    this.keyspaceHits = this.keyspaceMisses = 0;
    this.errorCodes.clear();
  }
}

/** Redis's bound on the error codes errorstats tracks (ERROR_STATS_NUMBER), so clients cannot grow it without end. */
export const ERROR_CODES_KEPT = 128;

/** INFO errorstats: errorstat_<CODE>:count=<n>, sorted by code as Redis's radix tree keeps them. */
function errorStats(counters: ServerCounters): Array<readonly [string, string]> {
  return [...counters.errorCodes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([code, n]) => [`errorstat_${code}`, `count=${n}`] as const);
}

export interface InfoSources {
  nodeId: string;
  tcpPort: number;
  peerPort: number;
  configFile: string | null;
  startedAt: number;
  now(): number;
  connectedClients(): number;
  maxClients(): number;
  counters: ServerCounters;
  store(): LocalStoreStats;
  replication(): { n: number; r: number; w: number; members: number };
  /** One line per member for the quorumkv section (member0:id=...,status=...). */
  memberLines?(): ReadonlyArray<readonly [string, string]>;
  sync(): boolean;
  /** INFO commandstats lines (cmdstat_<name>), when the node counts them. */
  commandStats?(): ReadonlyArray<readonly [string, string]>;
  /** INFO memory's fields (memory-report.ts); without it, the process's own figures only. */
  memory?(): ReadonlyArray<readonly [string, string | number]>;
  /** Commands per second of late (ops-rate.ts). */
  opsPerSec?(): number;
  /** Channels and patterns subscribed to on this node (INFO stats pubsub_channels / pubsub_patterns). */
  pubsub?(): { channels: number; patterns: number; shardChannels: number };
}

type Section = readonly [string, ReadonlyArray<readonly [string, string | number]>];

/**
 * INFO's sections with the fields Redis tools read (ioredis's ready check
 * reads `loading`, redis-cli and exporters read the rest), plus a quorumkv
 * section with the cluster's own figures.
 */
export function infoSections(src: InfoSources): Section[] {
  const uptime = Math.max(0, Math.floor((src.now() - src.startedAt) / 1000));
  const pubsub = src.pubsub?.() ?? { channels: 0, patterns: 0, shardChannels: 0 };
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  const store = src.store();
  const repl = src.replication();
  const keyspace: Array<readonly [string, string]> = store.liveKeys > 0 ? [['db0', `keys=${store.liveKeys},expires=${store.expiringKeys},avg_ttl=0`]] : [];
  return [
    [
      'server',
      [
        ['redis_version', REDIS_COMPAT_VERSION],
        ['quorumkv_version', QUORUMKV_VERSION],
        ['redis_mode', 'standalone'],
        ['os', `${platform()} ${release()} ${arch()}`],
        ['arch_bits', 64],
        ['process_id', process.pid],
        ['run_id', src.nodeId],
        ['node_id', src.nodeId],
        ['hostname', hostname()],
        ['tcp_port', src.tcpPort],
        ['peer_port', src.peerPort],
        ['server_time_usec', src.now() * 1000],
        ['uptime_in_seconds', uptime],
        ['uptime_in_days', Math.floor(uptime / 86400)],
        ['executable', process.argv[1] ?? ''],
        ['config_file', src.configFile ?? ''],
      ],
    ],
    [
      'clients',
      [
        ['connected_clients', src.connectedClients()],
        ['maxclients', src.maxClients()],
        ['blocked_clients', 0],
        ['tracking_clients', 0],
      ],
    ],
    [
      'memory',
      src.memory?.() ?? [
        ['used_memory', mem.heapUsed + mem.external],
        ['used_memory_human', human(mem.heapUsed + mem.external)],
        ['used_memory_rss', mem.rss],
        ['used_memory_rss_human', human(mem.rss)],
        ['record_cache_bytes', store.cacheBytes],
      ],
    ],
    [
      'persistence',
      [
        ['loading', 0],
        ['async_loading', 0],
        ['rdb_changes_since_last_save', 0],
        ['rdb_bgsave_in_progress', 0],
        ['aof_enabled', 1],
        ['aof_rewrite_in_progress', 0],
        ['storage_engine', 'rocksdb'],
        ['wal_fsync', src.sync() ? 'always' : 'no'],
        ['pending_writes', store.pendingWrites],
        ['write_batches', store.batches],
        ['batched_writes', store.batchedWrites],
        ['write_errors', store.writeErrors],
      ],
    ],
    [
      'stats',
      [
        ['total_connections_received', src.counters.connectionsReceived],
        ['total_commands_processed', src.counters.commandsProcessed],
        ['instantaneous_ops_per_sec', src.opsPerSec?.() ?? 0],
        ['total_net_input_bytes', src.counters.bytesRead],
        ['total_net_output_bytes', src.counters.bytesWritten],
        ['rejected_connections', src.counters.rejectedConnections],
        ['evicted_clients', src.counters.evictedClients],
        ['expired_keys', store.expiredSwept],
        ['evicted_keys', 0],
        ['keyspace_hits', src.counters.keyspaceHits],
        ['keyspace_misses', src.counters.keyspaceMisses],
        ['pubsub_channels', pubsub.channels],
        ['pubsub_patterns', pubsub.patterns],
        ['pubsubshard_channels', pubsub.shardChannels],
        ['record_cache_hits', store.cacheHits],
        ['record_cache_misses', store.cacheMisses],
        ['total_error_replies', src.counters.errorReplies],
        ['protocol_errors', src.counters.protocolErrors],
      ],
    ],
    ['replication', [['role', 'master'], ['connected_slaves', 0]]],
    [
      'cpu',
      [
        ['used_cpu_sys', (cpu.system / 1e6).toFixed(6)],
        ['used_cpu_user', (cpu.user / 1e6).toFixed(6)],
      ],
    ],
    ['errorstats', errorStats(src.counters)],
    ['cluster', [['cluster_enabled', 0]]],
    ['commandstats', src.commandStats?.() ?? []],
    ['keyspace', keyspace],
    [
      'quorumkv',
      [
        ['node_id', src.nodeId],
        ['members', repl.members],
        ['n', repl.n],
        ['r', repl.r],
        ['w', repl.w],
        ...(src.memberLines?.() ?? []),
      ],
    ],
  ];
}
