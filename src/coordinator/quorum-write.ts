import { QkvError } from '../core/errors.js';
import { keyHash } from '../core/hash.js';
import { encodeObject } from '../versioning/codec.js';
import { clocksEqual, clockToText } from '../versioning/clock.js';
import { applyWrite, mergeObjects } from '../versioning/object.js';
import type { VersionVector, VersionedObject } from '../versioning/types.js';
import type { Supersedes, WriteRequest } from './api.js';
import { reachable, Tally, type DataPath } from './data-path.js';
import { quorumRead } from './quorum-read.js';

export interface WriteParams {
  readonly n: number;
  readonly w: number;
  /** Replicas an IF check reads. */
  readonly r: number;
  readonly timeoutMs: number;
}

/** Keys whose own write this node could not store locally, at most; past it the node stops coordinating writes. */
export const MAX_UNSTORED = 10_000;

/**
 * The coordinating replica's half of a write. Under the node's per-key lock:
 * the IF check (a quorum read), the local copy, a new dot from this node
 * (applyWrite), and the put into the local store. Then the new object goes to
 * the other replicas ('r.merge') and the write is acknowledged once W
 * replicas, this one included (its local put durable), have it.
 *
 * A write that fails its quorum stays wherever it reached; it supersedes only
 * what its context covers, so it never hides an acknowledged write it did not see.
 */
export class WriteCoordinator {
  /**
   * Own writes whose local put failed after they were sent to other replicas:
   * they are merged into the local copy before the next dot is issued, so a
   * dot is never issued twice for different values.
   */
  private readonly unstored = new Map<string, VersionedObject>();

  constructor(private readonly dp: DataPath) {}

  async coordinate(key: Buffer, req: WriteRequest, p: WriteParams): Promise<VersionedObject> {
    const dp = this.dp;
    const replicas = dp.members.ring().preferenceList(keyHash(key), p.n);
    if (!replicas.includes(dp.self)) throw new QkvError('UNAVAILABLE', `${dp.self} is not a replica of the key in its view of the ring`);
    const up = replicas.filter((node) => reachable(dp, node));
    if (up.length < p.w) {
      throw new QkvError('UNAVAILABLE', `${up.length} of ${replicas.length} replicas reachable, ${p.w} needed; nothing was written`);
    }
    const id = key.toString('latin1');
    if (this.unstored.size >= MAX_UNSTORED && !this.unstored.has(id)) {
      throw new QkvError('ERR', 'local storage is failing: this node stopped coordinating writes');
    }
    const { obj, durable, epoch } = await dp.replica.locks.run(key, async () => {
      const seen = req.ifClock ? await quorumRead(dp, [key], p.n, p.r, p.timeoutMs) : [];
      const lost = this.unstored.get(id);
      const [stored] = (await dp.replica.get([key])).objs;
      const local = lost && stored ? mergeObjects(stored, lost) : (stored ?? lost);
      if (req.ifClock) {
        const current = seen[0] && local ? mergeObjects(seen[0], local) : (seen[0] ?? local);
        if (!clocksEqual(current?.clock ?? {}, req.ifClock)) {
          throw new QkvError(
            'CONFLICT',
            `the key changed since it was read: its version is ${clockToText(current?.clock ?? {})}, not ${clockToText(req.ifClock)}`,
          );
        }
      }
      const next = applyWrite(local, contextFor(req.supersedes, local), dp.self, {
        value: req.value,
        tombstone: req.tombstone,
        expireAt: req.expireAt,
        ts: dp.clock.now(),
      });
      return { obj: next, durable: this.storeOwn(key, next, lost), epoch: dp.replica.flushEpoch };
    });
    return this.replicate(key, obj, durable, epoch, replicas.length, up, p);
  }

  /** The local put of an own write; a failure keeps the object for the next write of the key. */
  private storeOwn(key: Buffer, obj: VersionedObject, absorbed: VersionedObject | undefined): Promise<void> {
    const id = key.toString('latin1');
    const durable = this.dp.replica.put(key, obj);
    durable.then(
      () => {
        if (absorbed && this.unstored.get(id) === absorbed) this.unstored.delete(id);
      },
      () => {
        const prev = this.unstored.get(id);
        this.unstored.set(id, prev ? mergeObjects(prev, obj) : obj);
      },
    );
    return durable;
  }

  private replicate(
    key: Buffer,
    obj: VersionedObject,
    durable: Promise<void>,
    epoch: number,
    total: number,
    up: readonly string[],
    p: WriteParams,
  ): Promise<VersionedObject> {
    const dp = this.dp;
    const unavailable = (acked: number) =>
      new QkvError('UNAVAILABLE', `${acked} of ${total} replicas acknowledged, ${p.w} needed; the write may be present on some replicas`);
    // This node is the only replica written to (a cluster of one): no timer, no encoding.
    if (up.length === 1) {
      return durable.then(
        () => obj,
        (err: unknown) => {
          dp.log('debug', 'replica write failed', { node: dp.self, error: (err as Error).message });
          throw unavailable(0);
        },
      );
    }
    return new Promise<VersionedObject>((resolve, reject) => {
      const tally = new Tally(total, p.w);
      tally.failed = total - up.length;
      let settled = false;
      const timer = dp.clock.setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(
          new QkvError(
            'TIMEOUT',
            `${tally.ok} of ${total} replicas acknowledged within ${p.timeoutMs} ms, ${p.w} needed; the write may be present on some replicas`,
          ),
        );
      }, p.timeoutMs);
      const ack = (ok: boolean, node: string, err?: unknown): void => {
        if (ok) tally.ok++;
        else {
          tally.failed++;
          dp.log('debug', 'replica write failed', { node, error: (err as Error).message });
        }
        if (settled) return;
        if (tally.met) {
          settled = true;
          timer.cancel();
          resolve(obj);
        } else if (tally.impossible) {
          settled = true;
          timer.cancel();
          reject(unavailable(tally.ok));
        }
      };
      durable.then(
        () => ack(true, dp.self),
        (err: unknown) => ack(false, dp.self, err),
      );
      const encoded = encodeObject(obj);
      for (const node of up) {
        if (node === dp.self) continue;
        dp.peers.call(node, { type: 'r.merge', key, obj: encoded, epoch }, p.timeoutMs).then(
          () => ack(true, node),
          (err: unknown) => ack(false, node, err),
        );
      }
    });
  }
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
