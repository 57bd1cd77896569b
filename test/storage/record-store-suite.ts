import tap from 'tap';
import { lifecycleCases } from './record-store-lifecycle-cases.js';
import { expiryCases } from './record-store-expiry-cases.js';
import { writesCases } from './record-store-writes-cases.js';
import { StoreEnv, type DataPlace, type WithStore } from './store-env.js';

export type { DataPlace } from './store-env.js';

/** The record store's behaviour, run by each engine's test file against its own data place. */
export function recordStoreSuite(name: string, place: () => Promise<DataPlace>): void {
  const withStore: WithStore = (title, fn) => {
    tap.test(`${name}: ${title}`, async (t) => {
      const p = await place();
      const env = new StoreEnv(p);
      t.teardown(async () => {
        await env.store?.close();
        await p.dispose();
      });
      await fn(t, env);
    });
  };
  writesCases(withStore);
  expiryCases(withStore);
  lifecycleCases(withStore);
}
