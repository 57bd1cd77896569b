import type { Clock } from '../core/clock.js';
import type { RpcTransport } from '../transport/types.js';
import { isDeadObject } from '../versioning/object.js';
import type { VersionedObject } from '../versioning/types.js';
import type { TrackingStore } from './tracking-store.js';
import type { TreeSlot } from './tree-set.js';
import { deadSince, isTombstoneRecord, keyDigest } from './version-hash.js';

export interface CollectDeps {
  readonly store: TrackingStore;
  readonly transport: Pick<RpcTransport, 'request'>;
  readonly clock: Clock;
  readonly timeoutMs: number;
}

const PAGE = 256;
const PURGE_BATCH = 256;

/**
 * Purges the dead records of one range that died at or before `horizon`
 * (see Agreements.purgeHorizon). Each purge is coordinated: the other
 * replicas are asked first to drop exactly this version ('a.purge': a
 * replica whose copy differs keeps it, and the difference is repaired by the
 * next exchange), then this node drops it if it is still that version.
 * Resolves how many records this node purged; recomputes the tree's oldest
 * tombstone from what stays.
 */
export async function collectRange(deps: CollectDeps, slot: TreeSlot, others: readonly string[], horizon: number): Promise<number> {
  let purged = 0;
  let oldest = Infinity;
  // Tombstones written while the scan runs lower it again through the tree.
  slot.tree.oldestTombstone = Infinity;
  let from: bigint | null = slot.tree.start;
  while (from !== null) {
    const page = await deps.store.scan({ from, to: slot.tree.end, limit: PAGE });
    const now = deps.clock.now();
    const due: Array<{ key: Buffer; obj: VersionedObject }> = [];
    for (const e of page.entries) {
      if (!isDeadObject(e.obj, now) || e.obj.siblings.length === 0) continue;
      const died = deadSince(e.obj);
      if (died <= horizon) due.push({ key: e.key, obj: e.obj });
      else if (isTombstoneRecord(e.obj)) oldest = Math.min(oldest, died);
    }
    for (let i = 0; i < due.length; i += PURGE_BATCH) {
      const batch = due.slice(i, i + PURGE_BATCH);
      await askPeersToPurge(deps, others, batch);
      const removed = await Promise.all(
        batch.map(({ key, obj }) => {
          const digest = keyDigest(key, obj).digest;
          return deps.store.removeIf(key, (stored) => keyDigest(key, stored).digest === digest);
        }),
      );
      purged += removed.filter(Boolean).length;
    }
    from = page.next;
  }
  slot.tree.oldestTombstone = Math.min(slot.tree.oldestTombstone, oldest);
  return purged;
}

/** Asks each peer to drop exactly these versions; a peer that cannot be reached keeps them (harmless: it collects them itself). */
export async function askPeersToPurge(
  deps: Pick<CollectDeps, 'transport' | 'timeoutMs'>,
  peers: readonly string[],
  items: ReadonlyArray<{ key: Buffer; obj: VersionedObject }>,
): Promise<void> {
  if (items.length === 0) return;
  const msg = { type: 'a.purge', keys: items.map((i) => i.key), digests: items.map((i) => keyDigest(i.key, i.obj).digest) };
  await Promise.allSettled(peers.map((p) => deps.transport.request(p, msg, { timeoutMs: deps.timeoutMs })));
}
