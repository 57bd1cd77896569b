/**
 * The membership module: who is in the cluster, where each member listens,
 * and whether it is reachable now, by SWIM gossip over datagrams with
 * push-pull of the full table over peer RPC.
 */
export { type MemberInfo, parseMember, parseMembers, encodeMember, sameMember } from './member.js';
export { type MemberRecord, type MemberStatusName, type GossipUpdate } from './member-state.js';
export { MemberSaver, loadMembers, encodeMembers, MEMBERS_META_KEY, type MetaStore, type LoadedMembers } from './member-store.js';
export { PHI_MAX } from './phi-accrual.js';
export { SwimMembership } from './swim-membership.js';
export {
  DEFAULT_TUNING,
  MEMBERSHIP_PREFIX,
  PUSH_PULL,
  isMembershipMessage,
  type GossipObserver,
  type LogFn,
  type LogLevel,
  type MemberEvent,
  type MemberSnapshot,
  type MemberView,
  type SwimOptions,
  type SwimTuning,
} from './swim-options.js';
