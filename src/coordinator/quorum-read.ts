import { withTimeout } from '../core/timeout.js';
import { QkvError } from '../core/errors.js';
import { keyHash } from '../core/hash.js';
import type { TimerHandle } from '../core/clock.js';
import { decodeObject } from '../versioning/codec.js';
import type { VersionedObject } from '../versioning/types.js';
import { byPhi, reachable, Tally, type DataPath } from './data-path.js';
import { MAX_GET_KEYS } from './messages.js';
import { mergeReplies, repairKey } from './read-repair.js';
import { localReadTimeout } from './refusals.js';

type Copies = Array<VersionedObject | undefined>;

interface KeyRead {
  readonly key: Buffer;
  /** Replicas the key has (N, or fewer on a small ring). */
  readonly replicas: number;
  readonly tally: Tally;
  readonly replies: Map<string, VersionedObject | undefined>;
  /** Flush epochs of every reply, older ones included (a repair needs them all equal). */
  readonly epochs: Set<number>;
  /** The newest flush epoch a reply came with: replies from before it are ignored. */
  newest: number;
  /** The merged answer, set once R replicas answered. */
  result?: VersionedObject | undefined;
  done: boolean;
}

/**
 * A quorum read of some keys: every reachable replica of every key is asked
 * (one r.get per node for all its keys, a local read for this node), and the
 * read resolves as soon as R replicas of each key answered, with the merge of
 * their copies. Replicas the member view holds unreachable are not asked, so
 * a read that cannot reach R replicas fails at once. After every reply is in
 * (or the timeout passed), stale replicas are repaired in the background.
 *
 * A reply from an older flush epoch than another reply's comes from a
 * replica that missed a FLUSHALL (a node back in the ring with its old disk
 * that has not adopted the new epoch yet): it is ignored, counted as a
 * failed replica, so flushed data is never served back.
 */
export async function quorumRead(dp: DataPath, keys: readonly Buffer[], n: number, r: number, timeoutMs: number): Promise<Copies> {
  if (keys.length === 0) return [];
  const ring = dp.members.ring();
  const byNode = new Map<string, number[]>();
  const reads: KeyRead[] = keys.map((key, i) => {
    const replicas = ring.preferenceList(keyHash(key), n);
    // Healthiest first: every reachable replica is still asked, but the likely fast ones are asked first.
    const up = byPhi(
      dp,
      replicas.filter((node) => reachable(dp, node)),
    );
    if (up.length < r) throw new QkvError('UNAVAILABLE', `${up.length} of ${replicas.length} replicas reachable, ${r} needed`);
    for (const node of up) {
      const list = byNode.get(node);
      if (list) list.push(i);
      else byNode.set(node, [i]);
    }
    return { key, replicas: replicas.length, tally: new Tally(up.length, r), replies: new Map(), epochs: new Set(), newest: -1, done: false };
  });
  // This node is the only replica asked (a cluster of one, or R = reachable = 1): no timer, nothing to repair.
  if (byNode.size === 1 && byNode.has(dp.self)) {
    const local = withTimeout(dp.clock, dp.replica.get(keys), timeoutMs, () => new QkvError('TIMEOUT', localReadTimeout(timeoutMs)));
    return (await local).objs;
  }
  return new Promise<Copies>((resolve, reject) => {
    let open = reads.length;
    let settled = false;
    let outstanding = byNode.size;
    let timer: TimerHandle | undefined;

    const finish = (): void => {
      timer?.cancel();
      for (const k of reads) repairKey(dp, k.key, k.replies, k.epochs, timeoutMs);
    };
    const fail = (err: QkvError): void => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    const answer = (node: string, idxs: number[], copies: Copies | null, epoch: number): void => {
      idxs.forEach((i, j) => {
        const k = reads[i]!;
        if (copies) k.epochs.add(epoch);
        if (copies && epoch >= k.newest) {
          if (epoch > k.newest) {
            // The replies so far are from before a FLUSHALL this one has seen: they no longer count.
            k.tally.ok -= k.replies.size;
            k.tally.failed += k.replies.size;
            k.replies.clear();
            k.newest = epoch;
          }
          k.tally.ok++;
          k.replies.set(node, copies[j]);
        } else {
          k.tally.failed++;
        }
        if (k.done) return;
        if (k.tally.met) {
          k.done = true;
          k.result = mergeReplies(k.replies);
          open--;
        } else if (k.tally.impossible) {
          fail(new QkvError('UNAVAILABLE', `${k.tally.ok} of ${k.replicas} replicas answered, ${r} needed`));
        }
      });
      if (!settled && open === 0) {
        settled = true;
        resolve(reads.map((k) => k.result));
      }
      if (--outstanding === 0) finish();
    };

    timer = dp.clock.setTimeout(() => {
      timer = undefined;
      const late = reads.find((k) => !k.done);
      if (late) fail(new QkvError('TIMEOUT', `${late.tally.ok} of ${late.replicas} replicas answered within ${timeoutMs} ms, ${r} needed`));
      // Replies still on their way are not waited for: repair with what came.
      outstanding = -1;
      finish();
    }, timeoutMs);

    for (const [node, idxs] of byNode) {
      const mine = idxs.map((i) => keys[i]!);
      const ask = node === dp.self ? dp.replica.get(mine) : remoteGet(dp, node, mine, timeoutMs);
      ask.then(
        ({ objs, epoch }) => outstanding >= 0 && answer(node, idxs, objs, epoch),
        (err: unknown) => {
          if (outstanding < 0) return;
          dp.log('debug', 'replica read failed', { node, error: (err as Error).message });
          answer(node, idxs, null, 0);
        },
      );
    }
  });
}

/** A replica's copies of keys, over as many r.get rounds as requests and replies need (a reply may carry a prefix). */
async function remoteGet(dp: DataPath, node: string, keys: Buffer[], timeoutMs: number): Promise<{ objs: Copies; epoch: number }> {
  const objs: Copies = [];
  let epoch = Infinity;
  while (objs.length < keys.length) {
    const rest = objs.length === 0 && keys.length <= MAX_GET_KEYS ? keys : keys.slice(objs.length, objs.length + MAX_GET_KEYS);
    const reply = await dp.batch.get(node, rest, timeoutMs);
    for (const b of reply.objs) objs.push(b ? decodeObject(b) : undefined);
    // The oldest epoch of the rounds: a repair from them is refused by any node flushed since.
    epoch = Math.min(epoch, reply.epoch);
  }
  return { objs, epoch };
}
