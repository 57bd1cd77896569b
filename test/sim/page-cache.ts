import type { EngineWrite, KeyRange } from '../../src/storage/engine.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';

/** One batch the disk acknowledged without an fsync. */
type Unsynced = { readonly at: number } & ({ readonly ops: readonly EngineWrite[] } | { readonly range: KeyRange });

/**
 * The operating system's page cache under a node that writes with
 * `sync: false` (RocksDB's WAL written but not fsynced, the server's
 * default). The node's disk (a MemoryEngine) is what the process sees:
 * every landed batch at once. This keeps beside it what a power loss would
 * leave: batches synced, batches older than the fsync horizon (the kernel
 * writes dirty pages back within it), and nothing younger. A synced batch
 * flushes every batch before it too, as an fsync of the WAL does.
 *
 * A process crash loses nothing here (the page cache outlives the process);
 * `powerLoss` is the machine going down. Synchronous throughout, so batches
 * reach the durable copy in the order they landed.
 */
export class PageCache {
  /** What is on the platter: key (latin1) -> value. */
  private durable = new Map<string, Buffer>();
  private readonly pending: Unsynced[] = [];

  constructor(
    /** Unsynced batches older than this are on disk. */
    readonly horizonMs: number,
    /** The true time (not a node's skewed clock). */
    private readonly now: () => number,
  ) {}

  /** Batches a power loss would lose now. */
  get unsynced(): number {
    return this.pending.length;
  }

  /** A batch landed on the process's disk. */
  landed(ops: readonly EngineWrite[], sync: boolean): void {
    this.pending.push({ at: this.now(), ops });
    if (sync) this.flush(Infinity);
  }

  /** A range deletion landed (unsynced until the next synced batch or the horizon). */
  deletedRange(range: KeyRange): void {
    this.pending.push({ at: this.now(), range });
  }

  /** The disk was replaced: nothing is cached and nothing is on it. */
  wipe(): void {
    this.pending.length = 0;
    this.durable = new Map();
  }

  /**
   * The machine loses power now: batches older than the horizon reach
   * the disk, younger ones are gone. Returns a fresh disk holding exactly
   * what survived, for the next boot, and how many batches were dropped.
   */
  async powerLoss(): Promise<{ disk: MemoryEngine; lost: number }> {
    this.flush(this.now() - this.horizonMs);
    const lost = this.pending.length;
    this.pending.length = 0;
    const disk = new MemoryEngine();
    await disk.open();
    const ops: EngineWrite[] = [...this.durable].map(([k, value]) => ({ type: 'put', key: Buffer.from(k, 'latin1'), value }));
    if (ops.length > 0) await disk.write(ops, true);
    disk.writeBatches = 0;
    return { disk, lost };
  }

  /** Writes back every unsynced batch that landed at or before `upTo`, in order. */
  private flush(upTo: number): void {
    while (this.pending.length > 0 && this.pending[0]!.at <= upTo) {
      const b = this.pending.shift()!;
      if ('ops' in b) {
        for (const op of b.ops) {
          if (op.type === 'put') this.durable.set(op.key.toString('latin1'), Buffer.from(op.value!));
          else this.durable.delete(op.key.toString('latin1'));
        }
      } else {
        for (const k of [...this.durable.keys()]) if (inRange(Buffer.from(k, 'latin1'), b.range)) this.durable.delete(k);
      }
    }
  }
}

/** Whether key lies in [gte, lt) (range deletions here never carry a limit). */
function inRange(key: Buffer, r: KeyRange): boolean {
  return (!r.gte || Buffer.compare(key, r.gte) >= 0) && (!r.lt || Buffer.compare(key, r.lt) < 0);
}
