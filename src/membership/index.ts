/**
 * The membership module: who is in the cluster, where each member listens,
 * and whether it is reachable now. Static membership (table exchange with
 * seeds and members over peer RPC) stands behind MemberView until SWIM
 * gossip replaces it.
 */
export { type MemberInfo, parseMember, parseMembers, encodeMember, sameMember } from './member.js';
export { MemberTable, type MergeResult } from './member-table.js';
export { MemberSaver, loadMembers, encodeMembers, MEMBERS_META_KEY, type MetaStore, type LoadedMembers } from './member-store.js';
export {
  StaticMembership,
  isMembershipMessage,
  HELLO,
  MEMBERSHIP_PREFIX,
  type MemberView,
  type MemberStatus,
  type StaticMembershipOptions,
  type LogFn,
  type LogLevel,
} from './static-members.js';
