import type { Clock } from '../core/clock.js';
import type { LocalStore } from '../storage/local-store.js';
import type { RpcTransport } from '../transport/types.js';
import type { RingControl, StreamLog } from './ring-control.js';
import type { StreamObserver, StreamRegistry } from './stream-progress.js';
import type { StreamSettings } from './stream-settings.js';
import type { MergeLocal } from './stream-source.js';
import type { StreamThrottle } from './stream-throttle.js';

/** What the join, leave and remove managers share: one node's ring view, network, store and pacing. */
export interface StreamNodeDeps {
  readonly control: RingControl;
  readonly transport: RpcTransport;
  readonly store: LocalStore;
  /** The coordinator's ReplicaService.merge (under the key lock, durable when it resolves). */
  readonly mergeLocal: MergeLocal;
  /** The coordinator's flush epoch (ReplicaService.flushEpoch). */
  readonly epoch: () => number;
  /**
   * Raises this node's flush epoch to a newer one seen on a peer, clearing
   * what it holds (ReplicaService.flush): a node that missed a FLUSHALL
   * while out of the ring must not bring flushed data back. Without it a
   * joining node keeps its epoch.
   */
  readonly adoptEpoch?: (epoch: number) => Promise<unknown>;
  readonly clock: Clock;
  /** Replication factor. */
  readonly n: number;
  readonly settings: () => StreamSettings;
  /** One per node, shared by all its streams. */
  readonly throttle?: StreamThrottle;
  /** One per node: what QKV.STREAMS lists. */
  readonly registry?: StreamRegistry;
  readonly observer?: StreamObserver;
  readonly log?: StreamLog;
}
