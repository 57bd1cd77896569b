import type { TimerHandle } from '../core/clock.js';
import { ANTI_ENTROPY_DEFAULTS, type AntiEntropyOptions, type AntiEntropyStatus } from './anti-entropy-options.js';
import type { Ring } from '../ring/ring.js';
import type { RingRange } from '../ring/types.js';
import type { VersionedObject } from '../versioning/types.js';
import { Agreements } from './agreements.js';
import { collectRange, proposePurge, type CollectDeps } from './collector.js';
import { exchangeRange, type ExchangeResult } from './exchange.js';
import { isAntiEntropyMessage } from './messages.js';
import { Rebuilder } from './rebuild.js';
import { answerAntiEntropy } from './responder.js';
import { TokenBucket } from './token-bucket.js';
import { judgeRecord, type PurgeVerdict } from './purge-verdict.js';
import { TrackingStore } from './tracking-store.js';
import { TreeSet, type TreeSlot } from './tree-set.js';
import { deadSince, keyDigest, keyIdentity } from './version-hash.js';

export { ANTI_ENTROPY_DEFAULTS, type AntiEntropyObserver, type AntiEntropyOptions, type AntiEntropyStatus } from './anti-entropy-options.js';

/** Expired records proposed for purge in one message. */
const EXPIRED_BATCH = 256;

/**
 * Merkle-tree anti-entropy for one node: a tree per ring range it
 * replicates, kept current by the store wrapper; a scheduler that compares
 * each range with each other replica in turn (all ranges about once per
 * fullPassMs, sooner for a peer passed to prioritize); repair both ways,
 * rate-limited; and collection of dead records under the rule in
 * agreements.ts.
 */
export class AntiEntropy {
  readonly store: TrackingStore;
  readonly trees: TreeSet;
  private readonly agreements = new Agreements();
  private readonly rebuilder: Rebuilder;
  private readonly keyBucket: TokenBucket;
  private readonly byteBucket: TokenBucket;
  private readonly intervalMs: number;
  private readonly fullPassMs: number;
  private readonly graceMs: number;
  private readonly parallel: number;
  private timer: TimerHandle | null = null;
  private round: Promise<void> | null = null;
  private closed = false;
  private lastRing: Ring | null = null;
  private ranges: RingRange[] = [];
  private cursor = 0;
  private passStartedAt = 0;
  /** The last round repaired keys (or left prioritized pairs): rounds run back to back, for up to intervalMs each. */
  private catchingUp = false;
  private followUp: TimerHandle | null = null;
  private readonly priority: Array<{ range: RingRange; peer: string }> = [];
  private readonly st: Omit<AntiEntropyStatus, 'rebuild' | 'ranges' | 'trackedKeys' | 'treeBytes'> = {
    exchanges: 0,
    exchangesInSync: 0,
    exchangesFailed: 0,
    keysRepaired: 0,
    bytesRepaired: 0,
    repairRate: 0,
    lastFullPassSeconds: null,
    tombstonesPurged: 0,
    expiredPurged: 0,
    purgesRefused: 0,
    prioritized: 0,
  };
  /** Expired records the sweep found due, waiting to be proposed to their other replicas (by key). */
  private readonly expiredDue = new Map<string, { key: Buffer; obj: VersionedObject; others: readonly string[] }>();
  /** Keys whose purge is being proposed now. */
  private readonly proposing = new Set<string>();

