import type { Clock } from '../core/clock.js';
import { QkvError } from '../core/errors.js';
import { keyMd5 } from '../core/hash.js';
import { withTimeout } from '../core/timeout.js';
import type { LocalStore } from '../storage/local-store.js';
import type { StorageHealthView } from '../storage/storage-health.js';
import type { DotIssuer } from '../versioning/actor.js';
import { mergeKeepingDivergent } from '../versioning/divergence.js';
import { pruneRetiredActors } from '../versioning/prune.js';
import { descends } from '../versioning/clock.js';
import { mergeObjects } from '../versioning/object.js';
import type { VersionedObject } from '../versioning/types.js';
import type { KeyLock } from './key-lock.js';
import { mergeTimeout, storageUnhealthyMerge } from './refusals.js';

export interface ReplicaServiceOptions {
  /** With timeoutMs: a merge waits at most that long for the key's lock and its put to be durable. */
  readonly clock?: Clock;
  readonly timeoutMs?: () => number;
  /** While it reports a problem, merges are refused before touching anything (typed 'storage'). */
  readonly health?: StorageHealthView;
}

/** Where a node keeps its flush epoch (survives restarts; FLUSHALL keeps metadata). */
export const FLUSH_EPOCH_META = 'coordinator.flush-epoch';
/** Entries read from the store at a time by a scan, so a byte budget is checked often enough. */
const SCAN_STEP = 256;
/** Rounds a read waits for a key's puts to become durable before it takes what is there. */
const MAX_DURABILITY_WAITS = 8;
const noop = (): void => undefined;

export interface ReplicaScanEntry {
  readonly key: Buffer;
  readonly hash: bigint;
  readonly obj: VersionedObject;
}

export interface ReplicaScanPage {
  readonly entries: ReplicaScanEntry[];
  readonly next: bigint | null;
}

/**
 * One node's part as a replica: its copies of keys, read and merged under the
 * node's per-key lock (shared with the writes this node coordinates, so a
 * merge never races a local read-modify-write).
 *
 * The flush epoch keeps FLUSHALL from being undone: every FLUSHALL raises it
 * on every node before clearing. Versions travel with the epoch they were
 * read or written at, and a replica refuses a version older than its epoch,
 * so a read repair or write that was in flight during FLUSHALL cannot bring
 * a flushed value back.
 */
export class ReplicaService {
  private epoch = 0;
  private readonly loaded: Promise<void>;
  private isLoaded = false;
  /** Durability of the latest put of each key still being written. */
  private readonly pending = new Map<string, Promise<void>>();
  /**
   * Versions whose put failed here, by key. A coordinator sends a version to
   * the other replicas while its own put commits, so one that failed here
   * may be acknowledged there; the next write of the key through this node
   * must build on it, or its new dot's clock would claim to have seen a
   * dot of this actor that it never saw, and the merge elsewhere would drop
   * that write. Dropped once a stored version covers it, and by FLUSHALL; a
   * restart forgets it safely, since each start is a new actor.
   */
  private readonly unstored = new Map<string, VersionedObject>();

  /** Called when a merge found one dot holding two different writes (both are kept; see divergence.ts). */
  onDivergence: (key: Buffer, dots: number) => void = noop;

  constructor(
    private readonly store: LocalStore,
    readonly locks: KeyLock,
    /** Issues the dots of the writes this node coordinates: a new actor per start (versioning/actor.ts). */
    readonly dots: DotIssuer,
    private readonly opts: ReplicaServiceOptions = {},
  ) {
    this.loaded = store.getMeta(FLUSH_EPOCH_META).then(
      (b) => {
        if (b && b.length === 8) this.epoch = Math.max(this.epoch, Number(b.readBigUInt64BE(0)));
      },
      // An unreadable epoch is treated as 0: at worst a repair in flight during an old FLUSHALL is accepted.
      () => undefined,
    );
    void this.loaded.then(() => (this.isLoaded = true));
  }

  /** The current flush epoch (valid once ready() resolved). */
  get flushEpoch(): number {
    return this.epoch;
  }

  ready(): Promise<void> {
    return this.loaded;
  }

