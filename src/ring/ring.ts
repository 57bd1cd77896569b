import { RING_SIZE } from '../core/hash.js';
import { placementOrder } from './placement.js';
import { dcPlacementOrder, validateDcReplicas, type DcOrder, type DcReplicas } from './dc-placement.js';
import { TokenLookup } from './lookup.js';
import { buildTokenTable, compareIds, vnodeToken, type TokenOf, type TokenTable } from './tokens.js';
import { validateMembers, validateReplicaCount, type Ownership, type RingMember, type RingRange } from './types.js';

export interface RingOptions {
  /** Token of each vnode; defaults to `vnodeToken`. Every node must use the same one. */
  readonly tokenOf?: TokenOf;
  /**
   * Replicas per DC (`--replicas-per-dc`): each key gets that many replicas
   * in each DC named (dc-placement.ts), N being their sum. Absent: the first
   * N owners clockwise, wherever they are (placement.ts).
   */
  readonly replicasPerDc?: DcReplicas;
}

type ListTable = Array<readonly string[] | undefined>;

const NO_NODES: readonly string[] = [];

/**
 * Consistent-hashing ring: an immutable value computed from the member list
 * alone (the same members in any order give the same ring).
 *
 * Only 'normal' and 'leaving' members own ranges. A key's hash is owned by the
 * first token strictly greater than it (wrapping), so each token owns the
 * half-open range [previous token, token). Preference lists are computed once
 * per token range and per N, then shared: callers must not mutate them (they
 * are typed readonly but not frozen, since V8 copies frozen arrays slowly).
 */
export class Ring {
  /** All members, sorted by id, including those that do not own ranges. */
  readonly members: readonly RingMember[];
  /** Ids of the members that own ranges (normal or leaving, holding a token), sorted. */
  readonly owners: readonly string[];
  /** True when some member is joining or leaving, so `pending()` differs from this ring. */
  readonly hasPendingChanges: boolean;

  private readonly table: TokenTable;
  private readonly lookup: TokenLookup;
  private readonly byId: ReadonlyMap<string, RingMember>;
  private readonly tokenOf: TokenOf;
  readonly replicasPerDc: DcReplicas | undefined;
  private readonly dcOrders: Array<DcOrder | undefined> = [];
  private readonly lists = new Map<number, ListTable>();
  private pendingRing: Ring | undefined;

  private constructor(members: readonly RingMember[], tokenOf: TokenOf, replicasPerDc: DcReplicas | undefined) {
    this.members = members;
    this.byId = new Map(members.map((m) => [m.id, m]));
    this.tokenOf = tokenOf;
    this.replicasPerDc = replicasPerDc;
    this.table = buildTokenTable(members.filter((m) => m.state !== 'joining'), tokenOf);
    this.lookup = new TokenLookup(this.table.tokens);
    this.owners = this.table.nodes;
    this.hasPendingChanges = members.some((m) => m.state !== 'normal');
  }

  /** Throws QkvError ERR on a malformed member or a duplicate id. */
  static build(members: readonly RingMember[], opts: RingOptions = {}): Ring {
    validateMembers(members);
    const perDc = opts.replicasPerDc === undefined ? undefined : Object.freeze(opts.replicasPerDc.map(({ dc, count }) => Object.freeze({ dc, count })));
    if (perDc) validateDcReplicas(perDc);
    const copies = members
      .map((m) => Object.freeze({ id: m.id, rack: m.rack, dc: m.dc, vnodes: m.vnodes, state: m.state }))
      .sort((a, b) => compareIds(a.id, b.id));
    return new Ring(copies, opts.tokenOf ?? vnodeToken, perDc);
  }

  /** Number of distinct tokens owning ranges. */
  get tokenCount(): number {
    return this.table.tokens.length;
  }

  member(id: string): RingMember | undefined {
    return this.byId.get(id);
  }

  /**
   * The first `n` distinct owners clockwise from `hash`, rack-distinct where
   * there are enough racks; all owners when there are fewer than n; empty when
   * nothing owns the ring. Throws QkvError ERR if n is not a positive integer
   * or hash is outside [0, 2^64).
   */
  preferenceList(hash: bigint, n: number): readonly string[] {
    if (this.table.tokens.length === 0) {
      validateReplicaCount(n);
      return NO_NODES;
    }
    return this.listAt(this.lookup.ownerIndex(hash), n);
  }

  /**
   * Owners after the first `n` in preference order that `isUp` accepts: the
   * stand-ins for a sloppy quorum, best first. With replicas per DC, the
   * owners that are no home replica (the list is at most the home replicas).
   */
  fallbacks(hash: bigint, n: number, isUp: (nodeId: string) => boolean): string[] {
    validateReplicaCount(n);
    const out: string[] = [];
    if (this.owners.length <= n && !this.replicasPerDc) return out;
    let all: readonly string[];
    let from = n;
    if (this.replicasPerDc) {
      const { order, homes } = this.dcOrderAt(this.lookup.ownerIndex(hash));
      all = order.map((k) => this.table.nodes[k]!);
      from = Math.min(n, homes);
    } else {
      all = this.preferenceList(hash, this.owners.length);
    }
    for (let i = from; i < all.length; i++) if (isUp(all[i]!)) out.push(all[i]!);
    return out;
  }

