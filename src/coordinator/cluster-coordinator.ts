import { checkLevel, isLocalLevel, type ConsistencyLevel, type LevelChoice } from './consistency.js';
import type { Clock } from '../core/clock.js';
import { QkvError, isQkvError } from '../core/errors.js';
import { keyMd5 } from '../core/hash.js';
import type { Rng } from '../core/rng.js';
import type { NodeMetrics } from '../metrics/registry.js';
import type { LocalStore } from '../storage/local-store.js';
import type { StorageHealthView } from '../storage/storage-health.js';
import type { RpcTransport } from '../transport/types.js';
import { decodeObject, encodeObject } from '../versioning/codec.js';
import { actorId, DotIssuer, nextActorEpoch } from '../versioning/actor.js';
import { decodeOp, decodeOpReply, encodeOpReply } from '../versioning/collection-ops.js';
import type { VersionedObject } from '../versioning/types.js';
import type { KvApi, ReadOptions, UpdateDecision, WriteOptions, WriteRequest } from './api.js';
import { clusterScan } from './cluster-scan.js';
import { checkHomeQuorum, checkQuorum, outcomeOf, reachable, type DataPath, type HintSink, type MemberView } from './data-path.js';
import { flushCluster } from './flush.js';
import { KeyLock } from './key-lock.js';
import { KeyHolds, type Holder } from './key-holds.js';
import { DcLagWindow, type DcLagSummary } from './dc-lag.js';
import { isDcForward, parseDcForward } from './dc-forward-messages.js';
import { forwardInDc } from './dc-forwarder.js';
import { heldKv } from './held-kv.js';
import { MAX_REPLY_BYTES, parseRequest, parseWriteReply, type HintRequest, type WriteForward } from './messages.js';
import { PeerClient, type LogFn } from './peer-client.js';
import { PeerBatcher } from './peer-batch.js';
import { handleBatch } from './batch-handler.js';
import { BATCH_TYPE } from './batch-messages.js';
import { DEFAULT_SPECULATIVE_RETRY_MS, quorumRead } from './quorum-read.js';
import { WriteCoordinator, type KeyPlace, type WriteOutcome, type WriteParams } from './quorum-write.js';
import { writeForwardOf, writeRequestOf } from './write-forward.js';
import { clusterForming } from './refusals.js';
import { ReplicaService } from './replica-service.js';

export type { HintSink, MemberView } from './data-path.js';

export interface ClusterCoordinatorOptions {
  nodeId: string;
  /** The dots this node issues; default a fresh actor of nodeId at the clock's now (versioning/actor.ts). */
  actor?: DotIssuer;
  store: LocalStore;
  transport: RpcTransport;
  members: MemberView;
  clock: Clock;
  rng: Rng;
  n: number;
  /** Read at call time (CONFIG SET may change them). */
  r: () => number;
  w: () => number;
  /**
   * Default consistency levels of reads and writes that name neither a level
   * nor R or W (read at call time); absent or null: the numeric R and W.
   */
  readConsistency?: () => ConsistencyLevel | null;
  writeConsistency?: () => ConsistencyLevel | null;
  requestTimeoutMs: () => number;
  /** Peer RPC latency and errors, quorum outcomes, read repairs. */
  metrics?: NodeMetrics;
  log?: LogFn;
  /** About the most bytes of keys and values one reply to a peer carries (default 8 MiB; keep well under the transport's frame limit). */
  maxReplyBytes?: number;
  /**
   * Whether stand-ins beyond the first N count toward W when home replicas
   * are unreachable (read at call time; default true). When false only home
   * replicas count (PW defaults to W). A request's PW overrides it.
   */
  sloppyQuorum?: () => boolean;
  /** This node's durable hint store: it keeps hints as a stand-in ('h.store') and for unreachable replicas of its own writes. */
  hints?: HintSink;
  /** Whether this node's disk takes writes; while it does not, the node coordinates no write and stores no merge. */
  storageHealth?: StorageHealthView;
  /**
   * Why this node cannot serve requests that need the ring yet (its ring is
   * still forming), or null once it can. Such requests get TRYAGAIN.
   */
  notReady?: () => string | null;
  /** How long a read waits for its first R replicas before asking the rest (default DEFAULT_SPECULATIVE_RETRY_MS; read at call time). */
  speculativeRetryMs?: () => number;
  /** How peer frames wait for the rest of their turn (default setImmediate; the simulation runs them as microtasks). */
  schedule?: (run: () => void) => void;
}

/** Refusals after which an entry node offers a forwarded write to the next replica: the target stored nothing. */
const TURNED_AWAY: ReadonlySet<string> = new Set(['not-sent', 'not-a-replica', 'storage', 'forming']);

