import { STATUS_NAMES, type MemberRecord } from './member-state.js';
import type { MemberList } from './member-list.js';
import { encodeRecords } from './push-pull.js';

/**
 * Push-pull in proportion to change. The full-table exchange
 * (push-pull.ts) costs O(n) bytes each way however alike the two tables
 * are; a thousand members at 30 s each made it most of a node's gossip
 * traffic. A sync instead:
 *
 *   1. sends the table hash (member-list.ts); equal hashes end it there,
 *      which is the usual case in a quiet cluster;
 *   2. otherwise gets the peer's digest (id, incarnation, status per
 *      member: about a tenth of a full record);
 *   3. sends the records the peer lacks or holds older, names those it
 *      wants, and gets those back.
 *
 * A node that does not know these requests (an older version) answers
 * with an error, and the caller falls back to the full exchange.
 */
export const SYNC_HASH = 'm.sync-hash';
export const SYNC_DIFF = 'm.sync-diff';

/** One member in a digest: id, incarnation and the status's index in STATUS_NAMES. */
type DigestEntry = [string, number, number];

export function hashRequest(list: MemberList): Record<string, unknown> {
  return { type: SYNC_HASH, hash: list.hash() };
}

/** The reply to a hash request: nothing when the tables agree, else this node's digest. */
export function answerHash(list: MemberList, msg: unknown): Record<string, unknown> {
  const hash = (msg as { hash?: unknown } | null)?.hash;
  if (hash === list.hash()) return { same: true };
  const digest: DigestEntry[] = [];
  for (const rec of list.records()) digest.push([rec.info.id, rec.info.incarnation, STATUS_NAMES.indexOf(rec.status)]);
  return { digest };
}

export interface Difference {
  /** Records this node holds newer than the peer, or that it lacks. */
  readonly push: MemberRecord[];
  /** Members the peer holds newer, or that this node lacks. */
  readonly want: string[];
}

/** What differs between this node's table and a peer's digest; null when the reply is not a digest. */
export function differences(list: MemberList, reply: unknown): Difference | null {
  const digest = (reply as { digest?: unknown } | null)?.digest;
  if (!Array.isArray(digest)) return null;
  const theirs = new Map<string, [number, number]>();
  for (const e of digest as unknown[]) {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number' || typeof e[2] !== 'number') continue;
    theirs.set(e[0], [e[1], e[2]]);
  }
  const push: MemberRecord[] = [];
  const want: string[] = [];
  for (const rec of list.records()) {
    const other = theirs.get(rec.info.id);
    theirs.delete(rec.info.id);
    const order = other ? compare([rec.info.incarnation, STATUS_NAMES.indexOf(rec.status)], other) : 1;
    if (order > 0) push.push(rec);
    else if (order < 0) want.push(rec.info.id);
  }
  for (const id of theirs.keys()) want.push(id);
  return { push, want };
}

export function diffRequest(d: Difference): Record<string, unknown> {
  return { type: SYNC_DIFF, members: encodeRecords(d.push), want: d.want };
}

/** The records a diff request asks for (after its own records were merged). */
export function answerDiff(list: MemberList, msg: unknown): Record<string, unknown> {
  const want = (msg as { want?: unknown } | null)?.want;
  const out: MemberRecord[] = [];
  if (Array.isArray(want)) {
    for (const id of want as unknown[]) {
      const rec = typeof id === 'string' ? list.get(id) : undefined;
      if (rec) out.push(rec);
    }
  }
  return { members: encodeRecords(out) };
}

/** Incarnation first, then the graver status, as member-state.ts judges. */
function compare(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}
