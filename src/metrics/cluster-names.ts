import { METRIC_PREFIX, type MetricDef } from './names.js';

function def<L extends string = never>(name: string, help: string, labels: readonly L[] = []): MetricDef<L> {
  return { name: METRIC_PREFIX + name, help, labels };
}

/**
 * Metrics of the cluster's background work: gossip membership, hinted
 * handoff, anti-entropy and range streaming. Gauges of progress are read at
 * scrape time from the component that owns the work.
 */
export const CLUSTER_METRICS = {
  // gossip membership
  gossipMessages: def('gossip_messages_total', 'Gossip datagrams and push-pull exchanges, by direction (sent, received) and message type.', ['direction', 'type']),
  gossipBytes: def('gossip_bytes_total', 'Gossip bytes, by direction (sent, received).', ['direction']),
  gossipDropped: def('gossip_dropped_total', 'Gossip datagrams dropped on receipt, by reason: bad-mac, too-short, oversize, malformed, version (an older protocol), wrong-target, replay (seen before), stale (from an earlier boot of its sender, or older than the replay window), wrong-sender (an ack from a member that was neither probed nor asked to relay).', ['reason']),
  gossipSuspicions: def('gossip_suspicions_total', 'Times a member was suspected by this node.'),
  gossipRefutations: def('gossip_refutations_total', 'Times this node refuted a suspicion of itself.'),
  gossipDeaths: def('gossip_deaths_total', 'Times a member was declared dead in this node\'s view.'),
  members: def('members', 'Members in this node\'s view, by status (alive, suspect, dead, left).', ['status']),

  // hinted handoff
  hintsStored: def('hints_stored_total', 'Hints stored on this node for replicas that were down.'),
  hintsRefused: def(
    'hints_refused_total',
    'Hints this node refused to store (as a stand-in or for its own writes), by reason (count_bound, byte_bound, dc_byte_bound, storage_error, closed).',
    ['reason'],
  ),
  hintsDelivered: def('hints_delivered_total', 'Hints delivered to their owner and deleted.'),
  hintsDropped: def('hints_dropped_total', 'Stored hints deleted undelivered: refused for good by their owner, or older than the tombstone grace period.'),
  hintsPending: def('hints_pending', 'Hints waiting for delivery, by target node.', ['target']),
  dcHintsPending: def('dc_hints_pending', 'Hints waiting for delivery to replicas in another DC, by that DC (replicas per DC only).', ['dc']),
  dcHintsPendingBytes: def('dc_hints_pending_bytes', 'Bytes of hints waiting for delivery to replicas in another DC, by that DC: what --dc-hint-max-bytes bounds (replicas per DC only).', ['dc']),
  hintsPendingBytes: def('hints_pending_bytes', 'Bytes of hints waiting for delivery, by target node.', ['target']),

  // anti-entropy
  aeExchanges: def('antientropy_exchanges_total', 'Merkle tree exchanges with a replica, by result (in_sync, repaired, failed).', ['result']),
  aeKeysRepaired: def('antientropy_keys_repaired_total', 'Keys sent or received by anti-entropy repair.'),
  aeBytesRepaired: def('antientropy_bytes_repaired_total', 'Bytes of records sent or received by anti-entropy repair.'),
  aeRebuildRemaining: def('antientropy_rebuild_remaining_keys', 'Keys left to hash while Merkle trees are being rebuilt (0 when current).'),
  tombstonesPurged: def('tombstones_purged_total', 'Tombstones and expired records collected after the grace period.'),
  purgesRefused: def(
    'purges_refused_total',
    'Purges another replica proposed that this node refused, keeping the record, by reason (changed, live, within_grace, not_replica, unreadable).',
    ['reason'],
  ),

  // range streaming (join, leave, remove)
  streamKeys: def('stream_keys_total', 'Records streamed for joins, leaves and removals, by direction (in, out).', ['direction']),
  streamBytes: def('stream_bytes_total', 'Bytes of records streamed, by direction (in, out).', ['direction']),
  streamRemaining: def('stream_remaining_keys', 'Estimated records left in streams in flight.'),
  streamEta: def('stream_eta_seconds', 'Estimated seconds until the streams in flight complete (0 when none).'),
  cleanupKeys: def('range_cleanup_keys_total', 'Records deleted from ranges this node no longer replicates (after a join, leave or removal handed them over).'),
} as const;