  constructor(private readonly opts: AntiEntropyOptions) {
    this.trees = new TreeSet(opts.leaves ?? 64);
    this.store = new TrackingStore(opts.inner, this.trees);
    this.intervalMs = opts.intervalMs ?? ANTI_ENTROPY_DEFAULTS.intervalMs;
    this.fullPassMs = opts.fullPassMs ?? ANTI_ENTROPY_DEFAULTS.fullPassMs;
    this.graceMs = opts.graceMs ?? ANTI_ENTROPY_DEFAULTS.graceMs;
    this.parallel = Math.max(1, opts.parallel ?? 4);
    this.keyBucket = new TokenBucket(opts.clock, opts.maxKeysPerSec ?? ANTI_ENTROPY_DEFAULTS.maxKeysPerSec);
    this.byteBucket = new TokenBucket(opts.clock, opts.maxBytesPerSec ?? ANTI_ENTROPY_DEFAULTS.maxBytesPerSec);
    this.rebuilder = new Rebuilder(
      this.trees,
      this.store,
      opts.clock,
      (p) => opts.observer?.rebuild?.(p),
      (err) => opts.log?.('warn', 'rebuilding a Merkle tree from storage failed; it is retried at the next round', { error: String(err) }),
    );
  }

  /** Builds the trees from storage and starts the scheduler (call once membership has joined). */
  start(): void {
    if (this.timer || this.closed) return;
    this.passStartedAt = this.opts.clock.monotonic();
    this.refreshRanges();
    this.timer = this.opts.clock.setInterval(() => void this.runRound(), this.intervalMs);
  }

  /** Compares every range shared with peer at the next rounds, before the regular order (a peer came back, or hints for it were refused). */
  prioritize(peer: string): void {
    this.refreshRanges();
    for (const range of this.ranges) {
      if (!range.owners.includes(peer) || peer === this.opts.nodeId) continue;
      if (!this.priority.some((p) => p.peer === peer && p.range === range)) this.priority.push({ range, peer });
    }
    this.st.prioritized++;
  }

  /** Handles a peer's 'a.*' request. */
  handles(msg: unknown): boolean {
    return isAntiEntropyMessage(msg);
  }

  handleRequest(_from: string, msg: unknown): Promise<unknown> {
    // A purge is judged against the ranges of the current ring (none before start: refused as not-replica).
    if (this.timer) this.refreshRanges();
    return answerAntiEntropy(
      {
        trees: this.trees,
        store: this.store,
        mergeLocal: this.opts.mergeLocal,
        epoch: this.opts.epoch,
        maxReplyBytes: 4 * 1024 * 1024,
        judge: this.judge,
        onPushed: (n, bytes) => this.opts.observer?.repaired?.('pulled', n, bytes),
        onPurged: (kind, n) => this.countPurged(kind, n),
        onRefused: (reason, n) => {
          this.st.purgesRefused += n;
          this.opts.observer?.purgeRefused?.(reason, n);
        },
      },
      msg,
    );
  }

  /**
   * This node's verdict on purging its copy `held` of key, asked about the
   * version with this digest: by its own clock, and its own horizon for the
   * range (Agreements.purgeHorizon).
   */
  readonly judge = (key: Buffer, held: VersionedObject, digest: bigint): PurgeVerdict => {
    const now = this.opts.clock.now();
    const place = this.placeOf(key, now);
    return judgeRecord(held, keyDigest(key, held).digest === digest, now, place.range ? place.horizon : null);
  };

  /** The range of key in this node's view, its other replicas, and its purge horizon now. */
  private placeOf(key: Buffer, now: number): { range: RingRange | undefined; others: string[]; horizon: number } {
    const id = keyIdentity(key);
    const range = this.ranges.find((r) => id.pos >= r.start && id.pos < r.end);
    const others = range ? range.owners.filter((o) => o !== this.opts.nodeId) : [];
    const horizon = range ? this.purgeHorizon(range, others, now) : now - this.graceMs;
    return { range, others, horizon };
  }

  /**
   * Records dead before this may be purged from range. While members join or
   * leave, nothing may: a pending owner holds (or is being streamed) copies
   * that no purge agreement covers, and a tombstone collected meanwhile
   * would let its older copy come back once it owns the range.
   */
  private purgeHorizon(range: RingRange, others: readonly string[], now: number): number {
    if (this.opts.ring().hasPendingChanges) return -Infinity;
    return this.agreements.purgeHorizon(range, others, now, this.graceMs);
  }

