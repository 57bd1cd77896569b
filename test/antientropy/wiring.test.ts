import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { AntiEntropyWiring, settingsFromConfig } from '../../src/server/antientropy-wiring.js';

t.test('anti-entropy takes its tunables from the options alone; no environment variable overrides them', async (t) => {
  const config = { aeIntervalMs: 250, aeFullPassMs: 9000, aeMaxKeysPerSec: 10, aeMaxBytesPerSec: 20, tombstoneGraceSeconds: 3 };
  const before = process.env['QKV_AE_TOMBSTONE_GRACE_MS'];
  process.env['QKV_AE_TOMBSTONE_GRACE_MS'] = '1';
  t.teardown(() => {
    if (before === undefined) delete process.env['QKV_AE_TOMBSTONE_GRACE_MS'];
    else process.env['QKV_AE_TOMBSTONE_GRACE_MS'] = before;
  });
  t.same(settingsFromConfig(config), { intervalMs: 250, fullPassMs: 9000, maxKeysPerSec: 10, maxBytesPerSec: 20, graceMs: 3000 });
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
