import { QkvError } from '../core/errors.js';
import type { Engine, EngineWrite } from '../storage/engine.js';
import { GroupCommit } from '../storage/group-commit.js';
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
 * bytes; adding past a bound drops that target's OLDEST hints (counted, and
 * onOverflow fires so anti-entropy can look at the target first). Several
 * hints for one key are kept in order, not merged: merging would need a
 * key -> hint index, and delivering each is harmless since merges commute.
 *
 * Every change (add, removal after delivery, drop) goes through one group
 * commit, one batch at a time, so the in-memory counts always match what is
 * on disk and concurrent adds share a write.
 */
export interface HintStoreOptions {
  readonly engine: Engine;
  /** fsync hint writes before acknowledging them (the node's --sync). */
  readonly sync: boolean;
  /** Most hints kept per target (default 100,000). */
  readonly maxHintsPerTarget?: number;
  /** Most bytes (keys and values) kept per target (default 256 MiB). */
  readonly maxBytesPerTarget?: number;
  /** A target's oldest hints were dropped to stay within the bounds. */
  readonly onOverflow?: (target: string, dropped: number) => void;
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
  readonly dropped: number;
}

export const DEFAULT_MAX_HINTS_PER_TARGET = 100_000;
export const DEFAULT_MAX_HINT_BYTES_PER_TARGET = 256 * 1024 * 1024;

interface TargetState {
  /** Every hint below this sequence number is gone. */
  head: number;
  /** The next sequence number to give. */
  next: number;
  bytes: number;
  delivered: number;
  dropped: number;
}

type HintOp =
  | { readonly kind: 'add'; readonly target: string; readonly value: Buffer; readonly size: number }
  | { readonly kind: 'remove'; readonly target: string; readonly hints: readonly Hint[]; readonly delivered: boolean };

/** What a batch will do to the counts, applied only once it is durable. */
interface Plan {
  readonly states: Map<string, TargetState>;
  readonly overflows: Map<string, number>;
}

export class HintStore {
  private readonly targetsById = new Map<string, TargetState>();
  private readonly commit: GroupCommit<HintOp>;
  private readonly maxHints: number;
  private readonly maxBytes: number;
  private plan: Plan | null = null;
  private closing: Promise<void> | null = null;

  private constructor(private readonly opts: HintStoreOptions) {
    this.maxHints = opts.maxHintsPerTarget ?? DEFAULT_MAX_HINTS_PER_TARGET;
    this.maxBytes = opts.maxBytesPerTarget ?? DEFAULT_MAX_HINT_BYTES_PER_TARGET;
    if (!(this.maxHints >= 1) || !(this.maxBytes >= 1)) throw new QkvError('ERR', 'hint bounds must be at least 1');
    this.commit = new GroupCommit<HintOp>(
      { write: (ops) => this.writeBatch(ops), settled: (_ops, err) => this.settled(err) },
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

  /** Stores a hint for `target`; resolves once it is durable. */
  add(target: string, key: Buffer, obj: Buffer, epoch: number): Promise<void> {
    if (this.closing) return Promise.reject(new QkvError('UNAVAILABLE', 'the hint store is closed'));
    const value = encodeHintValue(epoch, key, obj);
    // The size is checked here, so a hint larger than the bound never enters a batch.
    const size = value.length + key.length;
    if (size > this.maxBytes) return Promise.reject(new QkvError('ERR', `a hint of ${size} bytes exceeds the per-target bound of ${this.maxBytes}`));
    try {
      hintKey(target, 0, 0);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.commit.submit({ kind: 'add', target, value, size }, size);
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
   * in order; those already dropped meanwhile are skipped.
   */
  remove(target: string, hints: readonly Hint[], delivered = true): Promise<void> {
    if (hints.length === 0) return Promise.resolve();
    return this.commit.submit({ kind: 'remove', target, hints, delivered }, 0);
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

  /** Per target ever seen since start: pending hints and bytes, delivered and dropped since start. */
  stats(): Record<string, HintTargetStats> {
    const out: Record<string, HintTargetStats> = {};
    for (const id of [...this.targetsById.keys()].sort()) {
      const st = this.targetsById.get(id)!;
      out[id] = { pending: st.next - st.head, bytes: st.bytes, delivered: st.delivered, dropped: st.dropped };
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
      st = { head: 0, next: 0, bytes: 0, delivered: 0, dropped: 0 };
      this.targetsById.set(target, st);
    }
    return st;
  }

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
    // Removals first: they name hints that exist already, never ones added in this batch.
    for (const op of ops) {
      if (op.kind !== 'remove') continue;
      const st = working(op.target);
      for (const h of op.hints) {
        if (h.seq < st.head) continue;
        if (h.seq !== st.head) throw new QkvError('ERR', 'hints must be removed oldest first');
        writes.push({ type: 'del', key: hintKey(op.target, h.seq, h.size) });
        st.head++;
        st.bytes -= h.size;
        if (op.delivered) st.delivered++;
        else st.dropped++;
      }
    }
    const adds = new Map<string, Array<Extract<HintOp, { kind: 'add' }>>>();
    for (const op of ops) {
      if (op.kind !== 'add') continue;
      const list = adds.get(op.target);
      if (list) list.push(op);
      else adds.set(op.target, [op]);
    }
    const overflows = new Map<string, number>();
    for (const [target, list] of adds) {
      const st = working(target);
      const dropped = await this.makeRoom(target, st, list, writes);
      if (dropped > 0) overflows.set(target, dropped);
      for (const op of list) {
        writes.push({ type: 'put', key: hintKey(target, st.next, op.size), value: op.value });
        st.next++;
        st.bytes += op.size;
      }
    }
    this.plan = { states, overflows };
    if (writes.length > 0) await this.opts.engine.write(writes, this.opts.sync);
  }

  /**
   * Drops the target's oldest hints until `list` fits within the bounds:
   * stored ones first, then the oldest of the list itself (removed from it:
   * they are never written). Returns how many were dropped.
   */
  private async makeRoom(target: string, st: TargetState, list: Array<{ size: number }>, writes: EngineWrite[]): Promise<number> {
    let addBytes = 0;
    for (const op of list) addBytes += op.size;
    const over = (): boolean => st.next - st.head + list.length > this.maxHints || st.bytes + addBytes > this.maxBytes;
    if (!over()) return 0;
    let dropped = 0;
    if (st.next > st.head) {
      for await (const [k] of this.opts.engine.iterate(targetRange(target, st.head, undefined, true))) {
        const { seq, size } = parseHintKey(k);
        writes.push({ type: 'del', key: k });
        st.head = seq + 1;
        st.bytes -= size;
        dropped++;
        if (!over() || st.head >= st.next) break;
      }
    }
    while (over() && list.length > 0) {
      addBytes -= list.shift()!.size;
      dropped++;
    }
    st.dropped += dropped;
    return dropped;
  }

  private settled(err: QkvError | null): void {
    const plan = this.plan;
    this.plan = null;
    if (err || !plan) return;
    for (const [target, st] of plan.states) Object.assign(this.state(target), st);
    for (const [target, n] of plan.overflows) this.opts.onOverflow?.(target, n);
  }
}
