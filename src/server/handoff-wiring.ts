import type { Clock } from '../core/clock.js';
import { HintDelivery, type HintDeliveryObserver, type HintLogFn, type HintTargetStatus } from '../handoff/hint-delivery.js';
import type { HintRefusalReason } from '../handoff/hint-refusal.js';
import { HintStore } from '../handoff/hint-store.js';
import type { Engine } from '../storage/engine.js';
import type { RpcTransport } from '../transport/types.js';

/**
 * Hinted handoff for one node: the durable hint store (in the node's own
 * engine, under the 'h' prefix) and its delivery loop. The coordinator gets
 * `store` as its hint sink; the admin view reads `status()`; a membership
 * event that a peer is back calls `nudge(peer)`.
 */
export interface HandoffOptions {
  /** The node's open engine (the record store's); hints are closed before it is. */
  readonly engine: Engine;
  readonly sync: boolean;
  readonly transport: Pick<RpcTransport, 'request'>;
  readonly isReachable: (nodeId: string) => boolean;
  readonly clock: Clock;
  readonly log: HintLogFn;
  readonly requestTimeoutMs: () => number;
  /** The node's --hint-max-per-target, --hint-max-bytes-per-target and --hint-rate-keys (defaults: HINT_DEFAULTS in src/config). */
  readonly maxHintsPerTarget: number;
  readonly maxHintBytesPerTarget: number;
  /** --dc-hint-max-bytes, over the targets remoteDcOf places in one remote DC (both or neither). */
  readonly maxHintBytesPerDc?: number;
  readonly remoteDcOf?: (target: string) => string | undefined;
  readonly maxKeysPerSec: number;
  /** Defaults: a 500 ms tick and 32 MiB/s. */
  readonly tickMs?: number;
  /** Retry backoff after a failed drain (defaults: HintDelivery's). */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How the hint store schedules its batches (default: its own). */
  readonly schedule?: (run: () => void) => void;
  /** Hints older than this are dropped (the tombstone grace period). */
  readonly maxAgeMs?: () => number;
  readonly maxBytesPerSec?: number;
  /** Hints for a target were refused (anti-entropy should look at its ranges first). */
  readonly onRefused?: (target: string, reason: HintRefusalReason, hints: number) => void;
  /** Hints became durable. */
  readonly onStored?: (hints: number) => void;
  readonly observer?: HintDeliveryObserver;
}

export interface Handoff {
  readonly store: HintStore;
  readonly delivery: HintDelivery;
  /** Per target: pending hints and bytes, delivered, dropped and refused since start, delivery rate. */
  status(): Record<string, HintTargetStatus>;
  /** The peer may be back: try delivering to it now. */
  nudge(target: string): void;
  /** Stops delivery (waiting for drains under way) and lets pending hint writes land. Does not close the engine. */
  close(): Promise<void>;
}

export async function startHandoff(opts: HandoffOptions): Promise<Handoff> {
  const store = await HintStore.open({
    engine: opts.engine,
    sync: opts.sync,
    maxHintsPerTarget: opts.maxHintsPerTarget,
    maxBytesPerTarget: opts.maxHintBytesPerTarget,
    ...(opts.maxHintBytesPerDc !== undefined && opts.remoteDcOf ? { maxBytesPerGroup: opts.maxHintBytesPerDc, groupOf: opts.remoteDcOf } : {}),
    onRefused: (target, reason, hints) => {
      opts.log('warn', 'hints refused: they could not be stored', { target, reason, hints });
      opts.onRefused?.(target, reason, hints);
    },
    ...(opts.onStored ? { onStored: opts.onStored } : {}),
    ...(opts.schedule ? { schedule: opts.schedule } : {}),
  });
  const delivery = new HintDelivery({
    store,
    transport: opts.transport,
    isReachable: opts.isReachable,
    clock: opts.clock,
    requestTimeoutMs: opts.requestTimeoutMs,
    log: opts.log,
    ...(opts.tickMs !== undefined ? { tickMs: opts.tickMs } : {}),
    ...(opts.minBackoffMs !== undefined ? { minBackoffMs: opts.minBackoffMs } : {}),
    ...(opts.maxBackoffMs !== undefined ? { maxBackoffMs: opts.maxBackoffMs } : {}),
    maxKeysPerSec: opts.maxKeysPerSec,
    ...(opts.maxBytesPerSec !== undefined ? { maxBytesPerSec: opts.maxBytesPerSec } : {}),
    ...(opts.observer ? { observer: opts.observer } : {}),
    ...(opts.maxAgeMs ? { maxAgeMs: opts.maxAgeMs } : {}),
  });
  delivery.start();
  const pending = store.targets();
  if (pending.length > 0) opts.log('info', 'hints pending from before the restart', { targets: store.stats() });
  let closing: Promise<void> | null = null;
  return {
    store,
    delivery,
    status: () => delivery.status(),
    nudge: (target) => delivery.nudge(target),
    close: () =>
      (closing ??= (async () => {
        await delivery.close();
        await store.close();
      })()),
  };
}
