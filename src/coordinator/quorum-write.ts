import { QkvError } from '../core/errors.js';
import { withTimeout } from '../core/timeout.js';
import { keyMd5 } from '../core/hash.js';
import type { Ring } from '../ring/ring.js';
import { clocksEqual, clockToText } from '../versioning/clock.js';
import { applyWrite, madeLive, mergeObjects } from '../versioning/object.js';
import type { OpReply } from '../versioning/collection-ops.js';
import type { VersionVector, VersionedObject } from '../versioning/types.js';
import type { Supersedes, WriteAcks, WriteRequest } from './api.js';
import type { DataPath } from './data-path.js';
import { quorumRead } from './quorum-read.js';
import { fanOut } from './write-fanout.js';
import { planWrite } from './write-plan.js';
import { ackSummary, levelName, levelVerdict, type LevelChoice } from './consistency.js';
import { deletesWhatItHolds, payloadFor } from './write-payload.js';
import { localReadTimeout, storageUnhealthy } from './refusals.js';
import type { Holder, KeyHolds } from './key-holds.js';

/** Why a coordinator turns a forwarded write away untouched (its view of the ring changed); the entry node tries another replica. */
export const NOT_A_REPLICA = 'is not a replica of the key in its view of the ring';

/** A coordinated write: the stored object, its acknowledgements, and a collection op's answer. */
export type WriteOutcome = { obj: VersionedObject; acks: WriteAcks; reply?: OpReply; created?: boolean };

export interface WriteParams {
  readonly n: number;
  readonly w: number;
  /** Acknowledgements that must come from home replicas (0..n); W or more turns the sloppy quorum off. */
  readonly pw: number;
  /** Replicas an IF check reads. */
  readonly r: number;
  readonly timeoutMs: number;
  /** A consistency level for the write (and its reads) instead of W, PW and R. */
  readonly level?: LevelChoice;
  /** The script holding the key whose write this is (key-holds.ts). */
  readonly holder?: Holder;
}

/**
 * The coordinating replica's half of a write. Under the node's per-key lock:
 * the IF check (a quorum read), the local copy, a new dot from this node
 * (applyWrite), and the put into the local store. Then, while that put
 * commits, the new object goes to the other replicas of its plan
 * (write-plan.ts: home replicas, stand-ins for unreachable ones, pending
 * owners, hints), and the write is acknowledged once W of them, this one
 * included once its put is durable, have it, at least PW of them home
 * replicas (write-fanout.ts). The two commits overlap instead of following
 * each other.
 *
 * A write that fails its quorum stays wherever it reached; it supersedes only
 * what its context covers, so it never hides an acknowledged write it did not see.
 */
export class WriteCoordinator {
  constructor(
    private readonly dp: DataPath,
    private readonly holds?: KeyHolds,
  ) {}

  /** `at`: where the key is, when the caller already looked (its MD5, and its home replicas on that ring). */
  async coordinate(key: Buffer, req: WriteRequest, p: WriteParams, at?: KeyPlace): Promise<WriteOutcome> {
    const holds = this.holds;
    if (!holds) return this.coordinateNow(key, req, p, at);
    // A script running here on the key goes first: this write waits for it, then builds on what it left.
    for (let held = holds.blocked(key, p.holder); held; held = holds.blocked(key, p.holder)) {
      const ms = p.timeoutMs;
      await withTimeout(this.dp.clock, held, ms, () => new QkvError('TIMEOUT', `a script on ${this.dp.self} held the key for more than ${ms} ms; nothing was written`));
    }
    holds.start(key);
    try {
      return await this.coordinateNow(key, req, p, at);
    } finally {
      holds.finish(key);
    }
  }

