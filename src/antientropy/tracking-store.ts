import type { LocalStore, LocalStoreStats, ScanOptions, ScanPage } from '../storage/local-store.js';
import type { VersionedObject } from '../versioning/types.js';
import type { TreeSet } from './tree-set.js';

/** A store that can remove a record only if it still is what the caller saw (RecordStore has it). */
export interface PurgeableStore extends LocalStore {
  removeIf(key: Buffer, shouldRemove: (obj: VersionedObject) => boolean): Promise<boolean>;
}

/**
 * The LocalStore the coordinator writes through: every put, remove and
 * clear also updates the Merkle trees, synchronously and in the order the
 * store accepts them (so the trees follow the store's own order). A write
 * that fails sends its range back to be rebuilt from storage.
 */
export class TrackingStore implements PurgeableStore {
  constructor(
    private readonly inner: PurgeableStore,
    private readonly trees: TreeSet,
  ) {}

  get(key: Buffer): Promise<VersionedObject | undefined> {
    return this.inner.get(key);
  }

  getMany(keys: readonly Buffer[]): Promise<Array<VersionedObject | undefined>> {
    return this.inner.getMany(keys);
  }

  put(key: Buffer, obj: VersionedObject): Promise<void> {
    const p = this.inner.put(key, obj);
    this.trees.apply(key, obj);
    p.catch(() => this.trees.invalidate(key));
    return p;
  }

  remove(key: Buffer): Promise<void> {
    const p = this.inner.remove(key);
    this.trees.apply(key, null);
    p.catch(() => this.trees.invalidate(key));
    return p;
  }

  /** Removes the record if shouldRemove holds for it when its batch is written; the trees drop exactly that version. */
  removeIf(key: Buffer, shouldRemove: (obj: VersionedObject) => boolean): Promise<boolean> {
    return this.inner.removeIf(key, (obj) => {
      const yes = shouldRemove(obj);
      if (yes) this.trees.purged(key, obj);
      return yes;
    });
  }

  scan(opts: ScanOptions): Promise<ScanPage> {
    return this.inner.scan(opts);
  }

  clear(): Promise<void> {
    const p = this.inner.clear();
    this.trees.clearAll();
    return p;
  }

  /** Purges of the sweep reach the trees through the store's canPurge hook (AntiEntropy.canPurge). */
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
