/**
 * Every metric the node exports: name, help text and label names, in one
 * place so dashboards and alerts have a single list to follow. All names
 * carry the quorumkv_ prefix; durations are in seconds, sizes in bytes.
 */
export const METRIC_PREFIX = 'quorumkv_';

/** Latency buckets in seconds, from 50 microseconds to 5 seconds. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

export interface MetricDef<L extends string = never> {
  readonly name: string;
  readonly help: string;
  readonly labels: readonly L[];
}

function def<L extends string = never>(name: string, help: string, labels: readonly L[] = []): MetricDef<L> {
  return { name: METRIC_PREFIX + name, help, labels };
}

export const METRICS = {
  // clients and the RESP protocol
  commands: def('commands_total', 'Commands processed, by command name and result (ok or error).', ['command', 'result']),
  commandDuration: def('command_duration_seconds', 'Time from a command being parsed to its reply being queued, by command name.', ['command']),
  connectedClients: def('connected_clients', 'Client connections open now.'),
  connectionsAccepted: def('connections_accepted_total', 'Client connections accepted.'),
  connectionsRejected: def('connections_rejected_total', 'Client connections refused, by reason (maxclients, protected, tls: a failed TLS handshake or a refused client certificate).', ['reason']),
  clientsEvicted: def('clients_evicted_total', 'Clients closed because all clients together held more than maxmemory-clients.'),
  bytesRead: def('client_read_bytes_total', 'Bytes read from client connections.'),
  bytesWritten: def('client_written_bytes_total', 'Bytes written to client connections.'),
  protocolErrors: def('protocol_errors_total', 'Requests that were not valid RESP (the connection is closed).'),

  // local storage
  storageBatches: def('storage_batches_total', 'Write batches committed to the storage engine.'),
  storageBatchedWrites: def('storage_batched_writes_total', 'Writes committed to the storage engine, over all batches.'),
  storageBatchDuration: def('storage_batch_duration_seconds', 'Time to commit one write batch (including fsync with --sync).'),
  storageWriteErrors: def('storage_write_errors_total', 'Write batches the storage engine failed to commit.'),
  cacheHits: def('cache_hits_total', 'Record cache lookups answered from memory.'),
  cacheMisses: def('cache_misses_total', 'Record cache lookups that went to the storage engine.'),
  keys: def('keys', 'Keys stored on this node (replicas included), read at scrape time.'),

  // the memory budget (--maxmemory), read at scrape time
  maxmemory: def('maxmemory_bytes', 'The node\'s memory budget (--maxmemory, CONFIG SET maxmemory).'),
  memoryUsed: def('memory_used_bytes', 'Memory the node accounts for (INFO used_memory): V8 heap and external buffers, RocksDB memtables, block cache and table readers.'),
  memoryPart: def('memory_part_bytes', 'Memory held by each part sized from maxmemory, by part (record_cache, rocksdb_block_cache, rocksdb_memtables, rocksdb_table_readers, clients).', ['part']),
  memoryPartLimit: def('memory_part_limit_bytes', 'The share of maxmemory each part may hold, by part (as memory_part_bytes).', ['part']),
  expiredKeys: def('expired_keys_total', 'Keys deleted because their TTL passed.'),

  // the cluster: peers and quorums
  peerRpcDuration: def('peer_rpc_duration_seconds', 'Round trip of a request to a peer, by peer node id.', ['peer']),
  dcReplicationLag: def(
    'dc_replication_lag_seconds',
    'Time from the start of a write this node coordinated to the acknowledgement of each of its replicas in another DC, by that DC (replicas per DC only).',
    ['dc'],
  ),
  dcReplicationBytes: def(
    'dc_replication_bytes_total',
    'Bytes of versions this node sent to replicas in another DC as the coordinator of a write, by that DC (replicas per DC only).',
    ['dc'],
  ),
  peerErrors: def('peer_errors_total', 'Failed peer requests, by peer node id and kind (timeout, refused, closed, remote, ...).', ['peer', 'kind']),
  peerFramesSent: def('peer_frames_sent', 'Requests this node has sent to peers over TCP since it started, one frame each (a counter read at scrape time).'),
  peerInflight: def('peer_inflight_requests', 'Requests sent to a peer and not yet answered, by peer node id.', ['peer']),
  quorumOperations: def('quorum_operations_total', 'Coordinated operations, by type (read, write, delete, ...) and outcome (ok, unavailable, timeout, conflict, error).', [
    'type',
    'outcome',
  ]),
  readRepairs: def('read_repairs_total', 'Stale replicas updated by read repair.'),
  divergentDots: def(
    'divergent_dots_total',
    'Dots found holding two different writes when merging replicas (a dot issued twice); both writes are kept as siblings.',
  ),
} as const;

export type MetricKey = keyof typeof METRICS;
