import type { KvApi, WriteOptions } from '../coordinator/api.js';
import { kvView } from '../coordinator/kv-view.js';
import type { KeyspaceNotifier } from '../pubsub/keyspace-notifier.js';

/**
 * The KvApi commands see, announcing new keys (notify-keyspace-events n):
 * a write or update that made its key exist publishes `new` before the
 * command's own event, as Redis's dbAdd does. Whether the key is new is
 * decided by the coordinating replica (it held no live version before the
 * write). Reads go straight to the coordinator.
 */
export function withNewKeyEvents(kv: KvApi, keyspace: KeyspaceNotifier): KvApi {
  const announcing = <O extends WriteOptions>(key: Buffer, opts: O | undefined): O | undefined => {
    if (!keyspace.wants('new')) return opts;
    const told = opts?.onCreated;
    return {
      ...(opts as O),
      onCreated: () => {
        told?.();
        keyspace.notify('new', 'new', key);
      },
    };
  };
  const holding = kv.holding?.bind(kv);
  return kvView(kv, {
    write: (key, req, opts) => kv.write(key, req, announcing(key, opts)),
    update: (key, decide, opts) => kv.update(key, decide, announcing(key, opts)),
    ...(holding ? { holding: <T>(keys: readonly Buffer[], run: (held: KvApi) => Promise<T>) => holding(keys, (held) => run(withNewKeyEvents(held, keyspace))) } : {}),
  });
}
