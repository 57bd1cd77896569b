import type { MemberInfo } from './member.js';

/**
 * What the cluster believes about a member, and the rules by which gossip
 * about it is accepted. One number orders everything: the incarnation, which
 * only the member itself raises (on restart, to refute a suspicion, or to
 * change its record). At an equal incarnation the graver status wins
 * (alive < suspect < dead < left), so suspicion and death spread until the
 * member answers with a higher incarnation.
 *
 * A member that left (or that an operator removed) stays out: only a record
 * with a higher incarnation in ring state 'joining' brings it back, so a
 * removed node that restarts with its old data cannot silently reclaim its
 * ranges; it must join again.
 */
export type MemberStatusName = 'alive' | 'suspect' | 'dead' | 'left';

export const STATUS_NAMES: readonly MemberStatusName[] = ['alive', 'suspect', 'dead', 'left'];

export interface MemberRecord {
  readonly info: MemberInfo;
  readonly status: MemberStatusName;
}

/** One piece of gossip about one member. */
export type GossipUpdate =
  | { readonly kind: 'alive'; readonly member: MemberInfo }
  | { readonly kind: 'suspect' | 'dead' | 'left'; readonly id: string; readonly incarnation: number; readonly by: string };

/** What to do with an update about another member. */
export type Verdict =
  /** Take it: the record or status changes. */
  | 'apply'
  /** Same suspicion at the same incarnation from someone else: counts toward Lifeguard's confirmations. */
  | 'confirm'
  /** Old or redundant news. */
  | 'ignore';

export function updateId(u: GossipUpdate): string {
  return u.kind === 'alive' ? u.member.id : u.id;
}

export function updateIncarnation(u: GossipUpdate): number {
  return u.kind === 'alive' ? u.member.incarnation : u.incarnation;
}

/** Judges an update about a member other than this node against what this node knows. */
export function judge(current: MemberRecord | undefined, u: GossipUpdate): Verdict {
  const inc = updateIncarnation(u);
  if (!current) return u.kind === 'alive' ? 'apply' : 'ignore';
  const known = current.info.incarnation;
  switch (u.kind) {
    case 'alive':
      if (inc <= known) return 'ignore';
      if (current.status === 'left' && u.member.state !== 'joining') return 'ignore';
      return 'apply';
    case 'suspect':
      if (inc < known || current.status === 'dead' || current.status === 'left') return 'ignore';
      if (current.status === 'suspect' && inc === known) return 'confirm';
      return 'apply';
    case 'dead':
      if (inc < known || current.status === 'left') return 'ignore';
      if (current.status === 'dead' && inc === known) return 'ignore';
      return 'apply';
    case 'left':
      if (inc < known || (current.status === 'left' && inc === known)) return 'ignore';
      return 'apply';
  }
}

/** The record after an update judged 'apply' (an unknown member's suspect/dead/left is never applied). */
export function applyUpdate(current: MemberRecord | undefined, u: GossipUpdate): MemberRecord {
  if (u.kind === 'alive') return { info: u.member, status: 'alive' };
  if (!current) throw new Error(`no record of ${u.id} to mark ${u.kind}`);
  return { info: { ...current.info, incarnation: u.incarnation }, status: u.kind };
}

/** The gossip that states a record as it is (for push-pull and for re-spreading what was learned). */
export function updateOf(rec: MemberRecord, by: string): GossipUpdate {
  if (rec.status === 'alive') return { kind: 'alive', member: rec.info };
  return { kind: rec.status, id: rec.info.id, incarnation: rec.info.incarnation, by };
}