/** Times update() retries its read-decide-write after a CONFLICT before giving up. */
export const UPDATE_RETRIES = 5;

/** Keys per scan page when counting the cluster's keys. */
const DBSIZE_PAGE = 1000;

/**
 * The coordinator of a cluster: any node accepts any request. A key lives on
 * the N nodes of its preference list (its home replicas). Reads ask every
 * reachable home replica and answer from the first R; writes are coordinated
 * by a replica of the key (forwarded to the first reachable one when this
 * node is not a replica), which issues the dot and waits for W
 * acknowledgements, from stand-ins holding hints too unless the sloppy
 * quorum is off (see write-plan.ts).
 *
 * Read-modify-write commands (update) are serialised per key at the node the
 * client talks to, and their writes are conditional on the version they read
 * (CONFLICT, then retried), checked at the key's first reachable replica.
 * So concurrent updates of one key through different nodes do not lose each
 * other's effect while the nodes agree on that replica; but they are not
 * linearizable across entry nodes (a partition or a change of view can let
 * two conditional writes pass at two replicas, leaving siblings).
 */
export class ClusterCoordinator implements KvApi {
  readonly n: number;
  private readonly dp: DataPath;
  private readonly maxReplyBytes: number;
  private readonly writes: WriteCoordinator;
  /** Serialises this node's read-modify-writes per key (separate from the storage lock the write path takes). */
  private readonly updates = new KeyLock();
  /** Keys scripts hold while they run here (key-holds.ts). */
  private readonly holds = new KeyHolds();

  constructor(private readonly opts: ClusterCoordinatorOptions) {
    this.n = opts.n;
    this.maxReplyBytes = opts.maxReplyBytes ?? MAX_REPLY_BYTES;
    const peers = new PeerClient(opts.transport, opts.clock, opts.metrics);
    this.dp = {
      self: opts.nodeId,
      replica: new ReplicaService(opts.store, new KeyLock(), opts.actor ?? new DotIssuer(actorId(opts.nodeId, nextActorEpoch(opts.clock.now(), 0))), {
        clock: opts.clock,
        timeoutMs: opts.requestTimeoutMs,
        ...(opts.storageHealth ? { health: opts.storageHealth } : {}),
      }),
      peers,
      batch: new PeerBatcher(peers, opts.clock, opts.schedule ? { schedule: opts.schedule } : {}),
      speculativeRetryMs: opts.speculativeRetryMs ?? (() => DEFAULT_SPECULATIVE_RETRY_MS),
      members: opts.members,
      clock: opts.clock,
      metrics: opts.metrics,
      log: opts.log ?? (() => undefined),
      hints: opts.hints,
      health: opts.storageHealth,
      dcLag: new DcLagWindow(),
    };
    this.writes = new WriteCoordinator(this.dp, this.holds);
    this.dp.replica.onDivergence = (key, dots) => {
      opts.metrics?.divergentDots.inc(dots);
      this.dp.log('error', 'one dot holds two different writes: both are kept as siblings', { key: key.toString('latin1').slice(0, 128), dots });
    };
  }

  /** This node's part as a replica (merges under the key lock, the flush epoch): what streaming and repair write through. */
  get replica(): ReplicaService {
    return this.dp.replica;
  }

  get r(): number {
    return this.opts.r();
  }

  get w(): number {
    return this.opts.w();
  }

  async read(key: Buffer, opts?: ReadOptions): Promise<VersionedObject | undefined> {
    const [obj] = await this.readMany([key], opts);
    return obj;
  }

  readMany(keys: readonly Buffer[], opts?: ReadOptions): Promise<Array<VersionedObject | undefined>> {
    return this.observe('read', async () => {
      this.assertReady();
      checkQuorum('R', opts?.r, this.n);
      return quorumRead(this.dp, keys, this.n, opts?.r ?? this.r, this.opts.requestTimeoutMs(), this.level(opts?.cl, opts?.r, this.opts.readConsistency));
    });
  }

  async readLocal(key: Buffer): Promise<VersionedObject | undefined> {
    const { objs } = await this.dp.replica.get([key]);
    return objs[0];
  }

  write(key: Buffer, req: WriteRequest, opts?: WriteOptions): Promise<VersionedObject> {
    return this.observe('write', async () => {
      this.assertReady();
      checkQuorum('W', opts?.w, this.n);
      checkHomeQuorum(opts?.pw, this.n);
      const { obj, acks, reply, created } = await this.writeOnce(key, req, this.params(opts?.w, undefined, opts?.pw, this.writeLevel(opts), opts?.holder));
      opts?.onAcks?.(acks);
      if (reply !== undefined) opts?.onReply?.(reply);
      if (created) opts?.onCreated?.();
      return obj;
    });
  }

