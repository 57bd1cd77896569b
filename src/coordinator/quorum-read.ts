import { withTimeout } from '../core/timeout.js';
import { QkvError } from '../core/errors.js';
import { keyHash } from '../core/hash.js';
import type { TimerHandle } from '../core/clock.js';
import { decodeObject } from '../versioning/codec.js';
import type { VersionedObject } from '../versioning/types.js';
import type { ReadCopy } from './batch-messages.js';
import { byPhi, reachable, Tally, type DataPath } from './data-path.js';
import { MAX_GET_KEYS } from './messages.js';
import { readDigest } from './read-digest.js';
import { mergeReplies, repairKey } from './read-repair.js';
import { localReadTimeout } from './refusals.js';
import { ackSummary, countedReplicas, firstAsks, levelName, levelVerdict, type LevelChoice, type PlacedReplica } from './consistency.js';

type Copies = Array<VersionedObject | undefined>;

/** Default wait before a read also asks the replicas it did not ask at first (speculative retry). */
export const DEFAULT_SPECULATIVE_RETRY_MS = 5;

interface KeyRead {
  /** Its place in the keys read. */
  readonly at: number;
  readonly key: Buffer;
  /** Replicas the key has (N, or fewer on a small ring). */
  readonly replicas: number;
  readonly tally: Tally;
  readonly replies: Map<string, VersionedObject | undefined>;
  /** Replicas that failed or were not reachable (what a level's rule needs besides the replies). */
  readonly failedNodes: Set<string>;
  /** Flush epochs of every reply, older ones included (a repair needs them all equal). */
  readonly epochs: Set<number>;
  /** Reachable replicas not asked yet, healthiest first: asked after the speculative delay or when one fails. */
  readonly spare: string[];
  /** Asks of this key still unanswered. */
  asking: number;
  /** The newest flush epoch a reply came with: replies from before it are ignored. */
  newest: number;
  /** The merged answer, set once R replicas answered. */
  result?: VersionedObject | undefined;
  done: boolean;
}

/**
 * A quorum read of some keys. Each key is read from R of its reachable
 * replicas, this node first when it is one, the others healthiest (lowest
 * phi) first; this node's copies are read before the others are asked, and
 * the others are asked for a digest of their copy against it (read-digest.ts):
 * only a replica whose copy differs sends it. When a key's R answers are
 * not in after the speculative delay, or one fails, its remaining reachable
 * replicas are asked too (whole copies). The read resolves once R replicas
 * of each key answered, with the merge of their copies. Replicas the member
 * view holds unreachable are not asked, so a read that cannot reach R
 * replicas fails at once. Once every ask is answered (or the timeout
 * passed), replicas that answered with less are repaired in the background.
 *
 * A reply from an older flush epoch than another reply's comes from a
 * replica that missed a FLUSHALL (a node back in the ring with its old disk
 * that has not adopted the new epoch yet): it is ignored, counted as a
 * failed replica, so flushed data is never served back. A digest match
 * counts only between copies read at the same epoch.
 *
 * With a consistency level instead of R, the replicas the level counts are
 * the candidates (only the local DC's for LOCAL_ONE and LOCAL_QUORUM: remote
 * replicas are not asked), the fewest that meet it are asked first, and the
 * read resolves once the level's rule is met (consistency.ts).
 */
