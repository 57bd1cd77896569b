import type { DotIssuer } from './actor.js';
import { counterOf, setCounter } from './clock.js';
import { compareSiblingOrder, mergeObjects } from './object.js';
import type { Dot, Sibling, VersionedObject } from './types.js';

/**
 * Divergence: two versions of a key that hold one dot with different
 * content. A dot names one write, so this means the dot was issued twice
 * (by a node that lost its records and reused its counters before actors
 * never repeated, or by a bug). A plain merge would keep one of the two and
 * silently drop the other; resolveDivergence keeps both instead.
 */

export function sameContent(a: Sibling, b: Sibling): boolean {
  return a.tombstone === b.tombstone && !a.counter === !b.counter && a.ts === b.ts && a.expireAt === b.expireAt && a.value.equals(b.value);
}

/** A total order on two siblings' content: the smaller keeps the dot both claim. */
function compareContent(a: Sibling, b: Sibling): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  if (a.tombstone !== b.tombstone) return a.tombstone ? -1 : 1;
  if (a.expireAt !== b.expireAt) return a.expireAt - b.expireAt;
  return Buffer.compare(a.value, b.value);
}

function dotKey(d: Dot): string {
  return `${d.counter}:${d.node}`;
}

/** The dots that `a` and `b` both hold as siblings with different content. */
export function divergentDots(a: VersionedObject, b: VersionedObject): Dot[] {
  if (a.siblings.length === 0 || b.siblings.length === 0) return [];
  const mine = new Map<string, Sibling>();
  for (const s of a.siblings) mine.set(dotKey(s.dot), s);
  const out: Dot[] = [];
  for (const s of b.siblings) {
    const t = mine.get(dotKey(s.dot));
    if (t && !sameContent(s, t)) out.push(s.dot);
  }
  return out;
}

export interface DivergentMerge {
  readonly merged: VersionedObject;
  /** How many writes were found under a dot that holds another write, and given dots of their own. */
  readonly divergent: number;
}

/**
 * mergeObjects(local, incoming), keeping both writes of every divergent dot:
 * the sibling whose content orders first keeps the dot, and the other is
 * issued a new dot by this replica's own actor (issuer), so it survives as a
 * concurrent sibling. Replicas that meet the same two siblings keep the same
 * one under the old dot.
 *
 * The new dot's counter is above everything the key's clock holds for this
 * actor; setting it in the clock covers only this actor's own earlier
 * writes, which this replica holds (it stores each version it issues before
 * it sends it anywhere).
 */
export function mergeKeepingDivergent(local: VersionedObject, incoming: VersionedObject, issuer: DotIssuer): DivergentMerge {
  const dots = divergentDots(local, incoming);
  const merged = mergeObjects(local, incoming);
  if (dots.length === 0) return { merged, divergent: 0 };
  const clock = { ...merged.clock };
  const siblings = [...merged.siblings];
  let divergent = 0;
  for (const dot of dots) {
    const k = dotKey(dot);
    const ls = local.siblings.find((s) => dotKey(s.dot) === k)!;
    const rs = incoming.siblings.find((s) => dotKey(s.dot) === k)!;
    const [keep, move] = compareContent(ls, rs) <= 0 ? [ls, rs] : [rs, ls];
    siblings[siblings.findIndex((s) => dotKey(s.dot) === k)] = keep;
    // Met before: the moved write already sits under a dot of its own.
    if (siblings.some((s) => sameContent(s, move))) continue;
    const fresh: Dot = { node: issuer.actor, counter: issuer.next(counterOf(clock, issuer.actor)) };
    setCounter(clock, fresh.node, fresh.counter);
    siblings.push({ ...move, dot: fresh });
    divergent++;
  }
  if (divergent === 0 && siblings.every((s, i) => s === merged.siblings[i])) return { merged, divergent: 0 };
  siblings.sort(compareSiblingOrder);
  return { merged: { clock, siblings }, divergent };
}
