import { ForwardingStore, type PurgeableStore } from '../storage/forwarding-store.js';
import type { StoreMeta } from '../storage/local-store.js';
import type { VersionedObject } from '../versioning/types.js';
import type { TreeSet } from './tree-set.js';

/**
 * The LocalStore the coordinator writes through: every put, remove and
 * clear also updates the Merkle trees, synchronously and in the order the
 * store accepts them (so the trees follow the store's own order). A write
 * that fails sends its range back to be rebuilt from storage. Purges of the
 * expiry sweep reach the trees through the store's canPurge hook
 * (AntiEntropy.canPurge).
 */
export class TrackingStore extends ForwardingStore {
  constructor(
    inner: PurgeableStore,
    private readonly trees: TreeSet,
  ) {
    super(inner);
  }

  override put(key: Buffer, obj: VersionedObject, md5?: Buffer): Promise<void> {
    const p = this.inner.put(key, obj, md5);
    this.trees.apply(key, obj, md5);
    p.catch(() => this.trees.invalidate(key));
    return p;
  }

  override remove(key: Buffer): Promise<void> {
    const p = this.inner.remove(key);
    this.trees.apply(key, null);
    p.catch(() => this.trees.invalidate(key));
    return p;
  }

  /** Removes the record if shouldRemove holds for it when its batch is written; the trees drop exactly that version. */
  override removeIf(key: Buffer, shouldRemove: (obj: VersionedObject) => boolean): Promise<boolean> {
    return this.inner.removeIf(key, (obj) => {
      const yes = shouldRemove(obj);
      if (yes) this.trees.purged(key, obj);
      return yes;
    });
  }

  override clear(meta?: StoreMeta): Promise<void> {
    const p = this.inner.clear(meta);
    this.trees.clearAll();
    return p;
  }
}
