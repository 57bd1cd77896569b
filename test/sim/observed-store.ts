import type { PurgeableStore } from '../../src/antientropy/tracking-store.js';
import type { LocalStoreStats, ScanOptions, ScanPage } from '../../src/storage/local-store.js';
import type { VersionedObject } from '../../src/versioning/types.js';

/**
 * A record store that tells the simulation about every record a node puts
 * or purges. The checker learns from it the dot each write was given and the
 * clock it was written under, including writes whose client never heard
 * back, and which tombstones were collected.
 */
export class ObservedStore implements PurgeableStore {
  constructor(
    private readonly inner: PurgeableStore,
    private readonly onPut: (key: Buffer, obj: VersionedObject) => void,
    private readonly onPurge: (key: Buffer, obj: VersionedObject) => void = () => undefined,
    /** A put became durable (its batch landed). */
    private readonly onStored: (key: Buffer, obj: VersionedObject) => void = () => undefined,
  ) {}

  get(key: Buffer): Promise<VersionedObject | undefined> {
    return this.inner.get(key);
  }

  getMany(keys: readonly Buffer[]): Promise<Array<VersionedObject | undefined>> {
    return this.inner.getMany(keys);
  }

  put(key: Buffer, obj: VersionedObject): Promise<void> {
    this.onPut(key, obj);
    const p = this.inner.put(key, obj);
    p.then(
      () => this.onStored(key, obj),
      () => undefined,
    );
    return p;
  }

  remove(key: Buffer): Promise<void> {
    return this.inner.remove(key);
  }

  /** Tombstone collection: reported when the store decides to remove (as its batch is built). */
  removeIf(key: Buffer, shouldRemove: (obj: VersionedObject) => boolean): Promise<boolean> {
    return this.inner.removeIf(key, (obj) => {
      const yes = shouldRemove(obj);
      if (yes) this.onPurge(key, obj);
      return yes;
    });
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
