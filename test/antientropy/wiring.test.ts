import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { AntiEntropyWiring, settingsFromEnv } from '../../src/server/antientropy-wiring.js';

t.test('QKV_AE_* variables set the tunables; bad or empty ones are ignored', async (t) => {
  t.same(settingsFromEnv({ QKV_AE_INTERVAL_MS: '250', QKV_AE_FULL_PASS_MS: '', QKV_AE_MAX_KEYS_PER_SEC: 'lots', QKV_AE_MAX_BYTES_PER_SEC: '-5', QKV_AE_TOMBSTONE_GRACE_MS: '3000' }), {
    intervalMs: 250,
    graceMs: 3000,
  });
  t.same(settingsFromEnv({}), {});
});

t.test('before the store is wrapped the wiring reports nothing and defers expiry purges', async (t) => {
  const clock = new ManualClock();
  const w = new AntiEntropyWiring(clock, 'n0', 3, {});
  t.same(w.status(), {});
  t.notOk(w.handles({ type: 'a.hashes' }));
  t.equal(w.canPurge(Buffer.from('k'), { clock: {}, siblings: [] }, clock.now()), clock.now() + 60_000);
  w.start();
  w.prioritize('n1');
  await w.close();
});