  /**
   * This node's copies as reads see them: a version still on its way to
   * disk here is waited for, and one whose put failed is not shown, so a
   * client or a read repair never gets a version this node could forget in
   * a crash. (The write path sends a new version to the other replicas
   * while its put commits; that is safe because a restarted node is a new
   * actor and never issues the same dot again.) The epoch is taken before
   * reading (a FLUSHALL meanwhile makes them look old, never new).
   */
  async get(keys: readonly Buffer[]): Promise<{ objs: Array<VersionedObject | undefined>; epoch: number }> {
    if (!this.isLoaded) await this.loaded;
    for (let round = 0; ; round++) {
      const waits = this.pendingOf(keys);
      // A key written without pause would keep a reader waiting forever: past a few rounds it gets what is there.
      if (waits.length > 0 && round < MAX_DURABILITY_WAITS) {
        await Promise.all(waits);
        continue;
      }
      const epoch = this.epoch;
      const objs = await this.readStored(keys);
      if (round >= MAX_DURABILITY_WAITS || this.pendingOf(keys).length === 0) return { objs, epoch };
    }
  }

  /**
   * This node's copies including versions not yet durable, and versions
   * whose put failed here: for the write path, under the key's lock.
   */
  async getLatest(keys: readonly Buffer[]): Promise<Array<VersionedObject | undefined>> {
    const objs = await this.readStored(keys);
    if (this.unstored.size === 0) return objs;
    return objs.map((obj, i) => this.withUnstored(keys[i]!, obj));
  }

  /** The stored copy of key joined with the versions whose put failed here. */
  private withUnstored(key: Buffer, stored: VersionedObject | undefined): VersionedObject | undefined {
    const failed = this.unstored.size === 0 ? undefined : this.unstored.get(key.toString('latin1'));
    return failed ? (stored ? mergeObjects(stored, failed) : failed) : stored;
  }

  private async readStored(keys: readonly Buffer[]): Promise<Array<VersionedObject | undefined>> {
    if (!this.isLoaded) await this.loaded;
    return keys.length === 1 ? [await this.store.get(keys[0]!)] : this.store.getMany(keys);
  }

  /** Durability of the keys' puts still under way, as promises that never reject. */
  private pendingOf(keys: readonly Buffer[]): Array<Promise<void>> {
    if (this.pending.size === 0) return [];
    const out: Array<Promise<void>> = [];
    for (const k of keys) {
      const p = this.pending.get(k.toString('latin1'));
      if (p) out.push(p.then(noop, noop));
    }
    return out;
  }

  /**
   * Merges a version into this node's copy and resolves once the result is
   * durable. Refuses (QkvError ERR) a version from before this node's last FLUSHALL.
   */
  async merge(key: Buffer, incoming: VersionedObject, epoch: number): Promise<void> {
    const problem = this.opts.health?.problem();
    if (problem) throw new QkvError('UNAVAILABLE', storageUnhealthyMerge(problem), 'storage');
    await this.loaded;
    const { clock, timeoutMs } = this.opts;
    if (!clock || !timeoutMs) return this.mergeNow(key, incoming, epoch);
    const ms = timeoutMs();
    return withTimeout(clock, this.mergeNow(key, incoming, epoch), ms, () => new QkvError('TIMEOUT', mergeTimeout(ms)));
  }

  /**
   * Merges many versions (a peer's frame) and resolves with one result per
   * item, null once that one is durable: each item fails alone. Every key is
   * read first in one go, so each merge then finds its copy in memory and
   * all their puts are handed to the store in the same turn: one storage
   * batch. One timer bounds them all.
   */
  async mergeBatch(items: ReadonlyArray<{ readonly key: Buffer; readonly obj: VersionedObject; readonly epoch: number }>): Promise<Array<QkvError | null>> {
    const problem = this.opts.health?.problem();
    if (problem) return items.map(() => new QkvError('UNAVAILABLE', storageUnhealthyMerge(problem), 'storage'));
    await this.loaded;
    try {
      await this.readStored(items.map((it) => it.key));
    } catch {
      // Only a warm-up: each merge reads its key again and reports its own failure.
    }
    const results: Array<QkvError | null | undefined> = new Array(items.length).fill(undefined);
    const { clock, timeoutMs } = this.opts;
    const ms = clock && timeoutMs ? timeoutMs() : 0;
    return new Promise((resolve) => {
      let left = items.length;
      // Merges still running when the timer fires answer TIMEOUT (they may still land, as a single merge's would).
      const finish = (late: QkvError | null): void => {
        timer?.cancel();
        left = -1;
        resolve(results.map((r) => (r === undefined ? late : r)));
      };
      const timer = clock && ms > 0 && left > 0 ? clock.setTimeout(() => finish(new QkvError('TIMEOUT', mergeTimeout(ms))), ms) : undefined;
      const settle = (i: number, err: QkvError | null): void => {
        if (left < 0) return;
        results[i] = err;
        if (--left === 0) finish(null);
      };
      if (left === 0) return finish(null);
      items.forEach((it, i) =>
        this.mergeNow(it.key, it.obj, it.epoch).then(
          () => settle(i, null),
          (err: unknown) => settle(i, err instanceof QkvError ? err : new QkvError('ERR', (err as Error).message)),
        ),
      );
    });
  }

