import { diffRings } from '../ring/diff.js';
import type { Ring } from '../ring/ring.js';
import type { PullRange } from './range-puller.js';

export interface Interval {
  readonly start: bigint;
  readonly end: bigint;
}

/** The ranges `self` gains when the pending changes of `ring` complete, with their current replicas as sources. */
export function gainedRanges(ring: Ring, self: string, n: number): PullRange[] {
  const changes = diffRings(ring, ring.pending(), n).filter((c) => c.gained.includes(self));
  return coalesce(changes.map((c) => ({ start: c.start, end: c.end, sources: c.before.filter((id) => id !== self) })));
}

/** For each node gaining part of what `self` loses when `ring`'s pending changes complete, those ranges. */
export function lostRangesByGainer(ring: Ring, self: string, n: number): Map<string, Interval[]> {
  const out = new Map<string, Interval[]>();
  for (const c of diffRings(ring, ring.pending(), n)) {
    if (!c.lost.includes(self)) continue;
    for (const g of c.gained) {
      const list = out.get(g) ?? [];
      list.push({ start: c.start, end: c.end });
      out.set(g, list);
    }
  }
  for (const [g, list] of out) out.set(g, coalesce(list.map((r) => ({ ...r, sources: [] }))).map(({ start, end }) => ({ start, end })));
  return out;
}

/**
 * The ranges `self` gains between two rings because `removed` members left
 * them (an operator removed dead nodes), with the surviving previous
 * replicas as sources.
 */
export function rebuiltRanges(before: Ring, after: Ring, self: string, removed: ReadonlySet<string>, n: number): PullRange[] {
  const changes = diffRings(before, after, n).filter((c) => c.gained.includes(self) && c.lost.some((id) => removed.has(id)));
  return coalesce(changes.map((c) => ({ start: c.start, end: c.end, sources: c.before.filter((id) => !removed.has(id) && id !== self) })));
}

/**
 * The ranges of `ring` that `self` is not a replica of, now or once its
 * pending changes complete, joined where they touch, with the nodes that
 * replicate them (now and pending: every one of them holds or takes over the
 * range). What a node may hold of these ranges is left over from an earlier
 * ownership.
 */
export function unownedRanges(ring: Ring, self: string, n: number): Array<Interval & { readonly owners: readonly string[] }> {
  const now = ring.ranges(n);
  const later = ring.pending().ranges(n);
  const out: Array<{ start: bigint; end: bigint; owners: string[] }> = [];
  // Both lists cover [0, 2^64) in order: walk them together, cutting at every boundary of either.
  let i = 0;
  let j = 0;
  while (i < now.length && j < later.length) {
    const a = now[i]!;
    const b = later[j]!;
    const start = a.start > b.start ? a.start : b.start;
    const end = a.end < b.end ? a.end : b.end;
    const owners = [...new Set([...a.owners, ...b.owners])];
    if (start < end && !owners.includes(self)) {
      const last = out[out.length - 1];
      if (last && last.end === start) {
        last.end = end;
        for (const o of owners) if (!last.owners.includes(o)) last.owners.push(o);
      } else out.push({ start, end, owners });
    }
    if (a.end === end) i++;
    if (b.end === end) j++;
  }
  return out;
}

/** Joins neighbouring ranges with the same sources, so a stream makes fewer, longer scans. */
export function coalesce(ranges: readonly PullRange[]): PullRange[] {
  const out: PullRange[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && last.end === r.start && sameList(last.sources, r.sources)) out[out.length - 1] = { ...last, end: r.end };
    else out.push(r);
  }
  return out;
}

/** The parts of `ranges` not inside any of `covered`. */
export function subtract(ranges: readonly PullRange[], covered: readonly Interval[]): PullRange[] {
  const cuts = [...covered].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: PullRange[] = [];
  for (const r of ranges) {
    let at = r.start;
    for (const c of cuts) {
      if (c.end <= at || c.start >= r.end) continue;
      if (c.start > at) out.push({ ...r, start: at, end: c.start });
      at = c.end > at ? c.end : at;
      if (at >= r.end) break;
    }
    if (at < r.end) out.push({ ...r, start: at, end: r.end });
  }
  return out;
}

/** A plan's identity, to tell whether a new plan differs from the one in flight. */
export function planKey(ranges: readonly PullRange[]): string {
  return ranges.map((r) => `${r.start}-${r.end}:${r.sources.join(',')}`).join(';');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
