import { decodeObject } from '../versioning/codec.js';
import type { Engine } from './engine.js';
import { dataKey } from './key-layout.js';
import type { CachedRecord } from './record-cache.js';

/** A stored record that could not be decoded: present, but unreadable. */
export class Unreadable {
  constructor(readonly error: unknown) {}
}

export type ReadResult = CachedRecord | Unreadable;

export interface ReadKey {
  readonly id: string;
  readonly key: Buffer;
  /** The key's ring position (8 bytes). */
  readonly hash: Buffer;
}

interface Read {
  readonly promise: Promise<ReadResult>;
}

interface Fresh extends ReadKey {
  readonly read: Read;
  readonly resolve: (r: ReadResult) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Reads of records the cache does not hold. Concurrent reads of one key
 * share one engine read, and every read asked for in one turn of the event
 * loop goes to the engine in one getMany: one trip to the engine's threads
 * for all the clients whose requests arrived together, instead of one each. A read hands what it found to `loaded`
 * (for the cache) only if no write to that key settled meanwhile; otherwise
 * it could cache a record older than the one stored.
 */
export class SharedReads {
  private readonly inflight = new Map<string, Read>();
  private queued: Fresh[] = [];

  private readonly schedule: (run: () => void) => void;

  constructor(
    private readonly engine: Engine,
    private readonly loaded: (id: string, record: CachedRecord) => void,
    /** How the first read of a turn waits for the rest of the turn (default setImmediate). */
    schedule?: (run: () => void) => void,
  ) {
    this.schedule = schedule ?? ((run) => setImmediate(run));
  }

  read(keys: readonly ReadKey[]): Promise<ReadResult[]> {
    const results: Array<Promise<ReadResult>> = [];
    const fresh: Fresh[] = [];
    for (const k of keys) {
      let read = this.inflight.get(k.id);
      if (!read) {
        let resolve!: (r: ReadResult) => void;
        let reject!: (e: unknown) => void;
        read = { promise: new Promise<ReadResult>((res, rej) => ((resolve = res), (reject = rej))) };
        this.inflight.set(k.id, read);
        fresh.push({ ...k, read, resolve, reject });
      }
      results.push(read.promise);
    }
    if (fresh.length > 0) {
      if (this.queued.length === 0) this.schedule(() => this.fetch(this.queued.splice(0)));
      this.queued.push(...fresh);
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

  private fetch(fresh: Fresh[]): void {
    this.engine.getMany(fresh.map((f) => dataKey(f.hash, f.key))).then(
      (values) => {
        fresh.forEach((f, i) => {
          const current = this.inflight.get(f.id) === f.read;
          if (current) this.inflight.delete(f.id);
          const raw = values[i];
          let record: CachedRecord;
          try {
            record = raw ? decodeObject(raw) : null;
          } catch (e) {
            f.resolve(new Unreadable(e));
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
}