  update<T>(
    key: Buffer,
    decide: (current: VersionedObject | undefined) => UpdateDecision<T>,
    opts?: WriteOptions & ReadOptions,
  ): Promise<T> {
    return this.observe('update', async () => {
      this.assertReady();
      checkQuorum('R', opts?.r, this.n);
      checkQuorum('W', opts?.w, this.n);
      checkHomeQuorum(opts?.pw, this.n);
      const p = this.params(opts?.w, opts?.r, opts?.pw, this.writeLevel(opts), opts?.holder);
      const readLevel = this.level(opts?.cl, opts?.r, this.opts.readConsistency);
      return this.updates.run(key, async () => {
        for (let attempt = 0; ; attempt++) {
          const [current] = await quorumRead(this.dp, [key], p.n, p.r, p.timeoutMs, readLevel);
          const decision = decide(current);
          if (!decision.write) return decision.result;
          const seen = current?.clock ?? {};
          try {
            const { created } = await this.writeOnce(key, { ...decision.write, supersedes: { kind: 'context', clock: seen }, ifClock: seen }, p);
            if (created) opts?.onCreated?.();
            return decision.result;
          } catch (err) {
            if (!isQkvError(err) || err.code !== 'CONFLICT' || attempt >= UPDATE_RETRIES) throw err;
            await this.pause(attempt);
          }
        }
      });
    });
  }

  /** The recent lag of this node's writes to each remote DC's replicas. */
  dcLag(): DcLagSummary[] {
    return this.dp.dcLag?.summary() ?? [];
  }

  holding<T>(keys: readonly Buffer[], run: (kv: KvApi) => Promise<T>): Promise<T> {
    return this.holds.run(keys, (holder) => run(heldKv(this, holder)));
  }

  scan(cursor: bigint, count: number): Promise<{ keys: Array<{ key: Buffer; obj: VersionedObject }>; next: bigint }> {
    return this.observe('scan', async () => {
      this.assertReady();
      return clusterScan(this.dp, cursor, count, this.n, this.r, this.opts.requestTimeoutMs());
    });
  }

  /** Counts live keys by walking the whole ring in scan pages: O(keys in the cluster). */
  async dbsize(): Promise<number> {
    let total = 0;
    let cursor = 0n;
    do {
      const page = await this.scan(cursor, DBSIZE_PAGE);
      total += page.keys.length;
      cursor = page.next;
    } while (cursor !== 0n);
    return total;
  }

  flushAll(): Promise<void> {
    this.assertReady();
    return flushCluster(this.dp, this.opts.requestTimeoutMs());
  }

  /** The handler of peer requests: register it with transport.onRequest((from, msg) => coord.handleRequest(from, msg)). */
  async handleRequest(from: string, msg: unknown): Promise<unknown> {
    if (typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === BATCH_TYPE) {
      return handleBatch(this.dp.replica, msg as Record<string, unknown>, this.maxReplyBytes);
    }
    if (isDcForward(msg)) return forwardInDc(this.dp, parseDcForward(msg as Record<string, unknown>));
    let req;
    try {
      req = parseRequest(msg);
    } catch (err) {
      this.dp.log('warn', 'bad request from peer', { from, error: (err as Error).message });
      throw err;
    }
    const replica = this.dp.replica;
    switch (req.type) {
      case 'r.get': {
        const { objs, epoch } = await replica.get(req.keys);
        const out: Array<Buffer | null> = [];
        let bytes = 0;
        // A prefix that fits in a reply; the reader asks again for the rest.
        for (const o of objs) {
          if (out.length > 0 && bytes >= this.maxReplyBytes) break;
          const b = o ? encodeObject(o) : null;
          bytes += (b?.length ?? 0) + 8;
          out.push(b);
        }
        return { epoch, objs: out };
      }
      case 'r.merge':
        await replica.merge(req.key, decodeIncoming(req.obj), req.epoch);
        return { ok: true };
      case 'c.write':
        return this.coordinateForwarded(req);
      case 'c.scan': {
        const page = await replica.scan(req.ranges, req.limit, this.maxReplyBytes);
        return {
          keys: page.entries.map((e) => e.key),
          hashes: page.entries.map((e) => e.hash),
          objs: page.entries.map((e) => encodeObject(e.obj)),
          next: page.next,
        };
      }
      case 'c.flush':
        return replica.flush(req.epoch);
      case 'h.store':
        return this.storeHint(req);
    }
  }

