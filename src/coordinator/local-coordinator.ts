import { QkvError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { LocalStore } from '../storage/local-store.js';
import { clocksEqual, clockToText } from '../versioning/clock.js';
import { applyWrite, isDeadObject } from '../versioning/object.js';
import { nodeOfActor, type DotIssuer } from '../versioning/actor.js';
import type { VersionedObject } from '../versioning/types.js';
import type { KvApi, ReadOptions, UpdateDecision, WriteOptions, WriteRequest } from './api.js';
import { KeyLock } from './key-lock.js';
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
 */
export class LocalCoordinator implements KvApi {
  readonly n = 1;
  readonly r = 1;
  readonly w = 1;
  private readonly locks = new KeyLock();

  constructor(
    private readonly store: LocalStore,
    /** The dots this node issues (a new actor per start: versioning/actor.ts). */
    private readonly dots: DotIssuer,
    private readonly clock: Clock,
    private readonly opts: LocalCoordinatorOptions = {},
  ) {}

  async read(key: Buffer, opts?: ReadOptions): Promise<VersionedObject | undefined> {
    checkQuorum('R', opts?.r, this.n);
    return this.bounded(
      this.locks.settled(key).then(() => this.store.get(key)),
      localReadTimeout,
    );
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
    const locked = this.locks.run(key, async () => {
      const local = await this.store.get(key);
      if (req.ifClock && !clocksEqual(local?.clock ?? {}, req.ifClock)) {
        throw new QkvError('CONFLICT', `the key's version is ${clockToText(local?.clock ?? {})}, not the one given with IF`);
      }
      const context = contextFor(req.supersedes, local);
      const obj = applyWrite(local, context, this.dots, payloadFor(req, local, this.dots.actor, this.clock.now()));
      // The lock is held until the write is durable: a read of the key (which waits for the lock) never sees a version a crash could take back.
      await this.store.put(key, obj);
      return obj;
    });
    // One bound for the lock, the read and the durable put (held under the lock).
    const obj = await this.bounded(locked, localWriteTimeout);
    opts?.onAcks?.({ home: 1, total: 1 });
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
    const locked = this.locks.run(key, async () => {
      const local = await this.store.get(key);
      const decision = decide(local);
      if (!decision.write) return { result: decision.result };
      const obj = applyWrite(local, local?.clock ?? {}, this.dots, { ...decision.write, ts: this.clock.now() });
      await this.store.put(key, obj);
      return { result: decision.result };
    });
    const { result } = await this.bounded(locked, localWriteTimeout);
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