  /** The DC of each owner, for callers that group replicas (undefined for a non-member). */
  dcOf(nodeId: string): string | undefined {
    return this.byId.get(nodeId)?.dc;
  }

  /** The ring once every join and leave completes: joining members own, leaving ones are gone. */
  pending(): Ring {
    if (!this.hasPendingChanges) return this;
    if (this.pendingRing === undefined) {
      const future = this.members
        .filter((m) => m.state !== 'leaving')
        .map((m) => (m.state === 'joining' ? Object.freeze({ ...m, state: 'normal' as const }) : m));
      this.pendingRing = new Ring(future, this.tokenOf, this.replicasPerDc);
    }
    return this.pendingRing;
  }

  /** The preference list of `hash` in the pending ring. */
  pendingPreferenceList(hash: bigint, n: number): readonly string[] {
    return this.pending().preferenceList(hash, n);
  }

  /**
   * Where a write should go while members join or leave: the current
   * preference list, then the nodes of the pending list not already in it.
   * Equals `preferenceList` when nothing is pending.
   */
  writeTargets(hash: bigint, n: number): readonly string[] {
    const current = this.preferenceList(hash, n);
    if (!this.hasPendingChanges) return current;
    const future = this.pendingPreferenceList(hash, n);
    const extra = future.filter((id) => !current.includes(id));
    return extra.length === 0 ? current : [...current, ...extra];
  }

  /**
   * Every range of the ring with its preference list, sorted by start,
   * covering [0, 2^64) exactly once. The range that wraps past 2^64 is split
   * at 0 into two entries with the same owners. A ring nothing owns is one
   * range with no owners.
   */
  ranges(n: number): RingRange[] {
    validateReplicaCount(n);
    const tokens = this.table.tokens;
    const last = tokens.length - 1;
    if (last < 0) return [{ start: 0n, end: RING_SIZE, owners: NO_NODES }];
    const out: RingRange[] = [];
    if (tokens[0]! > 0n) out.push({ start: 0n, end: tokens[0]!, owners: this.listAt(0, n) });
    for (let i = 1; i <= last; i++) out.push({ start: tokens[i - 1]!, end: tokens[i]!, owners: this.listAt(i, n) });
    out.push({ start: tokens[last]!, end: RING_SIZE, owners: this.listAt(0, n) });
    return out;
  }

  /** The ranges whose first `n` replicas include `nodeId`. */
  rangesOf(nodeId: string, n: number): RingRange[] {
    return this.ranges(n).filter((r) => r.owners.includes(nodeId));
  }

  /** The share of the ring `nodeId` is primary for, and the share it holds a replica of. */
  ownership(nodeId: string, n: number): Ownership {
    validateReplicaCount(n);
    const tokens = this.table.tokens;
    if (!this.owners.includes(nodeId)) return { primary: 0, replica: 0 };
    let primary = 0n;
    let replica = 0n;
    for (let i = 0; i < tokens.length; i++) {
      // Token i owns [tokens[i-1], tokens[i]); token 0 owns the wrapping arc.
      const width = i === 0 ? tokens[0]! + RING_SIZE - tokens[tokens.length - 1]! : tokens[i]! - tokens[i - 1]!;
      const owners = this.listAt(i, n);
      if (owners[0] === nodeId) primary += width;
      if (owners.includes(nodeId)) replica += width;
    }
    return { primary: fraction(primary), replica: fraction(replica) };
  }

  /** The memoized preference list of the range owned by token `index`. */
  private listAt(index: number, n: number): readonly string[] {
    let lists = this.lists.get(n);
    if (lists === undefined) {
      validateReplicaCount(n);
      lists = new Array<readonly string[] | undefined>(this.table.tokens.length);
      this.lists.set(n, lists);
    }
    return lists[index] ?? (lists[index] = this.computeList(index, n));
  }

  private computeList(index: number, n: number): readonly string[] {
    if (this.replicasPerDc) {
      // Never more than the home replicas: the list of N is the same whatever DC is short of nodes.
      const { order, homes } = this.dcOrderAt(index);
      return order.slice(0, Math.min(n, homes)).map((k) => this.table.nodes[k]!);
    }
    const order = placementOrder(this.table, index, n);
    return order.map((k) => this.table.nodes[k]!);
  }

  private dcOrderAt(index: number): DcOrder {
    return (this.dcOrders[index] ??= dcPlacementOrder(this.table, index, this.replicasPerDc!));
  }
}

function fraction(part: bigint): number {
  return Number(part) / Number(RING_SIZE);
}