  /** Refuses, with one clear error, a request that needs the ring while this node cannot serve yet. */
  private assertReady(): void {
    const why = this.opts.notReady?.();
    if (why) throw new QkvError('TRYAGAIN', clusterForming(why), 'forming');
  }

  /** Quorums for one write: PW defaults to 0 with a sloppy quorum, else to W (only home replicas count). */
  private params(w: number | undefined, r: number | undefined, pw: number | undefined, level?: LevelChoice, holder?: Holder): WriteParams {
    const ww = w ?? this.w;
    return {
      n: this.n,
      w: ww,
      r: r ?? this.r,
      pw: pw ?? this.defaultPw(ww),
      timeoutMs: this.opts.requestTimeoutMs(),
      ...(level ? { level } : {}),
      ...(holder ? { holder } : {}),
    };
  }

  /**
   * The level a request runs at, with this node's DC as the local one: its
   * own, else none when it names a number, else the node's default.
   */
  private level(cl: ConsistencyLevel | undefined, numeric: number | undefined, fallback: (() => ConsistencyLevel | null) | undefined): LevelChoice | undefined {
    const chosen = cl ?? (numeric === undefined ? (fallback?.() ?? undefined) : undefined);
    return chosen ? { cl: chosen, dc: this.dp.members.ring().dcOf(this.dp.self) ?? '' } : undefined;
  }

  private writeLevel(opts: WriteOptions | undefined): LevelChoice | undefined {
    return this.level(opts?.cl, opts?.w ?? opts?.pw, this.opts.writeConsistency);
  }

  private defaultPw(w: number): number {
    return (this.opts.sloppyQuorum?.() ?? true) ? 0 : w;
  }

  /**
   * A stand-in's part of a sloppy quorum: keep the version as a hint for its
   * owner, durably, then acknowledge. A hint the store cannot keep is refused
   * (the error keeps its HINTREFUSED code on the wire), and the coordinator
   * asks the next stand-in.
   */
  private async storeHint(req: HintRequest): Promise<unknown> {
    const hints = this.dp.hints;
    if (!hints) throw new QkvError('UNAVAILABLE', `${this.dp.self} keeps no hints`);
    if (req.owner === this.dp.self) throw new QkvError('ERR', 'bad request: a hint for its own holder');
    decodeIncoming(req.obj);
    await hints.add(req.owner, req.key, req.obj, req.epoch);
    return { ok: true };
  }

  /**
   * Coordinates the write here if this node is a replica of the key, else
   * forwards it to the first reachable replica. Conditional writes (IF, and
   * every update) always go to the first reachable replica, so while the
   * nodes agree on who that is, their IF checks run one at a time under its
   * key lock and two updates of one key cannot both pass.
   */
  private async writeOnce(key: Buffer, req: WriteRequest, p: WriteParams): Promise<WriteOutcome> {
    const self = this.dp.self;
    const md5 = keyMd5(key);
    const ring = this.dp.members.ring();
    const replicas = ring.preferenceList(md5.readBigUInt64BE(0), p.n);
    const place: KeyPlace = { md5, ring, home: replicas };
    // A replica that turned the write away untouched (the request never reached it, it is not a replica in its
    // view, its disk fails, its ring is still forming: a typed reason says so) is skipped for the next one;
    // once a write may have been applied, it is never sent again. This node, when a replica, goes first for
    // plain writes; a node whose disk fails is not reachable to itself (see reachable), so it forwards.
    const skipped = new Set<string>();
    // Increments and hash/set writes, like conditional writes, go to the first reachable replica too: a
    // script running there on the key (key-holds.ts) then comes wholly before or after them.
    const ownFirst = !req.ifClock && req.counterDelta === undefined && req.op === undefined && replicas.includes(self);
    let lastRefusal: QkvError | null = null;
    for (;;) {
      const usable = (node: string): boolean => !skipped.has(node) && reachable(this.dp, node);
      // A local level is coordinated in the entry node's DC when a replica there can take it.
      const local = p.level && isLocalLevel(p.level.cl) ? replicas.find((node) => usable(node) && ring.dcOf(node) === p.level!.dc) : undefined;
      const target = ownFirst && usable(self) ? self : (local ?? replicas.find(usable));
      if (!target) {
        // Every replica that could be asked turned it away: the last refusal says why (a forming ring is TRYAGAIN).
        if (lastRefusal) throw lastRefusal;
        throw new QkvError('UNAVAILABLE', `0 of ${replicas.length} replicas reachable, ${p.w} needed; nothing was written`);
      }
      const outcome = target === self ? await this.coordinateHere(key, req, p, place) : await this.forward(target, key, req, p);
      if (!(outcome instanceof QkvError)) return outcome;
      this.dp.log('debug', 'write turned away untouched; trying the next replica', { target, reason: outcome.reason, error: outcome.message });
      skipped.add(target);
      lastRefusal = outcome;
    }
  }