  /**
   * The store's say on purging an expired record (RecordStoreOptions.canPurge),
   * synchronous as a batch is built. Once it is dead past this node's horizon,
   * a record no other node replicates is purged at once; otherwise its purge
   * is proposed to the other replicas (proposePurge), which remove it, and
   * then this node, only if every one of them agrees. The sweep meanwhile
   * keeps it and looks again later.
   */
  canPurge = (key: Buffer, obj: VersionedObject, now: number): boolean | number => {
    const later = now + Math.max(this.intervalMs, Math.min(this.graceMs, 60_000));
    // Before start this node knows no ranges: it cannot tell a record others replicate from one they do not.
    if (!this.timer) return later;
    const { others, horizon } = this.placeOf(key, now);
    const died = deadSince(obj);
    if (died > horizon) return Math.max(later, died + this.graceMs);
    if (others.length > 0) {
      this.queueExpired(key, obj, others);
      return later;
    }
    this.trees.purged(key, obj);
    this.countPurged('expired', 1);
    return true;
  };

  private countPurged(kind: 'tombstone' | 'expired', n: number): void {
    if (n <= 0) return;
    if (kind === 'tombstone') this.st.tombstonesPurged += n;
    else this.st.expiredPurged += n;
    this.opts.observer?.purged?.(kind, n);
  }

  /** Expired records found by one sweep are proposed together, in one message per replica. */
  private queueExpired(key: Buffer, obj: VersionedObject, others: readonly string[]): void {
    const id = key.toString('latin1');
    if (this.proposing.has(id) || this.closed) return;
    if (this.expiredDue.size === 0) queueMicrotask(() => void this.proposeExpired());
    this.expiredDue.set(id, { key: Buffer.from(key), obj, others });
  }

  private async proposeExpired(): Promise<void> {
    const groups = new Map<string, Array<{ id: string; key: Buffer; obj: VersionedObject; others: readonly string[] }>>();
    for (const [id, e] of this.expiredDue) {
      this.proposing.add(id);
      const g = e.others.join('\n');
      const list = groups.get(g) ?? [];
      list.push({ id, ...e });
      groups.set(g, list);
    }
    this.expiredDue.clear();
    for (const list of groups.values()) {
      for (let i = 0; i < list.length; i += EXPIRED_BATCH) {
        const batch = list.slice(i, i + EXPIRED_BATCH);
        try {
          const r = await proposePurge(this.collectDeps(), batch[0]!.others, batch);
          this.countPurged('tombstone', r.tombstone);
          this.countPurged('expired', r.expired);
        } catch (e) {
          this.opts.log?.('debug', 'proposing expired records for purge failed', { error: String(e) });
        } finally {
          for (const item of batch) this.proposing.delete(item.id);
        }
      }
    }
  }

  status(): AntiEntropyStatus {
    const p = this.rebuilder.progress;
    return {
      rebuild: { done: p.done, total: p.total, rate: Math.round(p.rate), etaSeconds: Math.round(p.etaSeconds), rangesLeft: p.rangesLeft, running: p.running },
      ranges: this.trees.all().length,
      trackedKeys: this.trees.keys(),
      treeBytes: this.trees.bytes(),
      ...this.st,
    };
  }

  /**
   * Stops the scheduler and waits for the rebuild scan under way. An
   * exchange under way is not waited for (it may be pacing itself on the
   * clock): it stops at its next step, and its failures are only counted.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    this.followUp?.cancel();
    this.followUp = null;
    await this.rebuilder.stop();
  }

  /** Runs one scheduler round now unless one is under way; resolves when it is done. */
  runRound(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.round ??= this.roundOnce().finally(() => {
      this.round = null;
      // Catching up: the next round starts now rather than at the next tick, so repair runs back to back.
      if (this.catchingUp && !this.closed && !this.followUp) {
        this.followUp = this.opts.clock.setTimeout(() => {
          this.followUp = null;
          void this.runRound();
        }, 0);
      }
    });
    return this.round;
  }

