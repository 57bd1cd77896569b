import { actorEpoch, nodeOfActor } from './actor.js';
import { setCounter } from './clock.js';
import type { VersionVector, VersionedObject } from './types.js';

/**
 * Clock pruning. A key's clock gets one entry per node that ever coordinated
 * a write of it: normally its N replicas, but ownership changes and writes
 * forwarded during failures add more over the key's life, and nothing else
 * ever removes one.
 *
 * Once a clock has more than maxEntries entries, pruning drops every entry of
 * a node that is no longer a member and whose dot no sibling (tombstones
 * included) holds; an entry a sibling's dot needs always stays. So a pruned
 * clock holds at most
 *
 *   max(maxEntries, distinct nodes of the siblings' dots + current members that coordinated writes of the key).
 *
 * What dropping an entry costs: the clock no longer remembers which of that
 * node's writes it has seen. A replica that still holds an older sibling from
 * the removed node (one this copy had superseded) brings it back as a
 * concurrent sibling on a later merge. That is a false conflict, which the
 * next write with a covering context resolves; it never loses a write, since
 * pruning only makes a clock cover less and a merge drops a sibling only
 * where a clock covers it. Riak makes the same trade.
 *
 * Two conditions keep it that way, and the caller owns both:
 * - isMember(node) is false only for a node that has left for good: a node
 *   still coordinating writes under a pruned id issues its next counter from
 *   a clock that forgot its earlier ones, and a replica that did not prune
 *   would take the new dot for one it had seen and drop it.
 * - a node id that left is never reused by a new node, for the same reason.
 */

export interface PruneOptions {
  /** Clocks with at most this many entries are left alone. */
  readonly maxEntries: number;
  /** True while node belongs to the cluster (joining, normal, leaving or down, but not gone). */
  readonly isMember: (node: string) => boolean;
}

/** obj with its clock pruned as described above; obj itself when nothing is dropped. */
export function pruneObject(obj: VersionedObject, opts: PruneOptions): VersionedObject {
  const nodes = Object.keys(obj.clock);
  if (nodes.length <= opts.maxEntries) return obj;
  const needed = new Set(obj.siblings.map((s) => s.dot.node));
  const kept = nodes.filter((node) => needed.has(node) || opts.isMember(node));
  if (kept.length === nodes.length) return obj;
  const clock: VersionVector = {};
  for (const node of kept) setCounter(clock, node, obj.clock[node]!);
  return { clock, siblings: obj.siblings };
}

/**
 * Clocks above this many entries drop their retired actors' entries. Every
 * start of a node is a new actor (actor.ts), so a key written across restarts
 * gathers one entry per start; a handful of replicas times a few restarts
 * stays below it, and past it the clock stops growing.
 */
export const MAX_CLOCK_ENTRIES = 12;

/**
 * obj without the entries of retired actors, once its clock has more than
 * maxEntries entries. An actor is retired when the same clock holds a newer
 * actor (higher epoch) of the same node: a node issues dots only under the
 * actor of its current start. Entries a sibling's dot needs always stay.
 *
 * As with departed members (pruneObject), dropping an entry can only make a
 * clock cover less: a replica still holding an old sibling of the retired
 * actor may bring it back as a false concurrent sibling, which the next
 * write with a context resolves; no write is lost. A retired actor never
 * issues again, so its forgotten counters cannot be taken for new writes.
 * Deterministic in the clock alone, so replicas that merge the same versions
 * prune them alike.
 */
export function pruneRetiredActors(obj: VersionedObject, maxEntries = MAX_CLOCK_ENTRIES): VersionedObject {
  const actors = Object.keys(obj.clock);
  if (actors.length <= maxEntries) return obj;
  const newest = new Map<string, number>();
  for (const a of actors) {
    const node = nodeOfActor(a);
    const epoch = actorEpoch(a);
    if (epoch > (newest.get(node) ?? -1)) newest.set(node, epoch);
  }
  const needed = new Set(obj.siblings.map((s) => s.dot.node));
  const kept = actors.filter((a) => needed.has(a) || actorEpoch(a) >= newest.get(nodeOfActor(a))!);
  if (kept.length === actors.length) return obj;
  const clock: VersionVector = {};
  for (const a of kept) setCounter(clock, a, obj.clock[a]!);
  return { clock, siblings: obj.siblings };
}
