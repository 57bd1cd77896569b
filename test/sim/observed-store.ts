import { ForwardingStore, type PurgeableStore } from '../../src/storage/forwarding-store.js';
import type { VersionedObject } from '../../src/versioning/types.js';

/**
 * A record store that tells the simulation about every record a node puts
 * or purges. The checker learns from it the dot each write was given and the
 * clock it was written under, including writes whose client never heard
 * back, and which tombstones were collected.
 */
export class ObservedStore extends ForwardingStore {
  constructor(
    inner: PurgeableStore,
    private readonly onPut: (key: Buffer, obj: VersionedObject) => void,
    private readonly onPurge: (key: Buffer, obj: VersionedObject) => void = () => undefined,
    /** A put became durable (its batch landed). */
    private readonly onStored: (key: Buffer, obj: VersionedObject) => void = () => undefined,
    /** Asked before each purge; throws to make it fail (a disk error while collecting). */
    private readonly beforePurge: () => void = () => undefined,
  ) {
    super(inner);
  }

  override put(key: Buffer, obj: VersionedObject, md5?: Buffer): Promise<void> {
    this.onPut(key, obj);
    const p = this.inner.put(key, obj, md5);
    p.then(
      () => this.onStored(key, obj),
      () => undefined,
    );
    return p;
  }

  /** Tombstone collection: reported when the store decides to remove (as its batch is built). */
  override removeIf(key: Buffer, shouldRemove: (obj: VersionedObject) => boolean): Promise<boolean> {
    try {
      this.beforePurge();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.inner.removeIf(key, (obj) => {
      const yes = shouldRemove(obj);
      if (yes) this.onPurge(key, obj);
      return yes;
    });
  }
}
