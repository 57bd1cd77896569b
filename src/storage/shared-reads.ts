import { decodeObject } from '../versioning/codec.js';
import type { Engine } from './engine.js';
import { dataKey } from './key-layout.js';
import type { CachedRecord } from './record-cache.js';

interface Read {
  readonly promise: Promise<CachedRecord>;
}

/**
 * Reads of records the cache does not hold. Concurrent misses for one key
 * share one engine read, and misses arriving together go to the engine in
 * one getMany. A read hands what it found to `loaded` (for the cache) only
 * if no write to that key settled meanwhile; otherwise it would cache a
 * record older than the one stored.
 */
export class SharedReads {
  private readonly inflight = new Map<string, Read>();

  constructor(
    private readonly engine: Engine,
    private readonly hashOf: (key: Buffer) => Buffer,
    private readonly loaded: (id: string, record: CachedRecord) => void,
  ) {}

  read(keys: readonly Buffer[], ids: readonly string[]): Promise<CachedRecord[]> {
    const results: Array<Promise<CachedRecord>> = [];
    const fresh: Array<{ id: string; key: Buffer; read: Read; resolve: (r: CachedRecord) => void; reject: (e: unknown) => void }> = [];
    for (let i = 0; i < keys.length; i++) {
      const id = ids[i]!;
      let read = this.inflight.get(id);
      if (!read) {
        let resolve!: (r: CachedRecord) => void;
        let reject!: (e: unknown) => void;
        read = { promise: new Promise<CachedRecord>((res, rej) => ((resolve = res), (reject = rej))) };
        this.inflight.set(id, read);
        fresh.push({ id, key: keys[i]!, read, resolve, reject });
      }
      results.push(read.promise);
    }
    if (fresh.length > 0) {
      this.engine.getMany(fresh.map((f) => dataKey(this.hashOf(f.key), f.key))).then(
        (values) => {
          fresh.forEach((f, i) => {
            const current = this.inflight.get(f.id) === f.read;
            if (current) this.inflight.delete(f.id);
            let record: CachedRecord;
            try {
              record = values[i] ? decodeObject(values[i]!) : null;
            } catch (e) {
              f.reject(e);
              return;
            }
            if (current) this.loaded(f.id, record);
            f.resolve(record);
          });
        },
        (err: unknown) => {
          for (const f of fresh) {
            if (this.inflight.get(f.id) === f.read) this.inflight.delete(f.id);
            f.reject(err);
          }
        },
      );
    }
    return Promise.all(results);
  }

  /** A write to id has settled: a read in progress must not cache what it saw. */
  invalidate(id: string): void {
    this.inflight.delete(id);
  }

  invalidateAll(): void {
    this.inflight.clear();
  }
}
