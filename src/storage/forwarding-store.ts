import type { LocalStore, LocalStoreStats, ScanOptions, ScanPage, StoreMeta } from './local-store.js';
import type { VersionedObject } from '../versioning/types.js';

/** A store that can remove a record only if it still is what the caller saw (RecordStore has it). */
export interface PurgeableStore extends LocalStore {
  removeIf(key: Buffer, shouldRemove: (obj: VersionedObject) => boolean): Promise<boolean>;
}

/**
 * Passes every call to another store: the base of wrappers that watch some
 * calls (anti-entropy's tracking store, the simulation's observed store) and
 * override only those.
 */
export class ForwardingStore implements PurgeableStore {
  constructor(protected readonly inner: PurgeableStore) {}

  get(key: Buffer): Promise<VersionedObject | undefined> {
    return this.inner.get(key);
  }

  getMany(keys: readonly Buffer[]): Promise<Array<VersionedObject | undefined>> {
    return this.inner.getMany(keys);
  }

  put(key: Buffer, obj: VersionedObject, md5?: Buffer): Promise<void> {
    return this.inner.put(key, obj, md5);
  }

  remove(key: Buffer): Promise<void> {
    return this.inner.remove(key);
  }

  removeIf(key: Buffer, shouldRemove: (obj: VersionedObject) => boolean): Promise<boolean> {
    return this.inner.removeIf(key, shouldRemove);
  }

  scan(opts: ScanOptions): Promise<ScanPage> {
    return this.inner.scan(opts);
  }

  clear(meta?: StoreMeta): Promise<void> {
    return this.inner.clear(meta);
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