  /**
   * One round. Normally it compares perRound() ranges, the full-pass pace.
   * Prioritized pairs, and any round after one that repaired keys, go
   * on for up to intervalMs instead: then the repair budget (the token
   * buckets) sets the pace, not fullPassMs, so a replica that missed many
   * writes is repaired at about maxKeysPerSec, not one pass's share a round.
   */
  private async roundOnce(): Promise<void> {
    this.refreshRanges();
    // A tree whose scan failed waits for another.
    if (this.trees.all().some((slot) => slot.state === 'pending')) void this.rebuilder.kick();
    // Nothing left to compare (this node left the ring): no catching up, or the follow-up rounds would spin.
    if (this.ranges.length === 0) {
      this.catchingUp = false;
      return;
    }
    const t0 = this.opts.clock.monotonic();
    const timeLeft = (): boolean => this.opts.clock.monotonic() - t0 < this.intervalMs;
    // Catching up, a few exchanges run at once: each is a chain of round trips, and under client load
    // one at a time would leave the repair budget unspent while waiting on busy peers.
    if (this.priority.length > 0) {
      let taken = 0;
      const lane = async (): Promise<void> => {
        while (this.priority.length > 0 && !this.closed && (taken < this.perRound() || timeLeft())) {
          taken++;
          const { range, peer } = this.priority.shift()!;
          await this.exchangeWith(range, peer);
        }
      };
      await Promise.all(Array.from({ length: this.parallel }, lane));
      this.catchingUp = this.priority.length > 0;
      return;
    }
    // Differences that repair cannot remove (a tombstone facing no record) do not count: only keys moved.
    let differed = false;
    let taken = 0;
    const running: Array<Promise<void>> = [];
    const addLane = (): number => running.push(lane());
    const lane = async (): Promise<void> => {
      // Going on past perRound() needs exchanges that reach their peers: one that is skipped (peer
      // unreachable, tree not ready) settles without waiting on anything, and a lane of those would hold
      // the event loop in promise jobs until intervalMs ran out.
      let compared = true;
      while (!this.closed && (taken < this.perRound() || (compared && (this.catchingUp || differed) && timeLeft()))) {
        // A node that holds no range now (it left, or its ring changed under this round) has nothing to compare.
        if (this.ranges.length === 0) break;
        taken++;
        const range = this.nextRange();
        const others = range.owners.filter((o) => o !== this.opts.nodeId);
        compared = false;
        for (const peer of others) {
          const r = await this.exchangeWith(range, peer);
          if (r?.compared) compared = true;
          if (r && r.pulled + r.pushed > 0) differed = true;
        }
        // The first repair of a round opens the other lanes.
        while (differed && running.length < this.parallel) addLane();
        await this.collect(range, others);
      }
    };
    const start = this.catchingUp ? this.parallel : 1;
    while (running.length < start) addLane();
    for (let i = 0; i < running.length; i++) await running[i];
    this.catchingUp = differed;
  }

  /** The next range of the regular pass; wrapping around ends a full pass. */
  private nextRange(): RingRange {
    if (this.cursor >= this.ranges.length) {
      this.cursor = 0;
      const now = this.opts.clock.monotonic();
      this.st.lastFullPassSeconds = (now - this.passStartedAt) / 1000;
      this.opts.observer?.fullPass?.(this.st.lastFullPassSeconds);
      this.passStartedAt = now;
    }
    return this.ranges[this.cursor++]!;
  }

  /** Ranges compared each round, so that all of them are compared once per fullPassMs. */
  private perRound(): number {
    return Math.max(1, Math.ceil((this.ranges.length * this.intervalMs) / this.fullPassMs));
  }

