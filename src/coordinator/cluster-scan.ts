import { QkvError } from '../core/errors.js';
import type { RingRange } from '../ring/types.js';
import { decodeObject } from '../versioning/codec.js';
import { isDeadObject, mergeObjects } from '../versioning/object.js';
import type { VersionedObject } from '../versioning/types.js';
import { reachable, type DataPath } from './data-path.js';
import { MAX_SCAN_LIMIT, parseScanReply, scanRequest } from './messages.js';
import type { ReplicaScanEntry, ReplicaScanPage } from './replica-service.js';

export interface ScanResult {
  keys: Array<{ key: Buffer; obj: VersionedObject }>;
  next: bigint;
}

/** Ranges asked for in the first round of a scan call; each further round asks for twice as many. */
const FIRST_WINDOW = 16;

/**
 * One page of the cluster's live keys in ring order, from ring position
 * `cursor`. Rounds walk a window of consecutive ring ranges: for each range,
 * min(R, reachable) of its replicas are asked (this node first), each node
 * once for all its ranges of the window. The union of their pages is cut at
 * the earliest position where some node stopped, so every key before the cut
 * was seen by every replica asked and none after it is returned early: with
 * the cut as the next cursor, no key comes twice while nothing changes, and
 * keys sharing a ring position are never split (a store page never splits them).
 * Rounds continue until `count` live keys or the end of the ring.
 */
export async function clusterScan(dp: DataPath, cursor: bigint, count: number, n: number, r: number, timeoutMs: number): Promise<ScanResult> {
  const ranges = dp.members.ring().ranges(n);
  const keys: ScanResult['keys'] = [];
  let idx = rangeIndex(ranges, cursor, 0);
  let pos = cursor;
  let window = FIRST_WINDOW;
  while (idx < ranges.length && keys.length < count) {
    const end = Math.min(ranges.length, idx + window);
    window *= 2;
    const plan = new Map<string, Array<[bigint, bigint]>>();
    for (let i = idx; i < end; i++) {
      const range = ranges[i]!;
      const from = i === idx ? pos : range.start;
      for (const node of pickReplicas(dp, range, r, from)) {
        const list = plan.get(node);
        if (list) list.push([from, range.end]);
        else plan.set(node, [[from, range.end]]);
      }
    }
    const limit = Math.min(MAX_SCAN_LIMIT, Math.max(1, count - keys.length));
    const pages = await Promise.all([...plan].map(([node, asked]) => fetchPage(dp, node, asked, limit, timeoutMs)));
    const windowEnd = ranges[end - 1]!.end;
    let cut = windowEnd;
    for (const p of pages) if (p.next !== null && p.next < cut) cut = p.next;
    // A well-behaved node always returns at least one key before where it stops.
    if (cut <= pos) throw new QkvError('ERR', 'bad reply from peer: c.scan did not advance');
    const now = dp.clock.now();
    for (const e of unionBefore(pages, cut)) if (!isDeadObject(e.obj, now)) keys.push({ key: e.key, obj: e.obj });
    pos = cut;
    idx = cut === windowEnd ? end : rangeIndex(ranges, cut, idx);
  }
  return { keys, next: idx >= ranges.length ? 0n : pos };
}

/** The replicas to ask for one range: min(R, reachable) of its owners, this node first. */
function pickReplicas(dp: DataPath, range: RingRange, r: number, from: bigint): string[] {
  const up = range.owners.filter((node) => reachable(dp, node));
  if (up.length === 0) {
    throw new QkvError('UNAVAILABLE', `0 of ${range.owners.length} replicas of ring range [${from}, ${range.end}) reachable, 1 needed`);
  }
  const self = up.indexOf(dp.self);
  if (self > 0) up.unshift(...up.splice(self, 1));
  return up.slice(0, Math.min(r, up.length));
}

async function fetchPage(dp: DataPath, node: string, ranges: Array<[bigint, bigint]>, limit: number, timeoutMs: number): Promise<ReplicaScanPage> {
  if (node === dp.self) return dp.replica.scan(ranges, limit);
  const reply = parseScanReply(await dp.peers.call(node, scanRequest(ranges, limit), timeoutMs));
  const entries: ReplicaScanEntry[] = reply.keys.map((key, i) => ({ key, hash: reply.hashes[i]!, obj: decodeObject(reply.objs[i]!) }));
  return { entries, next: reply.next };
}

/** Every key of the pages before `cut`, copies of one key merged, in ring order (then key order). */
function unionBefore(pages: readonly ReplicaScanPage[], cut: bigint): ReplicaScanEntry[] {
  const byKey = new Map<string, ReplicaScanEntry>();
  for (const p of pages) {
    for (const e of p.entries) {
      if (e.hash >= cut) continue;
      const id = e.key.toString('latin1');
      const seen = byKey.get(id);
      byKey.set(id, seen ? { key: e.key, hash: e.hash, obj: mergeObjects(seen.obj, e.obj) } : e);
    }
  }
  return [...byKey.values()].sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : Buffer.compare(a.key, b.key)));
}

/** Index of the range holding ring position pos (ranges cover the ring in order), searching from `lo`. */
function rangeIndex(ranges: readonly RingRange[], pos: bigint, lo: number): number {
  let hi = ranges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ranges[mid]!.start <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
