import type { KvApi } from './api.js';
import type { Holder } from './key-holds.js';
import { kvView } from './kv-view.js';

/** A coordinator as a script holding keys sees it: its writes and updates carry the holder token (key-holds.ts). */
export function heldKv(kv: KvApi, holder: Holder): KvApi {
  return kvView(kv, {
    write: (key, req, opts) => kv.write(key, req, { ...opts, holder }),
    update: (key, decide, opts) => kv.update(key, decide, { ...opts, holder }),
  });
}
