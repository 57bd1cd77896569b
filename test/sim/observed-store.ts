import type { LocalStore, LocalStoreStats, ScanOptions, ScanPage } from '../../src/storage/local-store.js';
import type { VersionedObject } from '../../src/versioning/types.js';

/**
 * A LocalStore that tells the simulation about every record a node puts.
 * The checker learns from it the dot each write was given and the clock it
 * was written under, including writes whose client never heard back.
 */
export class ObservedStore implements LocalStore {
  constructor(
    private readonly inner: LocalStore,
    /** `stored` settles when the put is durable (or failed: then nobody saw it). */
    private readonly onPut: (key: Buffer, obj: VersionedObject, stored: Promise<void>) => void,
  ) {}

  get(key: Buffer): Promise<VersionedObject | undefined> {
    return this.inner.get(key);
  }

  getMany(keys: readonly Buffer[]): Promise<Array<VersionedObject | undefined>> {
    return this.inner.getMany(keys);
  }

  put(key: Buffer, obj: VersionedObject): Promise<void> {
    const stored = this.inner.put(key, obj);
    this.onPut(key, obj, stored);
    return stored;
  }

  remove(key: Buffer): Promise<void> {
    return this.inner.remove(key);
  }

  scan(opts: ScanOptions): Promise<ScanPage> {
    return this.inner.scan(opts);
  }

  clear(): Promise<void> {
    return this.inner.clear();
  }

  sweepExpired(now: number, limit: number): Promise<number> {
    return this.inner.sweepExpired(now, limit);
  }

  getMeta(name: string): Promise<Buffer | undefined> {
    return this.inner.getMeta(name);
  }

  putMeta(name: string, value: Buffer): Promise<void> {
    return this.inner.putMeta(name, value);
  }

  stats(): LocalStoreStats {
    return this.inner.stats();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
