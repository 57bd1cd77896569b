import type { Rng } from '../core/rng.js';

/**
 * A set of member ids with O(1) add, delete and uniform random pick: an
 * array plus each id's index in it (deletion swaps the last id into the
 * hole). Membership keeps one per status so a probe or gossip round picks
 * targets without copying or sorting the member list.
 */
export class IdSet {
  private readonly ids: string[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  add(id: string): void {
    if (this.index.has(id)) return;
    this.index.set(id, this.ids.length);
    this.ids.push(id);
  }

  delete(id: string): void {
    const at = this.index.get(id);
    if (at === undefined) return;
    const last = this.ids.pop()!;
    this.index.delete(id);
    if (last !== id) {
      this.ids[at] = last;
      this.index.set(last, at);
    }
  }

  /** The id at position i (0 <= i < size), in no particular order. */
  at(i: number): string {
    return this.ids[i]!;
  }

  values(): readonly string[] {
    return this.ids;
  }
}

/**
 * Up to k distinct ids drawn uniformly from the union of `sets`, skipping
 * `exclude`. Draws at random while that is cheap; when most draws would be
 * rejected (few ids to choose from), it shuffles a copy instead.
 */
export function sampleIds(sets: readonly IdSet[], k: number, rng: Rng, exclude: ReadonlySet<string> = new Set()): string[] {
  const total = sets.reduce((n, s) => n + s.size, 0);
  const out: string[] = [];
  if (k <= 0 || total === 0) return out;
  const chosen = new Set<string>();
  if (total > 4 * (k + exclude.size)) {
    for (let tries = 0; out.length < k && tries < 8 * k; tries++) {
      const id = nth(sets, rng.int(total));
      if (chosen.has(id) || exclude.has(id)) continue;
      chosen.add(id);
      out.push(id);
    }
    if (out.length === k) return out;
  }
  const rest = sets.flatMap((s) => s.values()).filter((id) => !chosen.has(id) && !exclude.has(id));
  for (let i = 0; i < rest.length && out.length < k; i++) {
    const j = i + rng.int(rest.length - i);
    [rest[i], rest[j]] = [rest[j]!, rest[i]!];
    out.push(rest[i]!);
  }
  return out;
}

/** The i-th id of the sets taken one after another (i < their total size). */
function nth(sets: readonly IdSet[], i: number): string {
  let s = 0;
  while (i >= sets[s]!.size) i -= sets[s++]!.size;
  return sets[s]!.at(i);
}
