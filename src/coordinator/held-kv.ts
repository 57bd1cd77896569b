import type { KvApi, ReadOptions, UpdateDecision, WriteOptions, WriteRequest } from './api.js';
import type { Holder } from './key-holds.js';
import type { VersionedObject } from '../versioning/types.js';

/** A coordinator as a script holding keys sees it: its writes and updates carry the holder token (key-holds.ts). */
export function heldKv(kv: KvApi, holder: Holder): KvApi {
  return {
    get n() {
      return kv.n;
    },
    get r() {
      return kv.r;
    },
    get w() {
      return kv.w;
    },
    read: (key, opts) => kv.read(key, opts),
    readMany: (keys, opts) => kv.readMany(keys, opts),
    readLocal: (key) => kv.readLocal(key),
    write: (key: Buffer, req: WriteRequest, opts?: WriteOptions): Promise<VersionedObject> => kv.write(key, req, { ...opts, holder }),
    update: <T>(key: Buffer, decide: (current: VersionedObject | undefined) => UpdateDecision<T>, opts?: WriteOptions & ReadOptions): Promise<T> =>
      kv.update(key, decide, { ...opts, holder }),
    scan: (cursor, count) => kv.scan(cursor, count),
    dbsize: () => kv.dbsize(),
    flushAll: () => kv.flushAll(),
  };
}
