import type { LocalStore } from '../storage/local-store.js';
import { actorId, DotIssuer, nextActorEpoch } from '../versioning/actor.js';

/** Where a node keeps the epoch of its latest start (versioning/actor.ts). */
export const ACTOR_EPOCH_META = 'replica.actor-epoch';

/**
 * The actor of this start of the node: a new epoch, above the previous
 * start's when the store remembers it, stored before any dot is issued.
 * A store that is empty, restored from an old backup or missing its WAL tail
 * remembers an older epoch or none; the epoch is then at least the wall
 * clock's now, which is past every earlier start unless the clock went back
 * as well.
 */
export async function startActor(store: LocalStore, nodeId: string, now: number): Promise<DotIssuer> {
  let previous = 0;
  try {
    const b = await store.getMeta(ACTOR_EPOCH_META);
    if (b && b.length === 8) previous = Number(b.readBigUInt64BE(0));
  } catch {
    // Unreadable: the clock alone decides, as for an empty store.
  }
  const epoch = nextActorEpoch(now, previous);
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(epoch));
  await store.putMeta(ACTOR_EPOCH_META, b);
  return new DotIssuer(actorId(nodeId, epoch));
}
