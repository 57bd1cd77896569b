import type { Clock } from '../core/clock.js';
import { QkvError } from '../core/errors.js';
import { RING_SIZE, keyHashBytes } from '../core/hash.js';
import { encodeObject, decodeObject } from '../versioning/codec.js';
import type { VersionedObject } from '../versioning/types.js';
import type { Engine } from './engine.js';
import { isFullyExpired, recordExpiry } from './expiry.js';
import { GroupCommit } from './group-commit.js';
import { RESERVED_META_PREFIX, type OpenProgress } from './key-count.js';
import { RecordCounts } from './record-counts.js';
import { metaKey, parseDataKey, ringRanges } from './key-layout.js';
import { NOT_CACHED, type LocalStoreStats, type PipelinedStore, type ScanEntry, type ScanOptions, type ScanPage, type StoreMeta } from './local-store.js';
import { buildBatch, recordKeys, type BuildOp, type Prior, type PurgeDecision, type PurgeOp, type RecordKey, type RecordOp } from './record-batch.js';
import { PendingKeys } from './pending-keys.js';
import { RecordCache, type CachedRecord } from './record-cache.js';
import { SharedReads, Unreadable, type ReadKey, type ReadResult } from './shared-reads.js';
import { StorageHealth } from './storage-health.js';
import { StoreClear, checkClearMeta } from './store-clear.js';
import { ExpirySweep, type CanPurge, type OnExpired } from './expiry-sweep.js';

export type { CanPurge } from './expiry-sweep.js';

export interface RecordStoreOptions {
  /** fsync the WAL once per batch before its writes resolve. */
  readonly sync: boolean;
  readonly clock: Clock;
  /** Bytes of encoded records kept in memory (record-cache.ts); default 256 MiB, 0 disables. */
  readonly cacheBytes?: number;
  readonly canPurge?: CanPurge;
  /** Told when the expiry sweep first finds a key expired (its purge may come later, by agreement). */
  readonly onExpired?: OnExpired;
  /** Writes per engine batch at most (default 100,000); more wait for the next batch. */
  readonly maxBatchWrites?: number;
  /** Bytes per engine batch at most (default 64 MiB). */
  readonly maxBatchBytes?: number;
  /** The ring position of a key; tests inject one to force collisions. Default keyHashBytes. */
  readonly hash?: (key: Buffer) => Buffer;
  /** How the first write of a turn waits for the rest of the turn (default setImmediate). */
  readonly schedule?: (run: () => void) => void;
  /** Told how counting records goes when a store has no stored count. */
  readonly onOpenProgress?: (p: OpenProgress) => void;
  /** Milliseconds a batch may be in flight before the store counts as stalled (default 2,000). */
  readonly stallMs?: number;
}

/** The metadata the health probe writes (see StorageHealthMonitor). */
const HEALTH_PROBE_META = 'health.probe';

export interface RecordStoreStats extends LocalStoreStats {
  readonly cacheEntries: number;
  /** Keys whose latest write is not yet durable (served from memory meanwhile). */
  readonly unsyncedKeys: number;
  /** Writes waiting for a batch. */
  readonly queuedWrites: number;
  /** Writes in the batch being written. */
  readonly inFlightWrites: number;
}

const MiB = 1024 * 1024;

interface Unsynced {
  readonly obj: VersionedObject | null;
  readonly seq: number;
}

/**
 * The LocalStore over any Engine. Writes go through a group commit; a write
 * is visible to reads at once (served from `unsynced` until its batch lands)
 * and its promise resolves when the batch is durable. Durable records are
 * cached encoded (record-cache.ts), so hot reads never leave the event loop.
 *
 * `keys` in stats counts records durably stored: a put of a new key counts
 * once its batch lands. It is exact (each batch reads the records it touches
 * before writing them) and stored with every batch that changes it.
 */
