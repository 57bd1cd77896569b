import type { Clock } from '../core/clock.js';
import type { RpcTransport } from '../transport/types.js';
import { isDeadObject } from '../versioning/object.js';
import type { VersionedObject } from '../versioning/types.js';
import { parseVerdicts } from './messages.js';
import type { PurgeVerdict } from './purge-verdict.js';
import { allowsPurge } from './purge-verdict.js';
import type { TrackingStore } from './tracking-store.js';
import type { TreeSlot } from './tree-set.js';
import { deadSince, isTombstoneRecord, keyDigest } from './version-hash.js';

export interface CollectDeps {
  readonly store: TrackingStore;
  readonly transport: Pick<RpcTransport, 'request'>;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** This node's verdict on its own copy of key, asked about the version whose digest is given. */
  readonly judge: (key: Buffer, held: VersionedObject, digest: bigint) => PurgeVerdict;
}

export interface Purged {
  tombstone: number;
  expired: number;
}

export interface Proposed extends Purged {
  /** Per item: whether this node removed it. */
  readonly removed: boolean[];
}

const PAGE = 256;
const PURGE_BATCH = 256;

/**
 * Proposes purging the dead records of one range that died at or before
 * `horizon` (see Agreements.purgeHorizon). Resolves what this node purged;
 * recomputes the tree's oldest tombstone from what stays.
 */
export async function collectRange(deps: CollectDeps, slot: TreeSlot, others: readonly string[], horizon: number): Promise<Purged> {
  const purged: Purged = { tombstone: 0, expired: 0 };
  let oldest = Infinity;
  // Tombstones written while the scan runs lower it again through the tree.
  slot.tree.oldestTombstone = Infinity;
  let from: bigint | null = slot.tree.start;
  while (from !== null) {
    const page = await deps.store.scan({ from, to: slot.tree.end, limit: PAGE });
    const now = deps.clock.now();
    const due: Array<{ key: Buffer; obj: VersionedObject }> = [];
    const kept: number[] = [];
    for (const e of page.entries) {
      if (!isDeadObject(e.obj, now) || e.obj.siblings.length === 0) continue;
      const died = deadSince(e.obj);
      if (died <= horizon) due.push({ key: e.key, obj: e.obj });
      else if (isTombstoneRecord(e.obj)) oldest = Math.min(oldest, died);
    }
    for (let i = 0; i < due.length; i += PURGE_BATCH) {
      const batch = due.slice(i, i + PURGE_BATCH);
      const r = await proposePurge(deps, others, batch);
      purged.tombstone += r.tombstone;
      purged.expired += r.expired;
      // A tombstone that stays (some replica would not let it go) is looked at again at the next collection.
      batch.forEach((item, j) => {
        if (!r.removed[j] && isTombstoneRecord(item.obj)) kept.push(deadSince(item.obj));
      });
    }
    for (const d of kept) oldest = Math.min(oldest, d);
    from = page.next;
  }
  slot.tree.oldestTombstone = Math.min(slot.tree.oldestTombstone, oldest);
  return purged;
}

/**
 * Purges exactly these versions where every replica of their range lets it.
 * First every other replica is asked whether it may ('a.purgeable': each
 * judges its own copy by its own clock and horizon, see purge-verdict.ts);
 * only the records all of them answered dead or absent are then purged
 * there ('a.purge', judged again at removal), and only those every replica
 * then reported purged or absent are purged here, judged again by this
 * node. A replica that cannot be reached, refuses, or fails its purge keeps
 * the record, and so does this node: nothing is removed anywhere on one
 * node's word, and a purge that failed somewhere leaves the record on this
 * node too, so the next collection proposes it again.
 */
export async function proposePurge(
  deps: Omit<CollectDeps, 'clock'>,
  others: readonly string[],
  items: ReadonlyArray<{ key: Buffer; obj: VersionedObject }>,
): Promise<Proposed> {
  const purged: Proposed = { tombstone: 0, expired: 0, removed: items.map(() => false) };
  if (items.length === 0) return purged;
  const digests = items.map((i) => keyDigest(i.key, i.obj).digest);
  let chosen = items.map((_, i) => i);
  if (others.length > 0) {
    const askAll = async (type: 'a.purgeable' | 'a.purge', which: number[]): Promise<Array<string[] | null>> => {
      const msg = { type, keys: which.map((i) => items[i]!.key), digests: which.map((i) => digests[i]!) };
      return Promise.all(
        others.map((p) =>
          deps.transport.request(p, msg, { timeoutMs: deps.timeoutMs }).then(
            (reply) => parseVerdicts(reply, which.length),
            () => null,
          ),
        ),
      );
    };
    const votes = await askAll('a.purgeable', chosen);
    chosen = chosen.filter((_, j) => votes.every((v) => v !== null && allowsPurge(v[j]!)));
    if (chosen.length === 0) return purged;
    const done = await askAll('a.purge', chosen);
    chosen = chosen.filter((_, j) => done.every((v) => v !== null && (v[j] === 'purged' || v[j] === 'absent')));
  }
  const removed = await Promise.all(
    chosen.map((i) => deps.store.removeIf(items[i]!.key, (stored) => deps.judge(items[i]!.key, stored, digests[i]!) === 'dead')),
  );
  removed.forEach((yes, j) => {
    if (!yes) return;
    purged.removed[chosen[j]!] = true;
    purged[isTombstoneRecord(items[chosen[j]!]!.obj) ? 'tombstone' : 'expired']++;
  });
  return purged;
}
