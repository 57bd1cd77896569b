import type { LocalStore } from '../storage/local-store.js';
import { decodeObject, encodeObject } from '../versioning/codec.js';
import type { VersionedObject } from '../versioning/types.js';
import type { MergeLocal } from './exchange.js';
import {
  parseAntiEntropyRequest,
  type EntriesReply,
  type HashesReply,
  type NotReady,
  type PurgeableReply,
  type PurgeReply,
  type PushReply,
} from './messages.js';
import type { RangeTree } from './range-tree.js';
import { readByIdentity } from './read-by-identity.js';
import type { PurgeableStore } from '../storage/forwarding-store.js';
import type { TreeSet } from './tree-set.js';
import type { PurgeRefusal, PurgeVerdict } from './purge-verdict.js';
import { isTombstoneRecord } from './version-hash.js';

export interface ResponderDeps {
  readonly trees: TreeSet;
  readonly store: PurgeableStore & LocalStore;
  readonly mergeLocal: MergeLocal;
  readonly epoch: () => number | Promise<number>;
  /** About the most bytes of records one fetch reply carries. */
  readonly maxReplyBytes: number;
  /** This node's verdict on its copy of key, asked about the version whose digest is given (purge-verdict.ts). */
  readonly judge: (key: Buffer, held: VersionedObject, digest: bigint) => PurgeVerdict;
  /** Told of versions merged here on a peer's push, of records purged on a peer's request, and of purges refused. */
  readonly onPushed?: (merged: number, bytes: number) => void;
  readonly onPurged?: (kind: 'tombstone' | 'expired', removed: number) => void;
  readonly onRefused?: (reason: PurgeRefusal, keys: number) => void;
}

const NOT_READY: NotReady = { ready: false };

/** Answers a peer's 'a.*' request. Throws QkvError ERR on a malformed one. */
export async function answerAntiEntropy(deps: ResponderDeps, msg: unknown): Promise<unknown> {
  const req = parseAntiEntropyRequest(msg);
  switch (req.type) {
    case 'a.hashes': {
      const tree = readyTree(deps, req);
      if (!tree) return NOT_READY;
      const reply: HashesReply = { ready: true, hashes: req.nodes.map((n) => tree.nodeHash(req.level, n)) };
      return reply;
    }
    case 'a.entries': {
      const tree = readyTree(deps, req);
      if (!tree) return NOT_READY;
      const reply: EntriesReply = {
        ready: true,
        leaves: req.leaves.map((leaf) => {
          const e = tree.entries(leaf);
          return { pos: e.map((x) => x.pos), tags: e.map((x) => x.tag), digests: e.map((x) => x.digest) };
        }),
      };
      return reply;
    }
    case 'a.fetch': {
      // The epoch is read before the records, so a FLUSHALL meanwhile makes them look old, never new.
      const epoch = await deps.epoch();
      const found = await readByIdentity(deps.store, req.pos.map((pos, i) => ({ pos, tag: req.tags[i]! })), req.end);
      const reply: { epoch: number; keys: Buffer[]; objs: Buffer[]; more: boolean } = { epoch, keys: [], objs: [], more: false };
      let bytes = 0;
      for (const r of found) {
        if (bytes >= deps.maxReplyBytes) {
          reply.more = true;
          break;
        }
        const b = encodeObject(r.obj);
        bytes += b.length + r.key.length;
        reply.keys.push(r.key);
        reply.objs.push(b);
      }
      return reply;
    }
    case 'a.push': {
      const results = await Promise.allSettled(req.keys.map((key, i) => deps.mergeLocal(key, decodeObject(req.objs[i]!), req.epoch)));
      const merged = results.filter((r) => r.status === 'fulfilled').length;
      deps.onPushed?.(merged, req.objs.reduce((n, o, i) => n + o.length + req.keys[i]!.length, 0));
      const reply: PushReply = { merged, refused: results.length - merged };
      return reply;
    }
    case 'a.purgeable': {
      const verdicts = await Promise.all(
        req.keys.map(async (key, i): Promise<PurgeVerdict> => {
          let held: VersionedObject | undefined;
          try {
            held = await deps.store.get(key);
          } catch {
            return 'unreadable';
          }
          return held ? deps.judge(key, held, req.digests[i]!) : 'absent';
        }),
      );
      countRefusals(deps, verdicts);
      const reply: PurgeableReply = { verdicts };
      return reply;
    }
    case 'a.purge': {
      // Judged again as the removal is written: the copy may have changed since the proposer asked.
      const verdicts = await Promise.all(
        req.keys.map(async (key, i): Promise<string> => {
          try {
            if (!(await deps.store.get(key))) return 'absent';
          } catch {
            return 'unreadable';
          }
          const seen: { verdict: PurgeVerdict; kind: 'tombstone' | 'expired' } = { verdict: 'absent', kind: 'tombstone' };
          const removed = await deps.store.removeIf(key, (held) => {
            seen.verdict = deps.judge(key, held, req.digests[i]!);
            seen.kind = isTombstoneRecord(held) ? 'tombstone' : 'expired';
            return seen.verdict === 'dead';
          });
          if (!removed) return seen.verdict;
          deps.onPurged?.(seen.kind, 1);
          return 'purged';
        }),
      );
      countRefusals(deps, verdicts);
      const reply: PurgeReply = { removed: verdicts.filter((v) => v === 'purged').length, verdicts };
      return reply;
    }
  }
}

function countRefusals(deps: ResponderDeps, verdicts: readonly string[]): void {
  if (!deps.onRefused) return;
  const counts = new Map<PurgeRefusal, number>();
  for (const v of verdicts) if (v !== 'dead' && v !== 'absent' && v !== 'purged') counts.set(v as PurgeRefusal, (counts.get(v as PurgeRefusal) ?? 0) + 1);
  for (const [reason, n] of counts) deps.onRefused(reason, n);
}

function readyTree(deps: ResponderDeps, req: { start: bigint; end: bigint; depth: number }): RangeTree | null {
  const slot = deps.trees.slot(req);
  if (!slot || slot.state !== 'ready' || slot.tree.depth !== req.depth) return null;
  return slot.tree;
}
