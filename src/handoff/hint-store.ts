import { QkvError } from '../core/errors.js';
import type { Engine, EngineWrite } from '../storage/engine.js';
import { GroupCommit } from '../storage/group-commit.js';
import { HintRefused, type HintRefusalReason } from './hint-refusal.js';
import { allHintsRange, decodeHintValue, encodeHintValue, hintKey, parseHintKey, targetRange } from './hint-layout.js';

/**
 * Durable hints: versions this node holds for another node (the target) that
 * could not take them when they were written, kept until the target has
 * merged them.
 *
 * Hints live in the node's own engine under the 'h' prefix (hint-layout.ts),
 * not in a second RocksDB: the record store never reads or deletes that
 * prefix (its FLUSHALL, key counts, scans and expiry sweep work on 'd' and
 * 'x' only), and one database means one WAL, one fsync policy and one block
 * cache instead of two. Hints are not records: they are invisible to reads,
 * SCAN, DBSIZE and Merkle trees.
 *
 * Per target, hints are ordered by a sequence number and bounded by count and
 * bytes. A hint that does not fit is REFUSED (HintRefused, with a typed
 * reason; onRefused fires so anti-entropy can look at the target first): a
 * hint this store acknowledged may be the copy a write's quorum counted, so
 * it is never dropped to make room. Every add that resolves is durable; a
 * failed engine write refuses every add of its batch (storage_error). Several
 * hints for one key are kept in order, not merged: merging would need a key
 * -> hint index, and delivering each is harmless since merges commute.
 *
 * Every change (add, removal after delivery or for good) goes through one
 * group commit, one batch at a time, so the in-memory counts always match
 * what is on disk and concurrent adds share a write. Whether an add fits is
 * decided in its batch, after the batch's removals and the adds before it.
 *
 * With replicas per DC, the targets in each remote DC are bounded together
 * as well (groupOf names a target's group, maxBytesPerGroup bounds it): a DC
 * cut off for long fills its own allowance, never the one local hints use.
 */
export interface HintStoreOptions {
  readonly engine: Engine;
  /** fsync hint writes before acknowledging them (the node's --sync). */
  readonly sync: boolean;
  /** Most hints kept per target: the node's --hint-max-per-target (default in HINT_DEFAULTS, src/config). */
  readonly maxHintsPerTarget: number;
  /** Most bytes (hint keys and values) kept per target: the node's --hint-max-bytes-per-target. */
  readonly maxBytesPerTarget: number;
  /** The group a target's hints are bounded in together (its remote DC), or undefined for none. Read per batch. */
  readonly groupOf?: (target: string) => string | undefined;
  /** Most bytes kept for the targets of one group together: the node's --dc-hint-max-bytes. */
  readonly maxBytesPerGroup?: number;
  /** Hints for `target` were refused (once per batch and reason, with how many). */
  readonly onRefused?: (target: string, reason: HintRefusalReason, hints: number) => void;
  /** Hints became durable (once per batch, with how many). */
  readonly onStored?: (hints: number) => void;
  /** How a batch waits for the rest of its event-loop turn (default setImmediate). */
  readonly schedule?: (run: () => void) => void;
}

/** One stored hint, as delivery reads it. */
export interface Hint {
  readonly target: string;
  readonly seq: number;
  /** Bytes it counts for against the target's bound. */
  readonly size: number;
  readonly key: Buffer;
  /** The version, in its stored encoding. */
  readonly obj: Buffer;
  /** The flush epoch the version was written at. */
  readonly epoch: number;
}

export interface HintTargetStats {
  readonly pending: number;
  readonly bytes: number;
  readonly delivered: number;
  /** Removed without delivery: the owner refused them for good, or they outlived the tombstone grace. */
  readonly dropped: number;
  /** Never stored: refused at a bound, on a storage error or while closing. */
  readonly refused: number;
}

interface TargetState {
  /** Every hint below this sequence number is gone. */
  head: number;
  /** The next sequence number to give. */
  next: number;
  bytes: number;
  delivered: number;
  dropped: number;
  refused: number;
}

/** An add and, once its batch decided, why it was not stored. */
interface AddOp {
  readonly kind: 'add';
  readonly target: string;
  readonly value: Buffer;
  readonly size: number;
  refused?: HintRefused;
}

/** A removal and, once its batch decided, why it was not done. */
interface RemoveOp {
  readonly kind: 'remove';
  readonly target: string;
  readonly hints: readonly Hint[];
  readonly delivered: boolean;
  error?: QkvError;
}

type HintOp = AddOp | RemoveOp;

/** What a batch will do to the counts, applied only once it is durable. */
interface Plan {
  readonly states: Map<string, TargetState>;
  readonly stored: number;
}

export class HintStore {
  private readonly targetsById = new Map<string, TargetState>();
  private readonly commit: GroupCommit<HintOp>;
  private readonly maxHints: number;
  private readonly maxBytes: number;
  private plan: Plan | null = null;
  private closing: Promise<void> | null = null;

