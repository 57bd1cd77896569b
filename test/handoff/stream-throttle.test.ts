import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { gainedRanges } from '../../src/handoff/range-plan.js';
import { RangePuller } from '../../src/handoff/range-puller.js';
import { StopSignal, StreamStopped, StreamThrottle } from '../../src/handoff/stream-throttle.js';
import { clusterWithData } from './stream-harness.js';

t.test('token buckets: one second of burst, then the rate; unlimited at 0', (t) => {
  const clock = new ManualClock();
  const limits = { maxKeysPerSec: 100, maxBytesPerSec: 0 };
  const th = new StreamThrottle(clock, () => limits);
  t.equal(th.take(100, 1e9), 0, 'a full bucket pays a second of keys; bytes unlimited');
  t.equal(th.take(50, 0), 500, '50 keys of debt at 100/s is 500 ms');
  clock.advance(500);
  t.equal(th.take(0, 0), 0, 'paid');
  t.equal(th.pageKeys(1000), 100, 'a page never exceeds one second of keys');
  t.equal(th.pageBytes(1 << 20), 1 << 20);
  limits.maxBytesPerSec = 1000;
  t.equal(th.pageBytes(1 << 20), 1000);
  t.equal(th.take(0, 3000), 2000, 'bytes in debt');
  limits.maxKeysPerSec = 0;
  limits.maxBytesPerSec = 0;
  t.equal(th.take(1e6, 1e9), 0);
  t.equal(th.pageKeys(5000), 5000);
  t.end();
});

t.test('stop signal ends a sleep at once', async (t) => {
  const clock = new ManualClock();
  const s = new StopSignal();
  const p = s.sleep(clock, 1000);
  s.stop();
  await t.rejects(p, StreamStopped);
  t.throws(() => s.check(), StreamStopped);
  t.equal(clock.pending(), 0, 'its timer was cancelled');
});

t.test('a stream keeps under its keys per second (simulated)', async (t) => {
  const rate = 100;
  const c = await clusterWithData(3, 1_200);
  t.teardown(() => c.close());
  await c.addNode('n3', { pageKeys: 40, maxKeysPerSec: rate, rangesInFlight: 1 });
  c.shared.add('n3', 'joining');
  const plan = gainedRanges(c.shared.ring, 'n3', c.n);
  const total = c.keysOwnedBy('n3', c.shared.ring.pending()).size;
  const p = new RangePuller({ ...c.deps('n3'), id: 'th', kind: 'join', ranges: plan, isReachable: () => true });
  const started = c.clock.now();
  const overs: string[] = [];
  await c.settle(
    p.run(),
    200_000,
    () => {
      const secs = (c.clock.now() - started) / 1000;
      // One second of burst, the rate since, and one page taken before the wait it causes.
      const bound = rate * (secs + 1) + 40;
      if (p.status().keys > bound) overs.push(`${p.status().keys} keys after ${secs}s`);
    },
    100,
  );
  t.same(overs, [], 'never over the rate');
  const secs = (c.clock.now() - started) / 1000;
  t.ok(secs >= (total - rate) / rate - 1, `${total} keys took ${secs} simulated seconds at ${rate}/s`);
  t.equal(p.status().keys, total);
});

t.test('bytes per second limit the stream too', async (t) => {
  const c = await clusterWithData(3, 400);
  t.teardown(() => c.close());
  await c.addNode('n3', { pageKeys: 1000, maxBytesPerSec: 2_000 });
  c.shared.add('n3', 'joining');
  const plan = gainedRanges(c.shared.ring, 'n3', c.n);
  const p = new RangePuller({ ...c.deps('n3'), id: 'thb', kind: 'join', ranges: plan, isReachable: () => true });
  const started = c.clock.now();
  await c.settle(p.run(), 200_000);
  const secs = (c.clock.now() - started) / 1000;
  const bytes = p.status().bytes;
  t.ok(bytes / 2_000 - 1 <= secs, `${bytes} bytes in ${secs}s at 2000 B/s`);
  t.ok(secs > 1);
});