  private async mergeNow(key: Buffer, incoming: VersionedObject, epoch: number): Promise<void> {
    const durable = await this.locks.run(key, async () => {
      const [stored] = await this.readStored([key]);
      const local = this.withUnstored(key, stored);
      // Checked right before the put, with no await between: a FLUSHALL raises the epoch before it clears.
      if (epoch < this.epoch) {
        throw new QkvError('ERR', `refused: the version is from before a FLUSHALL (epoch ${epoch} < ${this.epoch})`);
      }
      let merged = incoming;
      if (local) {
        const m = mergeKeepingDivergent(local, incoming, this.dots);
        if (m.divergent > 0) this.onDivergence(key, m.divergent);
        merged = pruneRetiredActors(m.merged);
      }
      if (stored && sameVersion(stored, merged)) return this.pending.get(key.toString('latin1'));
      return this.put(key, merged, keyMd5(key));
    });
    await durable;
  }

  /**
   * Stores obj (the caller holds the key's lock); the returned promise is its
   * durability. Later merges that change nothing wait for it before acking.
   */
  put(key: Buffer, obj: VersionedObject, md5?: Buffer): Promise<void> {
    const id = key.toString('latin1');
    const p = this.store.put(key, obj, md5);
    this.pending.set(id, p);
    const forget = (): void => {
      if (this.pending.get(id) === p) this.pending.delete(id);
    };
    p.then(
      () => {
        forget();
        const failed = this.unstored.get(id);
        if (failed && descends(obj.clock, failed.clock)) this.unstored.delete(id);
      },
      () => {
        forget();
        const failed = this.unstored.get(id);
        this.unstored.set(id, failed ? mergeObjects(failed, obj) : obj);
      },
    );
    return p;
  }

  /**
   * Up to about `limit` entries of the given ascending ranges, in ring order,
   * stopping early once they hold about `maxBytes` of keys and values (so a
   * reply fits in a message); never splits one ring position. `next` is
   * where the page stopped, null when the ranges are exhausted.
   */
  async scan(ranges: ReadonlyArray<readonly [bigint, bigint]>, limit: number, maxBytes = Infinity): Promise<ReplicaScanPage> {
    const entries: ReplicaScanEntry[] = [];
    let bytes = 0;
    for (const [start, to] of ranges) {
      let from: bigint | null = start;
      while (from !== null) {
        if (entries.length >= limit || bytes >= maxBytes) return { entries, next: from };
        const page = await this.store.scan({ from, to, limit: Math.min(limit - entries.length, SCAN_STEP) });
        for (const e of page.entries) {
          entries.push(e);
          bytes += approxBytes(e.key, e.obj);
        }
        from = page.next;
      }
    }
    return { entries, next: null };
  }

  /**
   * Raises the flush epoch to `epoch` and removes every key; refuses an epoch
   * not newer than its own. The epoch is stored by the same atomic write that
   * decides the clear (LocalStore.clear), so no crash leaves records from
   * before the flush under the new epoch.
   */
  async flush(epoch: number): Promise<{ ok: boolean; epoch: number }> {
    await this.loaded;
    if (epoch <= this.epoch) return { ok: false, epoch: this.epoch };
    this.epoch = epoch;
    this.unstored.clear();
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(epoch));
    await this.store.clear({ name: FLUSH_EPOCH_META, value: b });
    return { ok: true, epoch };
  }
}

/** About how many bytes an entry takes in a message. */
export function approxBytes(key: Buffer, obj: VersionedObject): number {
  let n = key.length + 16;
  for (const s of obj.siblings) n += s.value.length + 48;
  return n;
}

/**
 * True when merging changed nothing. The merge descends the local copy, so
 * an equal clock means no new sibling arrived; equal counts then mean none was dropped.
 */
function sameVersion(local: VersionedObject, merged: VersionedObject): boolean {
  if (local.siblings.length !== merged.siblings.length) return false;
  const a = local.clock;
  const b = merged.clock;
  for (const node in b) if (a[node] !== b[node]) return false;
  return true;
}
