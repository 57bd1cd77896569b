import type { Clock } from '../core/clock.js';
import type { LocalStore } from '../storage/local-store.js';
import type { RpcTransport } from '../transport/types.js';
import { decodeObject, encodeObject } from '../versioning/codec.js';
import { isDeadObject } from '../versioning/object.js';
import type { VersionedObject } from '../versioning/types.js';
import { MAX_ITEMS, wireRange, type EntriesReply, type FetchReply, type HashesReply, type NotReady, type PushReply } from './messages.js';
import type { RangeTree, TreeEntry } from './range-tree.js';
import { readByIdentity, type FoundRecord } from './read-by-identity.js';
import type { TokenBucket } from './token-bucket.js';
import { keyDigest, type KeyIdentity } from './version-hash.js';

export type MergeLocal = (key: Buffer, obj: VersionedObject, epoch: number) => Promise<void>;

export interface ExchangeDeps {
  readonly transport: Pick<RpcTransport, 'request'>;
  readonly store: LocalStore;
  readonly clock: Clock;
  readonly mergeLocal: MergeLocal;
  readonly epoch: () => number | Promise<number>;
  readonly keyBucket: TokenBucket;
  readonly byteBucket: TokenBucket;
  /** Keys fetched or pushed per message. */
  readonly batchKeys: number;
  /** Tree levels descended per round trip. */
  readonly descendStep: number;
  readonly timeoutMs: number;
}

export interface ExchangeResult {
  /** The peer had a ready tree for the same range. */
  readonly compared: boolean;
  /** Roots were equal: nothing to do. */
  readonly inSync: boolean;
  /** Every difference found was repaired both ways. */
  readonly agreed: boolean;
  readonly differingKeys: number;
  readonly pulled: number;
  readonly pushed: number;
  readonly bytes: number;
  /** Dead records (tombstones, expired) facing no record on the other side: left alone. */
  readonly skippedDead: number;
  readonly roundTrips: number;
}

interface Diff {
  readonly id: KeyIdentity;
  /** The peer's digest, null when the peer lacks the key. */
  readonly theirs: bigint | null;
  readonly mine: boolean;
}

/**
 * One exchange of one range with one peer, started by this node: compare
 * roots, descend only into differing subtrees (descendStep levels per round
 * trip), list the differing leaves' keys, then fetch the peer's versions of
 * keys that differ and merge them here (through the replica's own merge, so
 * under the key lock and the flush epoch), and push this node's resulting
 * versions where the peer's differ. Merging is by dotted version vectors:
 * siblings are kept, nothing is decided by timestamps.
 */
export async function exchangeRange(deps: ExchangeDeps, tree: RangeTree, peer: string): Promise<ExchangeResult> {
  const range = { ...wireRange(tree), depth: tree.depth };
  let roundTrips = 0;
  const ask = async <T>(msg: Record<string, unknown>): Promise<T | null> => {
    roundTrips++;
    const reply = (await deps.transport.request(peer, msg, { timeoutMs: deps.timeoutMs })) as T | NotReady;
    return (reply as NotReady).ready === false ? null : (reply as T);
  };
  const result = { compared: false, inSync: false, agreed: false, differingKeys: 0, pulled: 0, pushed: 0, bytes: 0, skippedDead: 0, roundTrips: 0 };

  // Descend: the differing nodes of each visited level.
  let level = 0;
  let differing = [0];
  for (;;) {
    const next: number[] = [];
    const shift = level === 0 && differing[0] === 0 && roundTrips === 0 ? 0 : Math.min(deps.descendStep, tree.depth - level);
    const childLevel = level + shift;
    const children: number[] = [];
    for (const n of differing) for (let c = n << shift; c < (n + 1) << shift; c++) children.push(c);
    for (let i = 0; i < children.length; i += MAX_ITEMS) {
      const nodes = children.slice(i, i + MAX_ITEMS);
      const reply = await ask<HashesReply>({ type: 'a.hashes', ...range, level: childLevel, nodes });
      if (!reply || reply.hashes.length !== nodes.length) return { ...result, roundTrips };
      nodes.forEach((n, j) => {
        if (tree.nodeHash(childLevel, n) !== reply.hashes[j]) next.push(n);
      });
    }
    result.compared = true;
    if (next.length === 0) return { ...result, inSync: childLevel === 0, agreed: true, roundTrips };
    level = childLevel;
    differing = next;
    if (level === tree.depth) break;
  }

  // List the differing leaves on both sides.
  const diffs: Diff[] = [];
  for (let i = 0; i < differing.length; ) {
    const leaves: number[] = [];
    let listed = 0;
    while (i < differing.length && leaves.length < MAX_ITEMS && (leaves.length === 0 || listed + tree.leafSize(differing[i]!) <= MAX_ITEMS * 4)) {
      listed += tree.leafSize(differing[i]!);
      leaves.push(differing[i++]!);
    }
    const reply = await ask<EntriesReply>({ type: 'a.entries', ...range, leaves });
    if (!reply || reply.leaves.length !== leaves.length) return { ...result, roundTrips };
    leaves.forEach((leaf, j) => {
      const l = reply.leaves[j]!;
      const theirs: TreeEntry[] = l.pos.map((pos, k) => ({ pos, tag: l.tags[k]!, digest: l.digests[k]! }));
      diffLeaf(tree.entries(leaf), theirs, diffs);
    });
  }
  result.differingKeys = diffs.length;

  let failed = false;
  for (let i = 0; i < diffs.length; i += deps.batchKeys) {
    const batch = diffs.slice(i, i + deps.batchKeys);
    try {
      const r = await repairBatch(deps, tree, peer, batch);
      result.pulled += r.pulled;
      result.pushed += r.pushed;
      result.bytes += r.bytes;
      result.skippedDead += r.skippedDead;
      roundTrips += r.roundTrips;
      if (r.refused > 0) failed = true;
    } catch {
      failed = true;
    }
  }
  return { ...result, agreed: !failed, roundTrips };
}

