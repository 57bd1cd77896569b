import { QkvError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { NOT_CACHED, type PipelinedStore } from '../storage/local-store.js';
import { clocksEqual, clockToText } from '../versioning/clock.js';
import { applyWrite, isDeadObject, madeLive } from '../versioning/object.js';
import { nodeOfActor, type DotIssuer } from '../versioning/actor.js';
import type { OpReply } from '../versioning/collection-ops.js';
import type { VersionedObject } from '../versioning/types.js';
import type { KvApi, ReadOptions, UpdateDecision, WriteOptions, WriteRequest } from './api.js';
import { checkHomeQuorum, checkQuorum } from './data-path.js';
import { contextFor } from './quorum-write.js';
import { payloadFor } from './write-payload.js';
import { withTimeout } from '../core/timeout.js';
import type { StorageHealthView } from '../storage/storage-health.js';
import { localReadTimeout, localWriteTimeout, storageUnhealthy } from './refusals.js';

export interface LocalCoordinatorOptions {
  /** Bounds every wait on the disk (read at call time); without it, waits are not bounded. */
  readonly requestTimeoutMs?: () => number;
  /** While it reports a problem, writes are refused up front rather than queued behind a failing disk. */
  readonly health?: StorageHealthView;
}

/**
 * The coordinator of a cluster of one (N = R = W = 1): this node is the only
 * replica of every key. Same contract as the ring coordinator, so commands do
 * not know which one they talk to.
 *
 * Writes are decided when their storage batch is built (PipelinedStore.build):
 * each gets the record as every earlier write left it, its dot is issued then,
 * and it is acknowledged once the batch is durable. There is no read before a
 * write and no per-key lock: the batch order is the order of the writes.
 * Reads see only durable records, after the writes to their key submitted
 * before them, so a crash never takes back what a read returned.
 */
export class LocalCoordinator implements KvApi {
  readonly n = 1;
  readonly r = 1;
  readonly w = 1;

  constructor(
    private readonly store: PipelinedStore,
    /** The dots this node issues (a new actor per start: versioning/actor.ts). */
    private readonly dots: DotIssuer,
    private readonly clock: Clock,
    private readonly opts: LocalCoordinatorOptions = {},
  ) {}

  read(key: Buffer, opts?: ReadOptions): Promise<VersionedObject | undefined> {
    try {
      checkQuorum('R', opts?.r, this.n);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.bounded(this.store.getDurable(key), localReadTimeout);
  }

  readCached(key: Buffer): VersionedObject | undefined | typeof NOT_CACHED {
    return this.store.peekDurable(key);
  }

  /** p, or TIMEOUT once the request timeout has passed (when one is set). */
  private bounded<T>(p: Promise<T>, text: (ms: number) => string): Promise<T> {
    const ms = this.opts.requestTimeoutMs?.();
    if (ms === undefined) return p;
    return withTimeout(this.clock, p, ms, () => new QkvError('TIMEOUT', text(ms)));
  }

  /** A node whose disk fails or stalls refuses writes before touching anything. */
  private assertHealthy(): void {
    const problem = this.opts.health?.problem();
    if (problem) throw new QkvError('UNAVAILABLE', storageUnhealthy(nodeOfActor(this.dots.actor), problem), 'storage');
  }

  async readMany(keys: readonly Buffer[], opts?: ReadOptions): Promise<Array<VersionedObject | undefined>> {
    return Promise.all(keys.map((k) => this.read(k, opts)));
  }

  async readLocal(key: Buffer): Promise<VersionedObject | undefined> {
    return this.read(key);
  }

  async write(key: Buffer, req: WriteRequest, opts?: WriteOptions): Promise<VersionedObject> {
    checkQuorum('W', opts?.w, this.n);
    checkHomeQuorum(opts?.pw, this.n);
    this.assertHealthy();
    let reply: OpReply | undefined;
    let created = false;
    const built = this.store.build(
      key,
      (local) => {
        if (req.ifClock && !clocksEqual(local?.clock ?? {}, req.ifClock)) {
          throw new QkvError('CONFLICT', `the key's version is ${clockToText(local?.clock ?? {})}, not the one given with IF`);
        }
        const { payload, reply: r } = payloadFor(req, local, this.dots.actor, this.clock.now());
        reply = r;
        const next = applyWrite(local, contextFor(req.supersedes, local), this.dots, payload);
        created = madeLive(local, next, this.clock.now());
        return next;
      },
      req.value.length,
    );
    // One bound for the wait in the queue and the durable write.
    const obj = (await this.bounded(built, localWriteTimeout))!;
    opts?.onAcks?.({ home: 1, total: 1 });
    if (reply !== undefined) opts?.onReply?.(reply);
    if (created) opts?.onCreated?.();
    return obj;
  }

  async update<T>(
    key: Buffer,
    decide: (current: VersionedObject | undefined) => UpdateDecision<T>,
    opts?: WriteOptions & ReadOptions,
  ): Promise<T> {
    checkQuorum('R', opts?.r, this.n);
    checkQuorum('W', opts?.w, this.n);
    this.assertHealthy();
    let result!: T;
    let created = false;
    const built = this.store.build(
      key,
      (local) => {
        const decision = decide(local);
        result = decision.result;
        if (!decision.write) return null;
        const next = applyWrite(local, local?.clock ?? {}, this.dots, { ...decision.write, ts: this.clock.now() });
        created = madeLive(local, next, this.clock.now());
        return next;
      },
      0,
    );
    await this.bounded(built, localWriteTimeout);
    if (created) opts?.onCreated?.();
    return result;
  }

  async scan(cursor: bigint, count: number): Promise<{ keys: Array<{ key: Buffer; obj: VersionedObject }>; next: bigint }> {
    const now = this.clock.now();
    const page = await this.store.scan({ from: cursor, limit: Math.max(1, count) });
    const keys = page.entries.filter((e) => !isDeadObject(e.obj, now)).map((e) => ({ key: e.key, obj: e.obj }));
    return { keys, next: page.next ?? 0n };
  }

  async dbsize(): Promise<number> {
    return this.store.stats().liveKeys;
  }

  async flushAll(): Promise<void> {
    await this.store.clear();
  }
}
