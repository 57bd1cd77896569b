import t from 'tap';
import { OpsRate, SAMPLE_MS } from '../../src/server/ops-rate.js';

t.test('the rate is the mean of the last 16 intervals, and a reset of the count reads as an idle interval', async (t) => {
  const r = new OpsRate();
  t.equal(r.perSecond(), 0, 'no samples yet');
  r.sample(0, 0);
  r.sample(SAMPLE_MS, 100);
  t.equal(r.perSecond(), 1000, '100 commands in 100 ms');
  for (let i = 2; i <= 20; i++) r.sample(i * SAMPLE_MS, 100 + (i - 1) * 10);
  t.equal(r.perSecond(), 100, 'only the last 16 intervals count');
  r.sample(21 * SAMPLE_MS, 0);
  t.equal(r.perSecond(), Math.round((15 * 100 + 0) / 16), 'CONFIG RESETSTAT: the interval counts as idle, not negative');
  const before = r.perSecond();
  r.sample(21 * SAMPLE_MS, 5000);
  t.equal(r.perSecond(), before, 'a sample at the same time adds no interval');
});