  private async coordinateNow(key: Buffer, req: WriteRequest, p: WriteParams, at?: KeyPlace): Promise<WriteOutcome> {
    const dp = this.dp;
    // A node whose disk fails or stalls steps aside before it issues a dot: another replica may take the write.
    const problem = dp.health?.problem();
    if (problem) throw new QkvError('UNAVAILABLE', storageUnhealthy(dp.self, problem), 'storage');
    const ring = dp.members.ring();
    const md5 = at?.md5 ?? keyMd5(key);
    const hash = md5.readBigUInt64BE(0);
    const sloppy = p.pw < p.w;
    // The home list is looked up again only if the ring changed since the caller looked.
    const plan = planWrite(dp, ring, hash, p.n, sloppy, at?.ring === ring ? at.home : undefined);
    const replicas = plan.home;
    if (!replicas.includes(dp.self)) throw new QkvError('UNAVAILABLE', `${dp.self} ${NOT_A_REPLICA}`, 'not-a-replica');
    const up = plan.upHome.length;
    const stand = plan.standIns.length;
    if (p.level) {
      const placed = replicas.map((id) => ({ id, dc: ring.dcOf(id) ?? '' }));
      const down = new Set(replicas.filter((id) => !plan.upHome.includes(id)));
      if (levelVerdict(p.level.cl, placed, p.level.dc, new Set(), down) === 'impossible') {
        const name = `${levelName(p.level.cl)} (from ${p.level.dc})`;
        throw new QkvError('UNAVAILABLE', `${name} cannot be met: ${ackSummary(placed, new Set(plan.upHome))} replicas reachable; nothing was written`);
      }
    } else if (up + stand < p.w) {
      const with_ = stand > 0 ? ` (${stand} of them stand-ins)` : '';
      throw new QkvError('UNAVAILABLE', `${up + stand} of ${replicas.length} replicas reachable${with_}, ${p.w} needed; nothing was written`);
    }
    if (!p.level && up < p.pw) {
      throw new QkvError('UNAVAILABLE', `${up} of ${replicas.length} home replicas reachable, ${p.pw} needed; nothing was written`);
    }
    // An increment or a collection write builds on the state it finds, and a state that started before a
    // write it did not see (a DEL) loses to it whole. This replica's copy may lack such a write (it missed
    // it, lost its disk, or collected a tombstone another replica still holds), so the write first reads R
    // replicas: with R + W > N it sees every write acknowledged before it was sent. The read is made before
    // the key lock, so writes to one hot key still follow each other at the speed of the local store.
    // A read that fails (too few replicas reachable for R, as a sloppy quorum may still write) leaves the
    // write to build on this replica's copy alone, as it did before it read: the write stays available.
    const prior = buildsOnPrior(req) && !req.ifClock ? quorumRead(dp, [key], p.n, p.r, p.timeoutMs, p.level).catch(() => []) : undefined;
    const locked = dp.replica.locks.run(key, async () => {
      const seen = req.ifClock ? await quorumRead(dp, [key], p.n, p.r, p.timeoutMs, p.level) : [];
      const [stored] = await dp.replica.getLatest([key]);
      const read = req.ifClock ? seen[0] : prior ? (await prior)[0] : undefined;
      const local = buildsOnPrior(req) ? mergedWith(stored, read) : stored;
      if (req.ifClock) {
        const current = seen[0] && local ? mergeObjects(seen[0], local) : (seen[0] ?? local);
        if (!clocksEqual(current?.clock ?? {}, req.ifClock)) {
          throw new QkvError(
            'CONFLICT',
            `the key changed since it was read: its version is ${clockToText(current?.clock ?? {})}, not ${clockToText(req.ifClock)}`,
          );
        }
      }
      const { payload, reply } = payloadFor(req, local, dp.replica.dots.actor, dp.clock.now());
      const next = applyWrite(local, contextFor(req.supersedes, local), dp.replica.dots, payload);
      const created = madeLive(local, next, dp.clock.now());
      return { obj: next, durable: dp.replica.put(key, next, md5), epoch: dp.replica.flushEpoch, reply, created };
    });
    // The lock and the local read are bounded by the request timeout (a stalled disk answers TIMEOUT, not
    // a hung client); the local put then commits while the version goes to the other replicas, and counts
    // as one acknowledgement once durable. Dots never repeat (each start of a node is a new actor), so a
    // crash before the local put lands cannot make this node issue the same dot for another write.
    const ms = p.timeoutMs;
    const { obj, durable, epoch, reply, created } = await withTimeout(dp.clock, locked, ms, () => new QkvError('TIMEOUT', localReadTimeout(ms)));
    const ownPut = durable.catch((err: unknown) => {
      dp.log('warn', 'local write failed', { error: (err as Error).message });
      throw new QkvError('UNAVAILABLE', `this node could not store the write (${(err as Error).message})`, 'storage');
    });
    const acks = await fanOut(dp, { key, hash, ring, n: p.n, obj, durable: ownPut, epoch }, plan, { w: p.w, pw: p.pw, timeoutMs: p.timeoutMs, sloppy, ...(p.level ? { level: p.level } : {}) });
    return { obj, acks, ...(reply === undefined ? {} : { reply }), ...(created ? { created } : {}) };
  }
}

/** A write whose new sibling is worked out from the prior state (an increment, a hash or set op). */
function buildsOnPrior(req: WriteRequest): boolean {
  return req.op !== undefined || req.counterDelta !== undefined || deletesWhatItHolds(req);
}

function mergedWith(a: VersionedObject | undefined, b: VersionedObject | undefined): VersionedObject | undefined {
  return a && b ? mergeObjects(a, b) : (a ?? b);
}

/** Where a key is: its MD5 (keyMd5) and its home replicas on `ring`, looked up once per command. */
export interface KeyPlace {
  readonly md5: Buffer;
  readonly ring: Ring;
  readonly home: readonly string[];
}

/** The clock a write's new sibling supersedes. */
export function contextFor(s: Supersedes, local: VersionedObject | undefined): VersionVector {
  switch (s.kind) {
    case 'blind':
      return {};
    case 'context':
      return s.clock;
    case 'local':
      return local?.clock ?? {};
  }
}
