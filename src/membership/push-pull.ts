import { encodeMember, parseMember } from './member.js';
import { STATUS_NAMES, type MemberRecord, type MemberStatusName } from './member-state.js';
import { PUSH_PULL } from './swim-options.js';

/**
 * The full-table exchange over peer RPC: a joining node learns the whole
 * cluster in one round trip, and periodic exchanges repair whatever gossip
 * missed (including views split by a partition). The request carries the
 * sender's table, the reply the receiver's table after merging it.
 */
const STATUSES: ReadonlySet<string> = new Set(STATUS_NAMES);

export function pushPullRequest(records: readonly MemberRecord[]): Record<string, unknown> {
  return { type: PUSH_PULL, members: encodeRecords(records) };
}

export function encodeRecords(records: readonly MemberRecord[]): Array<Record<string, unknown>> {
  return records.map((r) => ({ ...encodeMember(r.info), status: r.status }));
}

/** The records in a push-pull request or reply; malformed entries are skipped. */
export function parseRecords(msg: unknown): MemberRecord[] {
  const list = (msg as { members?: unknown } | null)?.members;
  if (!Array.isArray(list)) return [];
  const out: MemberRecord[] = [];
  for (const item of list as unknown[]) {
    const info = parseMember(item);
    const status = (item as { status?: unknown }).status;
    if (info && typeof status === 'string' && STATUSES.has(status)) out.push({ info, status: status as MemberStatusName });
  }
  return out;
}
