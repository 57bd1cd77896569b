import type { KvApi } from './api.js';

/** What a view of a coordinator changes: its writes, and what it hands a script holding keys. */
export type KvOverrides = Pick<KvApi, 'write' | 'update'> & Partial<Pick<KvApi, 'holding'>>;

/**
 * A coordinator seen through other writes: reads, scans and settings go
 * straight to `kv` (readCached too, so GET's fast path stays one call);
 * write, update and holding are the overrides'.
 */
export function kvView(kv: KvApi, over: KvOverrides): KvApi {
  const readCached = kv.readCached?.bind(kv);
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
    read: kv.read.bind(kv),
    readMany: kv.readMany.bind(kv),
    readLocal: kv.readLocal.bind(kv),
    scan: kv.scan.bind(kv),
    dbsize: kv.dbsize.bind(kv),
    flushAll: kv.flushAll.bind(kv),
    ...(readCached ? { readCached } : {}),
    ...over,
  };
}
