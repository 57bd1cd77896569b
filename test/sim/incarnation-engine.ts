import type { Clock } from '../../src/core/clock.js';
import { QkvError } from '../../src/core/errors.js';
import type { Rng } from '../../src/core/rng.js';
import type { Engine, EngineStats, EngineWrite, KeyRange } from '../../src/storage/engine.js';
import type { MemoryEngine } from '../../src/storage/memory-engine.js';
import type { PageCache } from './page-cache.js';

/**
 * One process lifetime's view of a node's disk. The data lives in a
 * MemoryEngine that outlives crashes; this wrapper makes each batch take a
 * seeded number of milliseconds to land (a write and its fsync) and, when
 * the process crashes, drops every batch that has not landed: those writes
 * were never acknowledged, so losing them is allowed. After the crash the
 * wrapper refuses everything, so the dead incarnation cannot touch the disk
 * the next one opens. With a page cache (a node writing with sync false),
 * every landed batch is also handed to it, which decides what a power loss
 * keeps.
 */
export class IncarnationEngine implements Engine {
  private dead = false;
  private readonly pending = new Set<() => void>();

  constructor(
    private readonly disk: MemoryEngine,
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly maxWriteDelayMs: number,
    private readonly cache: PageCache | null = null,
  ) {}

  /** Batches handed to the disk and not yet landed. */
  get inFlight(): number {
    return this.pending.size;
  }

  async open(): Promise<void> {
    this.check();
  }

  async close(): Promise<void> {
    this.dead = true;
  }

  /** The process died: unlanded batches are lost and nothing runs on this disk any more. */
  crash(): void {
    this.dead = true;
    this.pending.clear();
  }

  get(key: Buffer): Promise<Buffer | undefined> {
    return this.live(() => this.disk.get(key));
  }

  getMany(keys: readonly Buffer[]): Promise<Array<Buffer | undefined>> {
    return this.live(() => this.disk.getMany(keys));
  }

  write(ops: readonly EngineWrite[], sync: boolean): Promise<void> {
    return this.later(() => this.disk.write(ops, sync).then(() => this.cache?.landed(ops, sync)));
  }

  deleteRange(range: KeyRange): Promise<void> {
    return this.later(() => this.disk.deleteRange(range).then(() => this.cache?.deletedRange(range)));
  }

  iterate(range: KeyRange): AsyncIterableIterator<[Buffer, Buffer]> {
    this.check();
    return this.disk.iterate(range);
  }

  stats(): Promise<EngineStats> {
    return this.live(() => this.disk.stats());
  }

  private check(): void {
    if (this.dead) throw new QkvError('IOERR', 'the process owning this disk has crashed');
  }

  private async live<T>(run: () => Promise<T>): Promise<T> {
    this.check();
    return run();
  }

  /** Applies a mutation after a seeded delay, unless the process crashes first (then it never settles). */
  private later(apply: () => Promise<void>): Promise<void> {
    try {
      this.check();
    } catch (e) {
      return Promise.reject(e);
    }
    const delay = this.maxWriteDelayMs > 0 ? this.rng.int(this.maxWriteDelayMs + 1) : 0;
    return new Promise<void>((resolve, reject) => {
      const land = (): void => {
        if (!this.pending.delete(land)) return;
        apply().then(resolve, reject);
      };
      this.pending.add(land);
      this.clock.setTimeout(land, delay);
    });
  }
}
