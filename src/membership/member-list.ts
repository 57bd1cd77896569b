import type { Rng } from '../core/rng.js';
import { Ring, type RingOptions } from '../ring/ring.js';
import { IdSet, sampleIds } from './id-set.js';
import { STATUS_NAMES, type MemberRecord, type MemberStatusName } from './member-state.js';
import { TableHash } from './table-hash.js';

/**
 * The members this node knows, itself included, with their statuses, and
 * the ring they form. Members are never dropped: a dead member keeps its
 * ranges (a flap moves no data); only one that left is out of the ring.
 * The ring is rebuilt lazily, and only when a change touches it. The other
 * members are also kept in one set per status, so picking probe and gossip
 * targets and counting live members cost O(1), and the table keeps a hash
 * of itself, updated per change, that push-pull compares first.
 */
export class MemberList {
  private readonly byId = new Map<string, MemberRecord>();
  private readonly byStatus: Record<MemberStatusName, IdSet> = { alive: new IdSet(), suspect: new IdSet(), dead: new IdSet(), left: new IdSet() };
  private readonly digest = new TableHash();
  private cachedRing: Ring | null = null;

  /** `ringOptions`: how the ring places replicas (replicas per DC), the same on every node. */
  constructor(
    readonly selfId: string,
    private readonly ringOptions: RingOptions = {},
  ) {}

  get(id: string): MemberRecord | undefined {
    return this.byId.get(id);
  }

  get self(): MemberRecord {
    return this.byId.get(this.selfId)!;
  }

  set(rec: MemberRecord): void {
    const old = this.byId.get(rec.info.id);
    this.byId.set(rec.info.id, rec);
    if (old) this.digest.toggle(old);
    this.digest.toggle(rec);
    if (rec.info.id !== this.selfId) {
      if (old) this.byStatus[old.status].delete(rec.info.id);
      this.byStatus[rec.status].add(rec.info.id);
    }
    if (!old || old.info.state !== rec.info.state || (old.status === 'left') !== (rec.status === 'left') || old.info.vnodes !== rec.info.vnodes || old.info.rack !== rec.info.rack || old.info.dc !== rec.info.dc) {
      this.cachedRing = null;
    }
  }

  /** Every member, in no particular order (no copy, no sort). */
  records(): IterableIterator<MemberRecord> {
    return this.byId.values();
  }

  /** Every member, sorted by id. */
  all(): MemberRecord[] {
    return [...this.byId.values()].sort((a, b) => (a.info.id < b.info.id ? -1 : a.info.id > b.info.id ? 1 : 0));
  }

  /** Ids of the other members whose status is one of `statuses` (a copy, in no particular order). */
  others(...statuses: MemberStatusName[]): string[] {
    return statuses.flatMap((s) => this.byStatus[s].values());
  }

  /** Up to k distinct other members, uniformly at random, whose status is one of `statuses`, none of them in `exclude`. */
  sample(k: number, rng: Rng, statuses: readonly MemberStatusName[], exclude?: ReadonlySet<string>): string[] {
    return sampleIds(
      statuses.map((s) => this.byStatus[s]),
      k,
      rng,
      exclude,
    );
  }

  /** Whether id is another member with one of these statuses. */
  hasStatus(id: string, ...statuses: MemberStatusName[]): boolean {
    return statuses.some((s) => this.byStatus[s].has(id));
  }

  /** Members not dead or gone, this node included: the cluster size for timeouts and retransmits. */
  liveCount(): number {
    const self = this.self.status === 'alive' || this.self.status === 'suspect' ? 1 : 0;
    return Math.max(1, this.byStatus.alive.size + this.byStatus.suspect.size + self);
  }

  /** Members per status, this node included. */
  counts(): Record<MemberStatusName, number> {
    const out = Object.fromEntries(STATUS_NAMES.map((s) => [s, this.byStatus[s].size])) as Record<MemberStatusName, number>;
    out[this.self.status]++;
    return out;
  }

  get size(): number {
    return this.byId.size;
  }

  /** A hash of every (id, incarnation, status) in the table: equal tables, equal hashes. */
  hash(): string {
    return this.digest.value();
  }

  /** The ring of every member that has not left. */
  ring(): Ring {
    this.cachedRing ??= Ring.build(this.all().filter((r) => r.status !== 'left').map((r) => r.info), this.ringOptions);
    return this.cachedRing;
  }
}