export class RecordStore implements PipelinedStore {
  private readonly engine: Engine;
  private readonly clock: Clock;
  private readonly sync: boolean;
  private readonly hashOf: (key: Buffer) => Buffer;
  private readonly cache: RecordCache;
  private readonly reads: SharedReads;
  private readonly commit: GroupCommit<RecordOp>;
  /** Whether writes land: failed or stalled batches make it say why not. */
  readonly health: StorageHealth;
  private readonly unsynced = new Map<string, Unsynced>();
  private readonly unsyncedMeta = new Map<string, { value: Buffer; seq: number }>();
  /** Record writes submitted and not settled, so durable reads wait for exactly those. */
  private readonly pendingKeys = new PendingKeys();
  private batchFinals: Map<string, CachedRecord> | null = null;
  private seq = 0;
  private readonly counts = new RecordCounts();
  private hits = 0;
  private misses = 0;
  private readonly expiry: ExpirySweep;
  private writeErrors = 0;
  private closing: Promise<void> | null = null;
  private readonly clearing: StoreClear;

  constructor(engine: Engine, opts: RecordStoreOptions) {
    this.engine = engine;
    this.clock = opts.clock;
    this.sync = opts.sync;
    this.hashOf = opts.hash ?? keyHashBytes;
    this.expiry = new ExpirySweep(engine, opts.canPurge, (key, decide, entries) => this.submitPurge(key, decide, entries), opts.onExpired);
    this.cache = new RecordCache(opts.cacheBytes ?? 256 * MiB);
    this.reads = new SharedReads(engine, (id, record) => this.cache.set(id, record), opts.schedule);
    this.health = new StorageHealth(opts.clock, opts.stallMs);
    this.clearing = new StoreClear(engine, () => this.counts.reset());
    this.commit = new GroupCommit<RecordOp>(
      { write: (ops) => this.writeBatch(ops), settled: (ops, err) => this.settled(ops, err), failure: (op) => (op.kind === 'build' ? op.error : undefined) },
      { maxBatchOps: opts.maxBatchWrites ?? 100_000, maxBatchBytes: opts.maxBatchBytes ?? 64 * MiB, schedule: opts.schedule },
    );
  }

  /** Reads the stored record counts, or counts the records when they are missing. */
  async load(progress?: (p: OpenProgress) => void): Promise<void> {
    // A clear decided before a crash is finished before anything is read: its records must not be served.
    if (await this.clearing.finishInterrupted()) {
      progress?.({ countedKeys: 0, done: true, elapsedMs: 0 });
      return;
    }
    await this.counts.load(this.engine, this.clock, this.sync, progress);
  }

  get(key: Buffer): Promise<VersionedObject | undefined> {
    try {
      this.clearing.check();
    } catch (e) {
      return Promise.reject(e);
    }
    const id = key.toString('latin1');
    const known = this.lookup(id);
    if (known !== undefined) return Promise.resolve(known ?? undefined);
    return this.reads.read([{ id, key, hash: this.hashOf(key) }]).then((r) => readable(r[0]!));
  }

  async getMany(keys: readonly Buffer[]): Promise<Array<VersionedObject | undefined>> {
    this.clearing.check();
    const out: Array<VersionedObject | undefined> = new Array(keys.length);
    const misses: ReadKey[] = [];
    const missAt: number[] = [];
    keys.forEach((key, i) => {
      const id = key.toString('latin1');
      const known = this.lookup(id);
      if (known !== undefined) {
        out[i] = known ?? undefined;
      } else {
        misses.push({ id, key, hash: this.hashOf(key) });
        missAt.push(i);
      }
    });
    if (misses.length > 0) {
      const found = await this.reads.read(misses);
      found.forEach((r, j) => (out[missAt[j]!] = readable(r)));
    }
    return out;
  }

  build(key: Buffer, build: BuildOp['build'], bytes: number): Promise<VersionedObject | null> {
    return rejecting(() => {
      const { own, seq } = this.startRecordWrite(key);
      const op: BuildOp = { kind: 'build', ...own, seq, build, result: null, error: undefined };
      // Fetch the prior now, while the batch before is written, so building this one waits on no read.
      if (this.cache.peek(own.id) === undefined && !this.unsynced.has(own.id)) this.reads.read([own]).catch(ignore);
      return this.commit.submit(op, own.key.length + bytes + 64).then(() => op.result);
    });
  }

