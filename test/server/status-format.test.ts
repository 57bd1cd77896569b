import t from 'tap';
import { formatHints, formatRepair } from '../../src/server/status-cli.js';

t.test('hints: one entry per target with something pending, dropped or refused', async (t) => {
  t.equal(formatHints({}), '-');
  t.equal(formatHints(undefined), '-');
  t.equal(formatHints({ n2: { pending: 0, bytes: 0, delivered: 5, dropped: 0, rate: 0 } }), '-', 'a drained target is not shown');
  t.equal(
    formatHints({ n2: { pending: 1200, bytes: 3 * 1024 * 1024, delivered: 0, dropped: 0, rate: 49.6 }, n3: { pending: 0, bytes: 0, delivered: 1, dropped: 7, rate: 0 } }),
    'n2: 1200 pending (3.0 MB), 50/s; n3: 0 pending (0 B), 0/s, 7 dropped',
  );
  t.equal(
    formatHints({ n4: { pending: 10, bytes: 2048, delivered: 0, dropped: 0, refused: 3, rate: 0 }, n5: { pending: 0, bytes: 0, delivered: 0, dropped: 0, refused: 1, rate: 0 } }),
    'n4: 10 pending (2.0 KB), 0/s, 3 refused; n5: 0 pending (0 B), 0/s, 1 refused',
    'a target with refused hints is shown, even when none are pending',
  );
  t.equal(formatHints({ n2: 'odd' }), '{"n2":"odd"}', 'an unknown shape is shown as it is');
});

t.test('repair: rebuild progress, exchanges, keys repaired, tombstones', async (t) => {
  t.equal(formatRepair({}), '-');
  t.equal(formatRepair({ other: 1 }), '{"other":1}');
  const idle = { rebuild: { done: 0, total: 0, running: false }, exchanges: 10, exchangesInSync: 9, exchangesFailed: 1, keysRepaired: 3, bytesRepaired: 2048, repairRate: 1.2 };
  t.equal(formatRepair(idle), '10 exchanges (9 in sync, 1 failed), 3 keys repaired (2.0 KB), 1 keys/s');
  t.equal(
    formatRepair({ ...idle, rebuild: { done: 250, total: 1000, etaSeconds: 75, running: true }, tombstonesPurged: 4, expiredPurged: 1 }),
    'rebuilding trees 25% (250/1000 keys, 1m15s left), 10 exchanges (9 in sync, 1 failed), 3 keys repaired (2.0 KB), 1 keys/s, 5 tombstones collected',
  );
  t.equal(formatRepair({ ...idle, rebuild: { done: 0, total: 0, etaSeconds: 0, running: true } }).startsWith('rebuilding trees (0/0 keys'), true);
  t.equal(formatRepair({ ...idle, purgesRefused: 2 }), '10 exchanges (9 in sync, 1 failed), 3 keys repaired (2.0 KB), 1 keys/s, 2 purges refused', 'purges this node refused');
});
