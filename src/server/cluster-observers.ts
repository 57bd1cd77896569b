import type { ClusterMetrics } from '../metrics/cluster-metrics.js';
import type { AntiEntropyObserver } from '../antientropy/index.js';
import type { GossipObserver } from '../membership/swim-options.js';

/** Gossip events as metrics. */
export function gossipObserver(m: ClusterMetrics): GossipObserver {
  return {
    sent: (type, bytes) => m.gossipMessage('sent', type, bytes),
    received: (type, bytes) => m.gossipMessage('received', type, bytes),
    dropped: (reason) => m.gossipDropped(reason),
    suspected: () => m.suspicion(),
    refuted: () => m.refutation(),
    died: () => m.death(),
  };
}

/** Anti-entropy events as metrics. */
export function antiEntropyObserver(m: ClusterMetrics): AntiEntropyObserver {
  return {
    exchange: (_peer, outcome) => {
      if (outcome !== 'not-ready') m.antiEntropyExchange(outcome === 'in-sync' ? 'in_sync' : outcome);
    },
    repaired: (_direction, keys, bytes) => m.antiEntropyRepaired(keys, bytes),
    purged: (_kind, n) => m.tombstonesPurged(n),
    purgeRefused: (reason, n) => m.purgeRefused(reason, n),
  };
}
