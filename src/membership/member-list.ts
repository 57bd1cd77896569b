import { Ring, type RingOptions } from '../ring/ring.js';
import { STATUS_NAMES, type MemberRecord, type MemberStatusName } from './member-state.js';

/**
 * The members this node knows, itself included, with their statuses, and
 * the ring they form. Members are never dropped: a dead member keeps its
 * ranges (a flap moves no data); only one that left is out of the ring.
 * The ring is rebuilt lazily, and only when a change touches it.
 */
export class MemberList {
  private readonly byId = new Map<string, MemberRecord>();
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
    if (!old || old.info.state !== rec.info.state || (old.status === 'left') !== (rec.status === 'left') || old.info.vnodes !== rec.info.vnodes || old.info.rack !== rec.info.rack || old.info.dc !== rec.info.dc) {
      this.cachedRing = null;
    }
  }

  /** Every member, sorted by id. */
  all(): MemberRecord[] {
    return [...this.byId.values()].sort((a, b) => (a.info.id < b.info.id ? -1 : a.info.id > b.info.id ? 1 : 0));
  }

  /** Ids of the other members whose status is one of `statuses`. */
  others(...statuses: MemberStatusName[]): string[] {
    const out: string[] = [];
    for (const rec of this.byId.values()) if (rec.info.id !== this.selfId && statuses.includes(rec.status)) out.push(rec.info.id);
    return out.sort();
  }

  /** Members not dead or gone, this node included: the cluster size for timeouts and retransmits. */
  liveCount(): number {
    let n = 0;
    for (const rec of this.byId.values()) if (rec.status === 'alive' || rec.status === 'suspect') n++;
    return Math.max(1, n);
  }

  counts(): Record<MemberStatusName, number> {
    const out = Object.fromEntries(STATUS_NAMES.map((s) => [s, 0])) as Record<MemberStatusName, number>;
    for (const rec of this.byId.values()) out[rec.status]++;
    return out;
  }

  /** The ring of every member that has not left. */
  ring(): Ring {
    this.cachedRing ??= Ring.build(this.all().filter((r) => r.status !== 'left').map((r) => r.info), this.ringOptions);
    return this.cachedRing;
  }
}