  private async exchangeWith(range: RingRange, peer: string): Promise<ExchangeResult | null> {
    const slot = this.trees.slot(range);
    if (!slot || slot.state !== 'ready' || this.closed) return null;
    if (this.opts.isReachable && !this.opts.isReachable(peer)) return null;
    const startedAt = this.opts.clock.now();
    const t0 = this.opts.clock.monotonic();
    this.st.exchanges++;
    try {
      const r = await exchangeRange(
        {
          transport: this.opts.transport,
          store: this.store,
          clock: this.opts.clock,
          mergeLocal: this.opts.mergeLocal,
          epoch: this.opts.epoch,
          keyBucket: this.keyBucket,
          byteBucket: this.byteBucket,
          batchKeys: this.opts.batchKeys ?? 128,
          descendStep: this.opts.descendStep ?? 3,
          timeoutMs: this.opts.requestTimeoutMs ?? 10_000,
        },
        slot.tree,
        peer,
      );
      const ms = this.opts.clock.monotonic() - t0;
      if (!r.compared) {
        this.opts.observer?.exchange?.(peer, 'not-ready', ms);
        return r;
      }
      if (r.agreed) this.agreements.record(range, peer, startedAt, this.opts.clock.now());
      else this.st.exchangesFailed++;
      if (r.inSync) this.st.exchangesInSync++;
      const keys = r.pulled + r.pushed;
      this.st.keysRepaired += keys;
      this.st.bytesRepaired += r.bytes;
      if (keys > 0) {
        this.st.repairRate = Math.round((keys * 1000) / Math.max(1, ms));
        this.opts.observer?.repaired?.('pulled', r.pulled, 0);
        this.opts.observer?.repaired?.('pushed', r.pushed, r.bytes);
      }
      this.opts.observer?.exchange?.(peer, r.inSync ? 'in-sync' : r.agreed ? 'repaired' : 'failed', ms);
      return r;
    } catch (e) {
      this.st.exchangesFailed++;
      this.opts.observer?.exchange?.(peer, 'failed', this.opts.clock.monotonic() - t0);
      this.opts.log?.('debug', 'anti-entropy exchange failed', { peer, error: String(e) });
      return null;
    }
  }

  private async collect(range: RingRange, others: readonly string[]): Promise<void> {
    const slot: TreeSlot | undefined = this.trees.slot(range);
    if (!slot || slot.state !== 'ready' || slot.tree.tombstones === 0) return;
    const horizon = this.purgeHorizon(range, others, this.opts.clock.now());
    if (slot.tree.oldestTombstone > horizon) return;
    try {
      const n = await collectRange(this.collectDeps(), slot, others, horizon);
      this.countPurged('tombstone', n.tombstone);
      this.countPurged('expired', n.expired);
    } catch (e) {
      // The scan stopped partway: the oldest tombstone is unknown, so look again next time.
      slot.tree.oldestTombstone = -Infinity;
      this.opts.log?.('debug', 'tombstone collection failed', { error: String(e) });
    }
  }

  private collectDeps(): CollectDeps {
    return { store: this.store, transport: this.opts.transport, clock: this.opts.clock, timeoutMs: this.opts.requestTimeoutMs ?? 10_000, judge: this.judge };
  }

  /** Follows the ring: trees for ranges that moved are rebuilt from storage. */
  private refreshRanges(): void {
    const ring = this.opts.ring();
    if (ring === this.lastRing) return;
    this.lastRing = ring;
    const ranges = ring.rangesOf(this.opts.nodeId, this.opts.n);
    const same = ranges.length === this.ranges.length && ranges.every((r, i) => sameRange(r, this.ranges[i]!));
    if (same) return;
    this.ranges = ranges;
    this.cursor = 0;
    this.agreements.retain(ranges);
    if (this.trees.configure(ranges)) void this.rebuilder.kick();
  }
}

function sameRange(a: RingRange, b: RingRange): boolean {
  return a.start === b.start && a.end === b.end && a.owners.length === b.owners.length && a.owners.every((o, i) => o === b.owners[i]);
}

