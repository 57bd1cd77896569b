import { Ring } from '../ring/ring.js';
import type { MemberInfo } from './member.js';

/** What a merge did to the table. */
export type MergeResult =
  /** A member not seen before. */
  | { readonly kind: 'added'; readonly member: MemberInfo }
  /** A newer record of a known member (it restarted, or moved). */
  | { readonly kind: 'updated'; readonly member: MemberInfo; readonly previous: MemberInfo }
  /** Nothing new. */
  | { readonly kind: 'unchanged' };

const UNCHANGED: MergeResult = { kind: 'unchanged' };

/**
 * The members this node knows, itself included, and the ring they form.
 * Records only ever move forward (a higher generation wins) and members are
 * never dropped; the node's own record is never overwritten by what peers
 * say about it. The ring is rebuilt lazily after a change.
 */
export class MemberTable {
  private readonly byId = new Map<string, MemberInfo>();
  private cachedRing: Ring | null = null;
  private version = 0;

  constructor(readonly self: MemberInfo) {
    this.byId.set(self.id, self);
  }

  /** Grows by one with every change; lets callers notice that something changed. */
  get changes(): number {
    return this.version;
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): MemberInfo | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Every member, sorted by id. */
  all(): MemberInfo[] {
    return [...this.byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Every member but this node, sorted by id. */
  others(): MemberInfo[] {
    return this.all().filter((m) => m.id !== this.self.id);
  }

  merge(m: MemberInfo): MergeResult {
    if (m.id === this.self.id) return UNCHANGED;
    const known = this.byId.get(m.id);
    // An equal generation that says something else cannot come from the member itself: keep what we have.
    if (known && m.generation <= known.generation) return UNCHANGED;
    this.byId.set(m.id, m);
    this.cachedRing = null;
    this.version++;
    return known ? { kind: 'updated', member: m, previous: known } : { kind: 'added', member: m };
  }

  /** The ring of every member (static membership keeps them all 'normal'). */
  ring(): Ring {
    this.cachedRing ??= Ring.build(this.all());
    return this.cachedRing;
  }
}