  getDurable(key: Buffer): Promise<VersionedObject | undefined> {
    const id = key.toString('latin1');
    const pending = this.pendingKeys.wait(id);
    return pending ? pending.then(() => this.readDurable(key, id)) : this.readDurable(key, id);
  }

  peekDurable(key: Buffer): VersionedObject | undefined | typeof NOT_CACHED {
    const id = key.toString('latin1');
    if (this.pendingKeys.has(id)) return NOT_CACHED;
    const cached = this.cache.get(id);
    if (cached === undefined) return NOT_CACHED;
    this.hits++;
    return cached ?? undefined;
  }

  /** The cache holds only durable records; the engine, what is in the WAL. Unsynced writes are not served. */
  private readDurable(key: Buffer, id: string): Promise<VersionedObject | undefined> {
    try {
      this.clearing.check();
    } catch (e) {
      return Promise.reject(e);
    }
    const cached = this.cache.get(id);
    if (cached !== undefined) {
      this.hits++;
      return Promise.resolve(cached ?? undefined);
    }
    this.misses++;
    return this.reads.read([{ id, key, hash: this.hashOf(key) }]).then((r) => readable(r[0]!));
  }

  put(key: Buffer, obj: VersionedObject): Promise<void> {
    return rejecting(() => {
      const encoded = encodeObject(obj);
      const { own, seq } = this.startRecordWrite(key);
      this.unsynced.set(own.id, { obj, seq });
      this.expiry.mayBeDueAt(recordExpiry(obj));
      return this.commit.submit({ kind: 'put', ...own, obj, encoded, seq }, own.key.length + encoded.length + 64);
    });
  }

  remove(key: Buffer): Promise<void> {
    return rejecting(() => {
      const { own, seq } = this.startRecordWrite(key);
      this.unsynced.set(own.id, { obj: null, seq });
      return this.commit.submit({ kind: 'remove', ...own, seq }, own.key.length + 64);
    });
  }

  /** A record write's start: the store is open, the key is copied and hashed, the write is pending. */
  private startRecordWrite(key: Buffer): { own: ReadKey; seq: number } {
    this.assertOpen();
    const own = this.recordKey(key);
    const seq = ++this.seq;
    this.pendingKeys.add(own.id, seq);
    return { own, seq };
  }

  /**
   * Removes the record if `shouldRemove` holds for it as stored when its
   * batch is written (after every write submitted before); resolves whether
   * it was removed. For collecting tombstones without racing newer writes.
   */
  async removeIf(key: Buffer, shouldRemove: (obj: VersionedObject) => boolean): Promise<boolean> {
    this.assertOpen();
    let expired = false;
    const removed = await this.submitPurge(
      key,
      (obj) => {
        expired = isFullyExpired(obj, this.clock.now());
        return shouldRemove(obj) ? 'purge' : 'keep';
      },
      [],
    );
    // Expired records collected by agreement (anti-entropy) count as swept, as the sweep's own do.
    if (removed && expired) this.expiry.swept++;
    return removed;
  }

  async scan(opts: ScanOptions): Promise<ScanPage> {
    this.assertOpen();
    const from = opts.from ?? 0n;
    const to = opts.to ?? RING_SIZE;
    if (from > to) throw new QkvError('ERR', `scan range [${from}, ${to}) must not wrap; scan it as two ranges`);
    if (!(opts.limit >= 1)) throw new QkvError('ERR', 'scan limit must be at least 1');
    // Writes already accepted land first, so a page shows them.
    await this.commit.drained();
    const [range] = ringRanges(from, to);
    const entries: ScanEntry[] = [];
    if (!range) return { entries, next: null };
    for await (const [stored, value] of this.engine.iterate(range)) {
      const { hash, key } = parseDataKey(stored);
      // Keys sharing a ring position stay on one page: a cursor is a position.
      if (entries.length >= opts.limit && hash !== entries[entries.length - 1]!.hash) return { entries, next: hash };
      entries.push({ key, hash, obj: decodeObject(value) });
    }
    return { entries, next: null };
  }