export async function quorumRead(dp: DataPath, keys: readonly Buffer[], n: number, r: number, timeoutMs: number, level?: LevelChoice): Promise<Copies> {
  if (keys.length === 0) return [];
  const ring = dp.members.ring();
  const first = new Map<string, number[]>();
  const need = level ? levelName(level.cl) : String(r);
  const reads: KeyRead[] = keys.map((key, i) => {
    const replicas = ring.preferenceList(keyHash(key), n);
    const placed: PlacedReplica[] = level ? replicas.map((id) => ({ id, dc: ring.dcOf(id) ?? '' })) : [];
    const candidates = level ? countedReplicas(level.cl, placed, level.dc).map((p) => p.id) : replicas;
    const up = byPhi(
      dp,
      candidates.filter((node) => reachable(dp, node)),
    );
    const self = up.indexOf(dp.self);
    if (self > 0) up.unshift(...up.splice(self, 1));
    const asks = level ? firstAsks(level.cl, placed, level.dc, up) : up.length >= r ? up.slice(0, r) : undefined;
    if (!asks) {
      const reach = level ? `${ackSummary(placed, new Set(up))} replicas reachable` : `${up.length} of ${replicas.length} replicas reachable`;
      throw new QkvError('UNAVAILABLE', `${reach}, ${need} needed`);
    }
    for (const node of asks) {
      const list = first.get(node);
      if (list) list.push(i);
      else first.set(node, [i]);
    }
    const replies = new Map<string, VersionedObject | undefined>();
    const failedNodes = new Set(candidates.filter((node) => !up.includes(node)));
    const tally = level ? new LevelTally(up.length, asks.length, level, placed, replies, failedNodes) : new Tally(up.length, r);
    const spare = up.filter((node) => !asks.includes(node));
    return { at: i, key, replicas: replicas.length, tally, replies, failedNodes, epochs: new Set(), spare, asking: 0, newest: -1, done: false };
  });
  // This node is the only replica asked (a cluster of one, or R = 1): no timer, and nothing to repair.
  if (first.size === 1 && first.has(dp.self) && reads.every((k) => k.spare.length === 0)) {
    const local = withTimeout(dp.clock, dp.replica.get(keys), timeoutMs, () => new QkvError('TIMEOUT', localReadTimeout(timeoutMs)));
    return (await local).objs;
  }
  return new Promise<Copies>((resolve, reject) => {
    let open = reads.length;
    let settled = false;
    /** Asks in flight; -1 once the timeout passed (late replies are not waited for). */
    let outstanding = 0;
    let timer: TimerHandle | undefined;
    let speculative: TimerHandle | undefined;

    const finish = (): void => {
      timer?.cancel();
      speculative?.cancel();
      for (const k of reads) repairKey(dp, k.key, k.replies, k.epochs, timeoutMs);
    };
    const fail = (err: QkvError): void => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    /** Asks spare replicas of k until its answered and pending asks could make R. */
    const topUp = (k: KeyRead): void => {
      while (!k.done && k.spare.length > 0 && k.tally.ok + k.asking < k.tally.need) ask(k.spare.shift()!, [k.at], null);
    };
    const answerKey = (k: KeyRead, node: string, copy: VersionedObject | undefined | null, epoch: number): void => {
      k.asking--;
      if (copy !== null) k.epochs.add(epoch);
      if (copy !== null && epoch >= k.newest) {
        if (epoch > k.newest) {
          // The replies so far are from before a FLUSHALL this one has seen: they no longer count.
          k.tally.ok -= k.replies.size;
          k.tally.failed += k.replies.size;
          for (const stale of k.replies.keys()) k.failedNodes.add(stale);
          k.replies.clear();
          k.newest = epoch;
        }
        k.tally.ok++;
        k.replies.set(node, copy);
      } else {
        k.tally.failed++;
        k.failedNodes.add(node);
      }
      if (k.done) return;
      if (k.tally.met) {
        k.done = true;
        k.result = mergeReplies(k.replies);
        open--;
      } else if (k.tally.impossible) {
        fail(new QkvError('UNAVAILABLE', `${k.tally.ok} of ${k.replicas} replicas answered, ${need} needed`));
      } else {
        topUp(k);
      }
    };
    /** Asks node for the keys at idxs; with `local` (this node's copies and the epoch they were read at), for digests against them. */
    const ask = (node: string, idxs: number[], local: { objs: Copies; epoch: number } | null): void => {
      outstanding++;
      for (const i of idxs) reads[i]!.asking++;
      const mine = idxs.map((i) => keys[i]!);
      const got: Promise<{ objs: Array<VersionedObject | undefined | null>; epoch: number }> =
        node === dp.self
          ? dp.replica.get(mine)
          : local
            ? remoteDigestGet(dp, node, mine, local.objs, timeoutMs).then(({ objs, epoch }) => ({
                // A digest match stands for this node's copy only when both were read at the same epoch.
                objs: objs.map((o, j) => (o === true ? (epoch === local.epoch ? local.objs[j] : null) : o)),
                epoch,
              }))
            : remoteGet(dp, node, mine, timeoutMs);
      // This node's copies in, the others are asked before any answer is counted (so no spare is asked meanwhile).
      got.then(
        ({ objs, epoch }) => {
          if (outstanding < 0) return;
          if (node === dp.self && local === null && !othersAsked) askOthers({ idxs, objs: objs as Copies, epoch });
          idxs.forEach((i, j) => answerKey(reads[i]!, node, objs[j], epoch));
          settle();
        },
        (err: unknown) => {
          if (outstanding < 0) return;
          dp.log('debug', 'replica read failed', { node, error: (err as Error).message });
          if (node === dp.self && !othersAsked) askOthers({ idxs, objs: null, epoch: 0 });
          for (const i of idxs) answerKey(reads[i]!, node, null, 0);
          settle();
        },
      );
    };
    /** After an answer: resolve when every key is done, repair when every ask is answered. */
    const settle = (): void => {
      if (!settled && open === 0) {
        settled = true;
        resolve(reads.map((k) => k.result));
      }
      if (--outstanding === 0) finish();
    };
    let othersAsked = false;
    const askOthers = (own: { idxs: number[]; objs: Copies | null; epoch: number }): void => {
      othersAsked = true;
      const localAt = new Map<number, VersionedObject | undefined>();
      if (own.objs) own.idxs.forEach((i, j) => localAt.set(i, own.objs![j]));
      for (const [node, idxs] of first) {
        if (node === dp.self) continue;
        // Keys this node holds get digest reads; the others (or all, when the local read failed) whole reads.
        const digest = idxs.filter((i) => localAt.has(i));
        const whole = idxs.filter((i) => !localAt.has(i));
        if (digest.length > 0) ask(node, digest, { objs: digest.map((i) => localAt.get(i)), epoch: own.epoch });
        if (whole.length > 0) ask(node, whole, null);
      }
    };

    timer = dp.clock.setTimeout(() => {
      timer = undefined;
      const late = reads.find((k) => !k.done);
      if (late) fail(new QkvError('TIMEOUT', `${late.tally.ok} of ${late.replicas} replicas answered within ${timeoutMs} ms, ${need} needed`));
      // Replies still on their way are not waited for: repair with what came.
      outstanding = -1;
      finish();
    }, timeoutMs);
    if (reads.some((k) => k.spare.length > 0) || first.has(dp.self)) {
      speculative = dp.clock.setTimeout(() => {
        speculative = undefined;
        if (outstanding < 0) return;
        // This node's own read is slow (a busy disk): the others are asked for whole copies, not digests.
        if (!othersAsked) askOthers({ idxs: [], objs: null, epoch: 0 });
        for (const k of reads) {
          while (!k.done && k.spare.length > 0) ask(k.spare.shift()!, [k.at], null);
        }
      }, Math.min(dp.speculativeRetryMs(), timeoutMs));
    }
    if (first.has(dp.self)) ask(dp.self, first.get(dp.self)!, null);
    else askOthers({ idxs: [], objs: null, epoch: 0 });
  });
}