  private constructor(private readonly opts: HintStoreOptions) {
    this.maxHints = opts.maxHintsPerTarget;
    this.maxBytes = opts.maxBytesPerTarget;
    if (opts.maxBytesPerGroup !== undefined && !(opts.maxBytesPerGroup >= 1)) throw new QkvError('ERR', 'hint bounds must be at least 1');
    if (!(this.maxHints >= 1) || !(this.maxBytes >= 1)) throw new QkvError('ERR', 'hint bounds must be at least 1');
    this.commit = new GroupCommit<HintOp>(
      { write: (ops) => this.writeBatch(ops), settled: (ops, err) => this.settled(ops, err) },
      { maxBatchOps: 10_000, maxBatchBytes: 64 * 1024 * 1024, ...(opts.schedule ? { schedule: opts.schedule } : {}) },
    );
  }

  /** Opens the store over an open engine, rebuilding every target's counts from the hint keys. */
  static async open(opts: HintStoreOptions): Promise<HintStore> {
    const store = new HintStore(opts);
    for await (const [k] of opts.engine.iterate(allHintsRange())) {
      const { target, seq, size } = parseHintKey(k);
      const st = store.state(target);
      if (st.next === 0) st.head = seq;
      st.next = seq + 1;
      st.bytes += size;
    }
    return store;
  }

  /**
   * Stores a hint for `target`; resolves once it is durable. Rejects with
   * HintRefused when it cannot be kept (a bound reached, a storage error, the
   * store closing): nothing already stored is given up for it.
   */
  add(target: string, key: Buffer, obj: Buffer, epoch: number): Promise<void> {
    try {
      hintKey(target, 0, 0);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.closing) return this.refuseNow(target, 'closed', 'the hint store is closed');
    const value = encodeHintValue(epoch, key, obj);
    const size = value.length + key.length;
    // A hint larger than the whole bound never fits: refused before it enters a batch.
    if (size > this.maxBytes) return this.refuseNow(target, 'byte_bound', `a hint of ${size} bytes exceeds the per-target bound of ${this.maxBytes} bytes`);
    const op: AddOp = { kind: 'add', target, value, size };
    return this.commit.submit(op, size).then(
      () => {
        if (op.refused) throw op.refused;
      },
      (err: unknown) => {
        throw op.refused ?? err;
      },
    );
  }

  /** Up to `limit` of the target's oldest hints (at least one when any), stopping after about `maxBytes`. */
  async peek(target: string, limit: number, maxBytes = Infinity): Promise<Hint[]> {
    const st = this.targetsById.get(target);
    if (!st || st.next === st.head) return [];
    const out: Hint[] = [];
    let bytes = 0;
    for await (const [k, v] of this.opts.engine.iterate(targetRange(target, st.head, limit))) {
      const { seq, size } = parseHintKey(k);
      const { epoch, key, obj } = decodeHintValue(v);
      out.push({ target, seq, size, key, obj, epoch });
      bytes += size;
      if (bytes >= maxBytes) break;
    }
    return out;
  }

  /**
   * Removes hints the target acknowledged (delivered) or refused for good
   * (delivered false: counted as dropped). They must be the target's oldest,
   * in order; any already removed are skipped.
   */
  remove(target: string, hints: readonly Hint[], delivered = true): Promise<void> {
    if (hints.length === 0) return Promise.resolve();
    const op: RemoveOp = { kind: 'remove', target, hints, delivered };
    return this.commit.submit(op, 0).then(() => {
      if (op.error) throw op.error;
    });
  }

  /** Targets with hints pending, sorted. */
  targets(): string[] {
    return [...this.targetsById.entries()]
      .filter(([, st]) => st.next > st.head)
      .map(([id]) => id)
      .sort();
  }

  pendingOf(target: string): { count: number; bytes: number } {
    const st = this.targetsById.get(target);
    return st ? { count: st.next - st.head, bytes: st.bytes } : { count: 0, bytes: 0 };
  }

  /** Per target ever seen since start: pending hints and bytes; delivered, dropped and refused since start. */
  stats(): Record<string, HintTargetStats> {
    const out: Record<string, HintTargetStats> = {};
    for (const id of [...this.targetsById.keys()].sort()) {
      const st = this.targetsById.get(id)!;
      out[id] = { pending: st.next - st.head, bytes: st.bytes, delivered: st.delivered, dropped: st.dropped, refused: st.refused };
    }
    return out;
  }

  /** Waits for accepted changes to land; later adds are refused. Does not close the engine (the record store owns it). */
  close(): Promise<void> {
    this.closing ??= this.commit.drained();
    return this.closing;
  }

  private state(target: string): TargetState {
    let st = this.targetsById.get(target);
    if (!st) {
      st = { head: 0, next: 0, bytes: 0, delivered: 0, dropped: 0, refused: 0 };
      this.targetsById.set(target, st);
    }
    return st;
  }

