import type { ClusterMetrics } from '../metrics/cluster-metrics.js';
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
