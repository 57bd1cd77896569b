import type rocksdb from 'rocksdb';
import { mapRocksError } from './rocksdb-errors.js';

const EMPTY = Buffer.alloc(0);
const DONE: IteratorResult<[Buffer, Buffer]> = { done: true, value: undefined };

/**
 * An async iterator over a native RocksDB iterator. The native side reads
 * entries in chunks (up to its highWaterMark in bytes) and hands them out one
 * by one, so a large range never sits in memory. return() (a `break` out of a
 * for-await loop) ends the native iterator at once; so does reaching the end
 * or an error.
 */
export class RocksRangeIterator implements AsyncIterableIterator<[Buffer, Buffer]> {
  private finished = false;
  private closed: Promise<void> | null = null;
  /** Every native call runs after the previous one: the binding refuses overlapping calls. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly native: rocksdb.Iterator,
    private readonly location: string,
    private readonly onClosed: (it: RocksRangeIterator) => void,
  ) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<[Buffer, Buffer]> {
    return this;
  }

  next(): Promise<IteratorResult<[Buffer, Buffer]>> {
    const step = this.chain.then(() => this.step());
    this.chain = step.catch(() => undefined);
    return step;
  }

  async return(): Promise<IteratorResult<[Buffer, Buffer]>> {
    await this.end();
    return DONE;
  }

  /** Stops the iteration and releases the native iterator (after a next() in progress). */
  end(): Promise<void> {
    this.finished = true;
    const ended = this.chain.then(() => this.closeNative());
    this.chain = ended;
    return ended;
  }

  private async step(): Promise<IteratorResult<[Buffer, Buffer]>> {
    if (this.finished) return DONE;
    let entry: [Buffer, Buffer] | null;
    try {
      entry = await this.readNative();
    } catch (e) {
      this.finished = true;
      await this.closeNative();
      throw mapRocksError(e, 'iterate', this.location);
    }
    if (entry) return { done: false, value: entry };
    this.finished = true;
    await this.closeNative();
    return DONE;
  }

  private readNative(): Promise<[Buffer, Buffer] | null> {
    return new Promise((resolve, reject) => {
      this.native.next((err, key, value) => {
        if (err) reject(err);
        else resolve(key === undefined ? null : [key, value ?? EMPTY]);
      });
    });
  }

  private closeNative(): Promise<void> {
    if (!this.closed) {
      // An error while ending an iterator leaves nothing to recover: the data is intact.
      this.closed = new Promise<void>((resolve) => this.native.end(() => resolve()));
      void this.closed.then(() => this.onClosed(this));
    }
    return this.closed;
  }
}