  /** Coordinates the write on this node; a refusal that stored nothing comes back (to try the next replica), anything else throws. */
  private async coordinateHere(key: Buffer, req: WriteRequest, p: WriteParams, at: KeyPlace): Promise<WriteOutcome | QkvError> {
    try {
      return await this.writes.coordinate(key, req, p, at);
    } catch (err) {
      if (err instanceof QkvError && err.reason !== undefined && TURNED_AWAY.has(err.reason)) return err;
      throw err;
    }
  }

  /** Sends the write to a replica to coordinate; a refusal that stored nothing comes back, anything else throws. */
  private async forward(target: string, key: Buffer, req: WriteRequest, p: WriteParams): Promise<WriteOutcome | QkvError> {
    const msg = writeForwardOf(key, req, p);
    let reply;
    try {
      // The coordinator may read (IF) and then replicate, each within the timeout.
      reply = parseWriteReply(await this.dp.peers.call(target, msg, 3 * p.timeoutMs));
    } catch (err) {
      const e = err instanceof QkvError ? err : new QkvError('ERR', String(err));
      if (e.reason === 'not-sent') return e;
      throw new QkvError(e.code, `the write was forwarded to ${target}, which did not answer (${e.message}); the write may be present on some replicas`);
    }
    if ('error' in reply) {
      const { code, message, reason } = reply.error;
      const refusal = new QkvError(code, message, reason);
      if (reason !== undefined && TURNED_AWAY.has(reason)) return refusal;
      throw refusal;
    }
    // An older coordinator does not say: its acknowledgement meant W replicas, home ones as far as the entry node knows.
    const acks = { home: reply.home ?? p.w, total: reply.total ?? p.w };
    return { obj: decodeObject(reply.obj), acks, ...(reply.reply ? { reply: decodeOpReply(reply.reply) } : {}), ...(reply.created ? { created: true } : {}) };
  }

  /** A write forwarded by an entry node; a refusal travels back in the reply, so the entry node tells it from a lost message. */
  private async coordinateForwarded(req: WriteForward): Promise<unknown> {
    const write = writeRequestOf(req);
    try {
      this.assertReady();
      checkQuorum('W', req.w, this.n);
      checkQuorum('R', req.r, this.n);
      checkHomeQuorum(req.pw, this.n);
      const pw = req.pw ?? this.defaultPw(req.w);
      const op = req.op ? decodeOp(req.op) : undefined;
      // The entry node's level, counted from the entry node's DC.
      const cl = req.cl === undefined ? undefined : checkLevel(req.cl);
      const { obj, acks, reply, created } = await this.writes.coordinate(req.key, op ? { ...write, op } : write, {
        n: this.n,
        w: req.w,
        r: req.r,
        pw,
        timeoutMs: this.opts.requestTimeoutMs(),
        ...(cl ? { level: { cl, dc: req.dc ?? '' } } : {}),
      });
      return { obj: encodeObject(obj), home: acks.home, total: acks.total, ...(reply !== undefined ? { reply: encodeOpReply(reply) } : {}), ...(created ? { created: true } : {}) };
    } catch (err) {
      const e = err instanceof QkvError ? err : new QkvError('ERR', String(err));
      return { error: { code: e.code, message: e.message, ...(e.reason ? { reason: e.reason } : {}) } };
    }
  }

  /** A jittered, exponentially growing wait before retrying a conflicted update (1..10 ms, then up to 20, 40, ...). */
  private pause(attempt: number): Promise<void> {
    const ms = 1 + this.opts.rng.int(10 * 2 ** attempt);
    return new Promise((resolve) => this.opts.clock.setTimeout(resolve, ms));
  }

  private async observe<T>(type: 'read' | 'write' | 'update' | 'scan', run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      this.opts.metrics?.quorumOperation(type, 'ok');
      return result;
    } catch (err) {
      this.opts.metrics?.quorumOperation(type, outcomeOf(err));
      throw err;
    }
  }
}

/** A version from a peer; undecodable bytes are the peer's fault, not corruption here. */
function decodeIncoming(b: Buffer): VersionedObject {
  try {
    return decodeObject(b);
  } catch (err) {
    throw new QkvError('ERR', `bad request: ${(err as Error).message}`);
  }
}