  /**
   * Clears every record and index entry, crash-atomically (see StoreClear),
   * with `meta` written in the same decision; after every write accepted
   * before it. Until a clear finishes, this store serves nothing.
   */
  clear(meta?: StoreMeta): Promise<void> {
    try {
      if (this.closing) throw new QkvError('ERR', 'storage is closed');
      checkClearMeta(meta);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.commit.barrier(async () => {
      try {
        await this.clearing.clear(meta);
      } catch (e) {
        this.writeErrors++;
        this.health.writeFailed(e instanceof Error ? e : new Error(String(e)));
        throw e;
      } finally {
        this.cache.clear();
        this.reads.invalidateAll();
      }
    });
  }

  /**
   * Removes records whose siblings have all expired by `now` (at most `limit`
   * index entries' worth), each decided when its batch is built: see ExpirySweep.
   */
  async sweepExpired(now: number, limit: number): Promise<number> {
    this.assertOpen();
    return this.expiry.sweep(now, limit);
  }

  async getMeta(name: string): Promise<Buffer | undefined> {
    const pending = this.unsyncedMeta.get(name);
    if (pending) return pending.value;
    return this.engine.get(metaKey(name));
  }

  putMeta(name: string, value: Buffer): Promise<void> {
    try {
      this.assertOpen();
      if (name.length === 0 || name.startsWith(RESERVED_META_PREFIX)) {
        throw new QkvError('ERR', `meta name '${name}' is empty or reserved (names starting '${RESERVED_META_PREFIX}' belong to the store)`);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    const seq = ++this.seq;
    const own = Buffer.from(value);
    this.unsyncedMeta.set(name, { value: own, seq });
    return this.commit.submit({ kind: 'meta', name, value: own, seq }, name.length + own.length + 64);
  }

  /** The record cache's bound in bytes. */
  get cacheMaxBytes(): number {
    return this.cache.maxBytes;
  }

  /** Changes the record cache's bound (CONFIG SET maxmemory); a smaller one evicts at once. */
  resizeCache(maxBytes: number): void {
    this.cache.resize(maxBytes);
  }

  /** A small write that shows whether the disk takes writes again (its outcome lands in `health`). */
  probe(): Promise<void> {
    return this.putMeta(HEALTH_PROBE_META, Buffer.from(String(this.clock.now())));
  }

  stats(): RecordStoreStats {
    return {
      keys: this.counts.records,
      liveKeys: this.counts.live,
      expiringKeys: this.counts.expiring,
      cacheBytes: this.cache.bytes,
      cacheEntries: this.cache.size,
      cacheHits: this.hits,
      cacheMisses: this.misses,
      batches: this.commit.batches,
      batchedWrites: this.commit.batchedOps,
      pendingWrites: this.commit.queued + this.commit.inFlight,
      queuedWrites: this.commit.queued,
      inFlightWrites: this.commit.inFlight,
      unsyncedKeys: this.unsynced.size,
      expiredSwept: this.expiry.swept,
      writeErrors: this.writeErrors,
    };
  }

  /** Waits for accepted writes to land, then closes the engine. */
  close(): Promise<void> {
    this.closing ??= this.commit.drained().then(() => this.engine.close());
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw new QkvError('ERR', 'storage is closed');
    this.clearing.check();
  }

  /** The record as the store knows it without the engine: unsynced write, then cache. */
  private lookup(id: string): CachedRecord | undefined {
    const pending = this.unsynced.get(id);
    const known = pending ? pending.obj : this.cache.get(id);
    if (known === undefined) this.misses++;
    else this.hits++;
    return known;
  }

  private async submitPurge(key: Buffer, decide: (obj: VersionedObject) => PurgeDecision, indexEntries: Buffer[]): Promise<boolean> {
    const op: PurgeOp = { kind: 'purge', ...this.recordKey(key), decide, indexEntries, purged: false };
    await this.commit.submit(op, key.length + 64 + indexEntries.length * 64);
    return op.purged;
  }

  /** A private copy of a key being written, with its id and ring position (hashed once). */
  private recordKey(key: Buffer): ReadKey {
    const own = Buffer.from(key);
    return { id: own.toString('latin1'), key: own, hash: this.hashOf(own) };
  }

  private async writeBatch(ops: RecordOp[]): Promise<void> {
    this.batchFinals = null;
    this.health.batchStarted();
    const priors = await this.durablePriors(recordKeys(ops));
    const built = buildBatch(ops, priors);
    for (const op of ops) {
      // A decided write is visible to get() from now on, as a put is from submission.
      if (op.kind !== 'build' || !op.result) continue;
      this.unsynced.set(op.id, { obj: op.result, seq: op.seq });
      this.expiry.mayBeDueAt(recordExpiry(op.result));
    }
    const writes = built.writes;
    writes.push(...this.counts.writesFor(built));
    await this.engine.write(writes, this.sync);
    this.counts.apply(built);
    this.batchFinals = built.finals;
  }

  /**
   * Each key's stored record, from the cache (which holds only durable
   * records) or else the engine. No batch is in flight now, so the engine
   * holds exactly what is durable; a read shared with one started earlier
   * (a prefetch) is still exact, because a write to its key that settled
   * since has dropped it from the shared reads.
   */
  private async durablePriors(keys: Map<string, RecordKey>): Promise<Map<string, Prior>> {
    const priors = new Map<string, Prior>();
    const missing: ReadKey[] = [];
    for (const [id, k] of keys) {
      const cached = this.cache.peek(id);
      if (cached === undefined) missing.push({ id, key: k.key, hash: k.hash });
      else priors.set(id, { exists: cached !== null, obj: cached });
    }
    if (missing.length === 0) return priors;
    const found = await this.reads.read(missing);
    missing.forEach(({ id }, i) => {
      const r = found[i]!;
      // Unreadable: it exists (and counts) but its expiry is unknown; a put replaces it, a build refuses.
      if (r instanceof Unreadable) priors.set(id, { exists: true, obj: null, error: r.error });
      else priors.set(id, { exists: r !== null, obj: r });
    });
    return priors;
  }

  private settled(ops: RecordOp[], error: QkvError | null): void {
    this.health.batchEnded(error);
    if (error) this.writeErrors += ops.length;
    for (const op of ops) {
      if (op.kind === 'meta') {
        if (this.unsyncedMeta.get(op.name)?.seq === op.seq) this.unsyncedMeta.delete(op.name);
        continue;
      }
      if (op.kind !== 'purge' && this.unsynced.get(op.id)?.seq === op.seq) this.unsynced.delete(op.id);
      this.reads.invalidate(op.id);
      if (error) this.cache.delete(op.id);
    }
    if (!error && this.batchFinals) {
      for (const [id, record] of this.batchFinals) this.cache.set(id, record);
    }
    this.batchFinals = null;
    // Last, so a read woken here finds the cache as the batch left it.
    for (const op of ops) if (op.kind === 'put' || op.kind === 'remove' || op.kind === 'build') this.pendingKeys.settle(op.id, op.seq);
  }
}

function ignore(): void {}

/** fn's promise, or a rejected one when fn throws before making it. */
function rejecting<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (e) {
    return Promise.reject(e);
  }
}

function readable(r: ReadResult): VersionedObject | undefined {
  if (r instanceof Unreadable) throw r.error;
  return r ?? undefined;
}

/** Opens a store over an engine that is already open; close() closes both. */
export async function openRecordStore(engine: Engine, opts: RecordStoreOptions): Promise<RecordStore> {
  const store = new RecordStore(engine, opts);
  await store.load(opts.onOpenProgress);
  return store;
}