/** A replica's copies of keys, over as many rounds as requests and replies need (a reply may carry a prefix). */
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

/** Like remoteGet, against this node's copies: true where the replica's copy has the same read digest. */
async function remoteDigestGet(
  dp: DataPath,
  node: string,
  keys: Buffer[],
  local: Copies,
  timeoutMs: number,
): Promise<{ objs: Array<VersionedObject | undefined | true>; epoch: number }> {
  const digests = local.map(readDigest);
  const objs: Array<VersionedObject | undefined | true> = [];
  let epoch = Infinity;
  while (objs.length < keys.length) {
    const whole = objs.length === 0 && keys.length <= MAX_GET_KEYS;
    const end = Math.min(keys.length, objs.length + MAX_GET_KEYS);
    const reply = await dp.batch.digestGet(node, whole ? keys : keys.slice(objs.length, end), whole ? digests : digests.slice(objs.length, end), timeoutMs);
    for (const b of reply.objs as ReadCopy[]) objs.push(b === true ? true : b ? decodeObject(b) : undefined);
    epoch = Math.min(epoch, reply.epoch);
  }
  return { objs, epoch };
}

/**
 * A Tally whose quorum is a consistency level: met and impossible follow the
 * level's rule over the replicas that answered (`replies`) and those that
 * failed; `need` (how many to keep asked) is the size of the first asks.
 */
class LevelTally extends Tally {
  constructor(
    total: number,
    need: number,
    private readonly level: LevelChoice,
    private readonly placed: readonly PlacedReplica[],
    private readonly replies: ReadonlyMap<string, unknown>,
    private readonly failedNodes: ReadonlySet<string>,
  ) {
    super(total, need);
  }

  override get met(): boolean {
    return this.verdict() === 'satisfied';
  }

  override get impossible(): boolean {
    return this.verdict() === 'impossible';
  }

  private verdict(): string {
    return levelVerdict(this.level.cl, this.placed, this.level.dc, new Set(this.replies.keys()), this.failedNodes);
  }
}
