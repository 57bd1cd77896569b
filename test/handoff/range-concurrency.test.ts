import t from 'tap';
import { gainedRanges } from '../../src/handoff/range-plan.js';
import { RangePuller } from '../../src/handoff/range-puller.js';
import { clusterWithData } from './stream-harness.js';

// A pull works on several ranges at once (rangesInFlight); the shared throttle still bounds it.

async function joiner(keys: number, settings: { pageKeys: number; maxKeysPerSec?: number; rangesInFlight: number }) {
  const c = await clusterWithData(3, keys);
  await c.addNode('n3', settings);
  c.shared.add('n3', 'joining');
  const plan = gainedRanges(c.shared.ring, 'n3', c.n);
  const p = new RangePuller({ ...c.deps('n3'), id: 'cc', kind: 'join', ranges: plan, isReachable: () => true });
  return { c, plan, p, expected: c.keysOwnedBy('n3', c.shared.ring.pending()) };
}

t.test('ranges pulled four at a time: every key arrives, and the rate stays within one page per range in flight', async (t) => {
  const rate = 100;
  const { c, p, plan, expected } = await joiner(1_200, { pageKeys: 40, maxKeysPerSec: rate, rangesInFlight: 4 });
  t.teardown(() => c.close());
  t.ok(plan.length > 4, `${plan.length} ranges`);
  const started = c.clock.now();
  let most = 0;
  const overs: string[] = [];
  await c.settle(
    p.run(),
    200_000,
    () => {
      const secs = (c.clock.now() - started) / 1000;
      const bound = rate * (secs + 1) + 4 * 40;
      if (p.status().keys > bound) overs.push(`${p.status().keys} keys after ${secs}s`);
      most = Math.max(most, p.status().keys);
    },
    100,
  );
  t.same(overs, [], 'never over the rate plus one page per range in flight');
  t.equal(p.status().state, 'done');
  t.equal(p.status().rangesDone, plan.length);
  const held = await c.keysOf('n3');
  t.same([...expected].filter((k) => !held.has(k)), [], 'every key the node gains is there');
});

t.test('with ranges in flight, a local failure ends the pull and no more ranges are taken', async (t) => {
  const { c, p } = await joiner(300, { pageKeys: 10, rangesInFlight: 3 });
  t.teardown(() => c.close());
  // The cursor store fails: the first range to save ends the pull, the others take no more ranges.
  const store = c.node('n3').store;
  const original = store.putMeta.bind(store);
  let saves = 0;
  store.putMeta = (name: string, value: Buffer) => (++saves > 2 ? Promise.reject(new Error('disk full')) : original(name, value));
  const outcome = p.run().then(
    () => 'resolved',
    (e: unknown) => (e as Error).message,
  );
  t.equal(await c.settle(outcome), 'disk full', 'the pull fails with the local error');
  t.ok(p.status().rangesDone < p.status().rangesTotal, 'not every range was taken');
});
