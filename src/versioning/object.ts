import { DotIssuer } from './actor.js';
import { counterOf, covers, joinClocks, setCounter } from './clock.js';
import { resolveVisible, shownSibling } from './counter-view.js';
import { pruneRetiredActors } from './prune.js';
import type { Dot, Sibling, VersionVector, VersionedObject, WritePayload } from './types.js';

export function emptyObject(): VersionedObject {
  return { clock: {}, siblings: [] };
}

function sameDot(a: Dot, b: Dot): boolean {
  return a.node === b.node && a.counter === b.counter;
}

/**
 * A write coordinated by `issuer`'s actor: it issues the actor's next dot,
 * drops the local siblings the client's context covers, and keeps the rest
 * as concurrent siblings. `context` empty means a blind write. Siblings come
 * out in the canonical order (compareSiblingOrder), as merges leave them, so
 * a version encodes to the same bytes on the replica that coordinated it and
 * on those it reached by merge. Throws QkvError when the actor's counter would
 * pass 2^53 - 1 (a forged context): nothing is written then.
 *
 * A plain string issues per-key counters (the key's highest counter + 1): for
 * tests and tools only, since such counters repeat once a key's record is
 * lost (see actor.ts).
 */
export function applyWrite(
  local: VersionedObject | undefined,
  context: VersionVector,
  issuer: DotIssuer | string,
  payload: WritePayload,
): VersionedObject {
  const dots = typeof issuer === 'string' ? new DotIssuer(issuer) : issuer;
  const node = dots.actor;
  const base = local ?? emptyObject();
  const counter = dots.next(Math.max(counterOf(base.clock, node), counterOf(context, node)));
  const dot: Dot = { node, counter };
  const kept = base.siblings.filter((s) => !covers(context, s.dot));
  const clock = joinClocks(base.clock, context);
  setCounter(clock, node, counter);
  const { counter: isCounter, kind, ...rest } = payload;
  // Plain siblings carry no counter or kind field, as they decode.
  const sibling: Sibling = isCounter ? { dot, ...rest, counter: true } : kind ? { dot, ...rest, kind } : { dot, ...rest };
  return pruneRetiredActors({ clock, siblings: [...kept, sibling].sort(compareSiblingOrder) });
}

/**
 * Merges two replicas' versions of one key (read repair, hints, anti-entropy).
 * A sibling survives if the other side has it too or has not seen its dot;
 * the result descends both inputs. Commutative, associative and idempotent.
 */
export function mergeObjects(a: VersionedObject, b: VersionedObject): VersionedObject {
  const siblings: Sibling[] = [];
  for (const s of a.siblings) {
    if (!covers(b.clock, s.dot) || b.siblings.some((t) => sameDot(s.dot, t.dot))) siblings.push(s);
  }
  for (const s of b.siblings) {
    if (covers(a.clock, s.dot)) continue;
    if (!siblings.some((t) => sameDot(s.dot, t.dot))) siblings.push(s);
  }
  siblings.sort(compareSiblingOrder);
  return { clock: joinClocks(a.clock, b.clock), siblings };
}

/** A total order on siblings so merged objects are byte-identical across replicas. */
export function compareSiblingOrder(a: Sibling, b: Sibling): number {
  if (a.dot.node !== b.dot.node) return a.dot.node < b.dot.node ? -1 : 1;
  return a.dot.counter - b.dot.counter;
}

export function isExpired(s: Sibling, now: number): boolean {
  return s.expireAt !== 0 && s.expireAt <= now;
}

/** Siblings a client sees: not tombstones, not expired; a counter sibling as its total. */
export function liveSiblings(obj: VersionedObject | undefined, now: number): Sibling[] {
  if (!obj) return [];
  return obj.siblings.filter((s) => !s.tombstone && !isExpired(s, now)).map(shownSibling);
}

/**
 * The sibling plain GET returns: the newest by timestamp, node id breaking
 * ties. Tombstones and expired siblings take part, so a newer delete or
 * expiry hides an older concurrent value; the caller treats those as absent.
 */
export function newestSibling(obj: VersionedObject | undefined): Sibling | undefined {
  if (!obj) return undefined;
  let best: Sibling | undefined;
  for (const s of obj.siblings) {
    if (!best || s.ts > best.ts || (s.ts === best.ts && (s.dot.node > best.dot.node || (s.dot.node === best.dot.node && s.dot.counter > best.dot.counter)))) {
      best = s;
    }
  }
  return best;
}

/**
 * The value plain GET sees, or undefined when the key reads as absent. A key
 * with counter siblings reads as counter-view.ts resolves it.
 */
export function visibleSibling(obj: VersionedObject | undefined, now: number): Sibling | undefined {
  if (obj && obj.siblings.some((x) => x.counter || x.kind)) return resolveVisible(obj, now);
  const s = newestSibling(obj);
  if (!s || s.tombstone || isExpired(s, now)) return undefined;
  return s;
}

/** True when every sibling is a tombstone or expired: the key reads as absent everywhere. */
export function isDeadObject(obj: VersionedObject, now: number): boolean {
  return obj.siblings.every((s) => s.tombstone || isExpired(s, now));
}

/** A write made the key exist: no live version before it, one after (notify-keyspace-events n). */
export function madeLive(before: VersionedObject | undefined, after: VersionedObject, now: number): boolean {
  return (!before || isDeadObject(before, now)) && !isDeadObject(after, now);
}