  private refuseNow(target: string, reason: HintRefusalReason, detail: string): Promise<never> {
    this.state(target).refused++;
    this.opts.onRefused?.(target, reason, 1);
    return Promise.reject(new HintRefused(reason, target, detail));
  }

  /**
   * Plans the batch against working copies of the counts: removals first
   * (they name hints that exist already, never ones added in this batch),
   * then each add in order, stored if it fits and refused if not.
   */
  private async writeBatch(ops: HintOp[]): Promise<void> {
    const states = new Map<string, TargetState>();
    const working = (target: string): TargetState => {
      let st = states.get(target);
      if (!st) {
        st = { ...this.state(target) };
        states.set(target, st);
      }
      return st;
    };
    const writes: EngineWrite[] = [];
    for (const op of ops) {
      if (op.kind !== 'remove') continue;
      const st = working(op.target);
      const live = op.hints.filter((h) => h.seq >= st.head);
      if (!live.every((h, i) => h.seq === st.head + i)) {
        op.error = new QkvError('ERR', 'hints must be removed oldest first');
        continue;
      }
      for (const h of live) {
        writes.push({ type: 'del', key: hintKey(op.target, h.seq, h.size) });
        st.head++;
        st.bytes -= h.size;
        if (op.delivered) st.delivered++;
        else st.dropped++;
      }
    }
    let stored = 0;
    const groups = this.groupBytes(states);
    for (const op of ops) {
      if (op.kind !== 'add') continue;
      const st = working(op.target);
      const group = groups ? this.opts.groupOf!(op.target) : undefined;
      const groupBytes = group === undefined ? 0 : (groups!.get(group) ?? 0);
      if (group !== undefined && groupBytes + op.size > this.opts.maxBytesPerGroup!) {
        op.refused = new HintRefused('dc_byte_bound', op.target, `${groupBytes} bytes pending for ${group}; ${op.size} more would pass its bound of ${this.opts.maxBytesPerGroup}`);
        continue;
      }
      const count = st.next - st.head;
      if (count + 1 > this.maxHints) {
        op.refused = new HintRefused('count_bound', op.target, `${count} hints pending, the per-target bound`);
        continue;
      }
      if (st.bytes + op.size > this.maxBytes) {
        op.refused = new HintRefused('byte_bound', op.target, `${st.bytes} bytes pending; ${op.size} more would pass the per-target bound of ${this.maxBytes}`);
        continue;
      }
      writes.push({ type: 'put', key: hintKey(op.target, st.next, op.size), value: op.value });
      st.next++;
      st.bytes += op.size;
      if (group !== undefined) groups!.set(group, groupBytes + op.size);
      stored++;
    }
    this.plan = { states, stored };
    if (writes.length > 0) await this.opts.engine.write(writes, this.opts.sync);
  }

  /** Bytes pending per group, counting the batch's removals (working states) over the stored counts; null without a group bound. */
  private groupBytes(working: ReadonlyMap<string, TargetState>): Map<string, number> | null {
    const groupOf = this.opts.groupOf;
    if (!groupOf || this.opts.maxBytesPerGroup === undefined) return null;
    const out = new Map<string, number>();
    for (const [target, st] of this.targetsById) {
      const group = groupOf(target);
      if (group !== undefined) out.set(group, (out.get(group) ?? 0) + (working.get(target) ?? st).bytes);
    }
    return out;
  }

  /** Bytes pending per group (remote DC), for metrics; empty without a group bound. */
  groupStats(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [group, bytes] of this.groupBytes(new Map()) ?? []) out[group] = bytes;
    return out;
  }

  /**
   * Applies a durable batch's counts; after a failed write nothing changed on
   * disk, so every add of the batch is refused (storage_error) and every
   * removal fails. Refusals are counted per target and reported per reason.
   */
  private settled(ops: HintOp[], err: QkvError | null): void {
    const plan = this.plan;
    this.plan = null;
    if (!err && plan) for (const [target, st] of plan.states) Object.assign(this.state(target), st);
    const refusals = new Map<string, Map<HintRefusalReason, number>>();
    for (const op of ops) {
      if (op.kind !== 'add') continue;
      if (err && !op.refused) op.refused = new HintRefused('storage_error', op.target, err.message);
      if (!op.refused) continue;
      this.state(op.target).refused++;
      let byReason = refusals.get(op.target);
      if (!byReason) refusals.set(op.target, (byReason = new Map()));
      byReason.set(op.refused.refusal, (byReason.get(op.refused.refusal) ?? 0) + 1);
    }
    if (!err && plan && plan.stored > 0) this.opts.onStored?.(plan.stored);
    for (const [target, byReason] of refusals) for (const [reason, n] of byReason) this.opts.onRefused?.(target, reason, n);
  }
}