/** Keys present on one side only or with different digests; both lists are in (pos, tag) order. */
function diffLeaf(mine: TreeEntry[], theirs: TreeEntry[], out: Diff[]): void {
  let a = 0;
  let b = 0;
  while (a < mine.length || b < theirs.length) {
    const m = mine[a];
    const t = theirs[b];
    const c = !m ? 1 : !t ? -1 : m.pos < t.pos ? -1 : m.pos > t.pos ? 1 : m.tag - t.tag;
    if (c < 0) {
      out.push({ id: m!, theirs: null, mine: true });
      a++;
    } else if (c > 0) {
      out.push({ id: t!, theirs: t!.digest, mine: false });
      b++;
    } else {
      if (m!.digest !== t!.digest) out.push({ id: m!, theirs: t!.digest, mine: true });
      a++;
      b++;
    }
  }
}

interface BatchResult {
  pulled: number;
  pushed: number;
  bytes: number;
  skippedDead: number;
  refused: number;
  roundTrips: number;
}

async function repairBatch(deps: ExchangeDeps, tree: RangeTree, peer: string, batch: Diff[]): Promise<BatchResult> {
  const out: BatchResult = { pulled: 0, pushed: 0, bytes: 0, skippedDead: 0, refused: 0, roundTrips: 0 };
  const now = deps.clock.now();
  const mineBefore = new Map<string, FoundRecord>();
  for (const r of await readByIdentity(deps.store, batch.filter((d) => d.mine).map((d) => d.id), tree.end)) mineBefore.set(idText(r), r);

  // Pull: the peer's versions of keys it holds.
  const wanted = batch.filter((d) => d.theirs !== null);
  if (wanted.length > 0) {
    await deps.keyBucket.take(wanted.length);
    out.roundTrips++;
    const reply = (await deps.transport.request(
      peer,
      { type: 'a.fetch', ...wireRange(tree), pos: wanted.map((d) => d.id.pos), tags: wanted.map((d) => d.id.tag) },
      { timeoutMs: deps.timeoutMs },
    )) as FetchReply;
    if (reply.more) out.refused++;
    let bytes = 0;
    const merges: Array<Promise<void>> = [];
    reply.keys.forEach((key, i) => {
      const raw = reply.objs[i]!;
      bytes += key.length + raw.length;
      const obj = decodeObject(raw);
      const id = keyDigest(key, obj);
      if (!mineBefore.has(idText(id)) && isDeadObject(obj, now)) {
        out.skippedDead++;
        return;
      }
      merges.push(deps.mergeLocal(key, obj, reply.epoch).then(() => void out.pulled++));
    });
    await deps.byteBucket.take(bytes);
    out.bytes += bytes;
    const settled = await Promise.allSettled(merges);
    out.refused += settled.filter((s) => s.status === 'rejected').length;
  }

  // Push: this node's versions (after the merge) where the peer's differ.
  const epoch = await deps.epoch();
  const theirs = new Map(batch.map((d) => [`${d.id.pos.toString(16)}:${d.id.tag}`, d.theirs]));
  const keys: Buffer[] = [];
  const objs: Buffer[] = [];
  for (const r of await readByIdentity(deps.store, batch.filter((d) => d.mine).map((d) => d.id), tree.end)) {
    const peerDigest = theirs.get(idText(r)) ?? null;
    if (peerDigest === null && isDeadObject(r.obj, now)) {
      out.skippedDead++;
      continue;
    }
    if (peerDigest !== null && keyDigest(r.key, r.obj).digest === peerDigest) continue;
    keys.push(r.key);
    objs.push(encodeObject(r.obj));
  }
  if (keys.length > 0) {
    const bytes = keys.reduce((n, k, i) => n + k.length + objs[i]!.length, 0);
    await deps.keyBucket.take(keys.length);
    await deps.byteBucket.take(bytes);
    out.roundTrips++;
    const reply = (await deps.transport.request(peer, { type: 'a.push', epoch, keys, objs }, { timeoutMs: deps.timeoutMs })) as PushReply;
    out.pushed += reply.merged;
    out.refused += reply.refused;
    out.bytes += bytes;
  }
  return out;
}

function idText(r: { pos: bigint; tag: number }): string {
  return `${r.pos.toString(16)}:${r.tag}`;
}
