import { QkvError } from '../../src/core/errors.js';
import type { Engine, EngineStats, EngineWrite, KeyRange } from '../../src/storage/engine.js';

/**
 * Wraps any engine to count what reaches it and to inject faults, so the
 * record store's tests run the same against RocksDB and memory.
 */
export class InstrumentedEngine implements Engine {
  /** Sizes of the write() batches that reached the inner engine. */
  readonly batchSizes: number[] = [];
  /** Keys asked for, per get/getMany call. */
  readonly readCalls: number[] = [];
  /** Range iterations started. */
  iterations = 0;
  private faults = 0;
  private deleteFaults = 0;
  private holds: Array<Promise<void>> = [];

  constructor(public inner: Engine) {}

  get writes(): number {
    return this.batchSizes.length;
  }

  get reads(): number {
    return this.readCalls.length;
  }

  failNextWrites(n: number): void {
    this.faults += n;
  }

  failNextDeletes(n: number): void {
    this.deleteFaults += n;
  }

  /** Writes wait until the returned function is called. */
  holdWrites(): () => void {
    let release!: () => void;
    this.holds.push(new Promise<void>((r) => (release = r)));
    return release;
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  get(key: Buffer): Promise<Buffer | undefined> {
    this.readCalls.push(1);
    return this.inner.get(key);
  }

  getMany(keys: readonly Buffer[]): Promise<Array<Buffer | undefined>> {
    this.readCalls.push(keys.length);
    return this.inner.getMany(keys);
  }

  async write(ops: readonly EngineWrite[], sync: boolean): Promise<void> {
    while (this.holds.length > 0) await this.holds.shift();
    if (this.faults > 0) {
      this.faults--;
      throw new QkvError('IOERR', 'write failed: disk full (No space left on device, injected)');
    }
    this.batchSizes.push(ops.length);
    return this.inner.write(ops, sync);
  }

  iterate(range: KeyRange): AsyncIterableIterator<[Buffer, Buffer]> {
    this.iterations++;
    return this.inner.iterate(range);
  }

  async deleteRange(range: KeyRange): Promise<void> {
    if (this.deleteFaults > 0) {
      this.deleteFaults--;
      throw new QkvError('IOERR', 'delete failed: I/O error (injected)');
    }
    return this.inner.deleteRange(range);
  }

  stats(): Promise<EngineStats> {
    return this.inner.stats();
  }
}

/** Lets pending callbacks and setImmediate-scheduled batches run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
