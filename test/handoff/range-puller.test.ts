import t from 'tap';
import { keyHash } from '../../src/core/hash.js';
import { gainedRanges } from '../../src/handoff/range-plan.js';
import { RangePuller, type PullRange } from '../../src/handoff/range-puller.js';
import { StreamStopped } from '../../src/handoff/stream-throttle.js';
import { applyWrite } from '../../src/versioning/object.js';
import { clusterWithData, type StreamCluster } from './stream-harness.js';

/** A 4th node 'n3' (joining) and the ranges it gains, for driving a puller by hand. */
async function joinerPlan(keys: number, settings = {}): Promise<{ c: StreamCluster; plan: PullRange[]; expected: Set<string> }> {
  const c = await clusterWithData(3, keys);
  await c.addNode('n3', { pageKeys: 25, ...settings });
  c.shared.add('n3', 'joining');
  const plan = gainedRanges(c.shared.ring, 'n3', c.n);
  return { c, plan, expected: c.keysOwnedBy('n3', c.shared.ring.pending()) };
}

function puller(c: StreamCluster, plan: PullRange[], id = 'test'): RangePuller {
  const deps = c.deps('n3');
  return new RangePuller({ ...deps, id, kind: 'join', ranges: plan, isReachable: (peer) => c.reachable('n3', peer) });
}

t.test('a crash mid-stream resumes from the saved cursors instead of starting over', async (t) => {
  const { c, plan, expected } = await joinerPlan(400, { maxKeysPerSec: 100 });
  t.teardown(() => c.close());
  const node = c.node('n3');
  const first = puller(c, plan, 'join');
  const run1 = first.run();
  run1.catch(() => undefined);
  await c.idle(1_500);
  const pulledBefore = first.status().keys;
  t.ok(pulledBefore > 0 && pulledBefore < expected.size, `mid-stream: ${pulledBefore} of ${expected.size}`);
  // The process dies: the stream stops where it is, the store (the disk) survives and is reopened.
  first.stop();
  await c.settle(run1.catch((e: unknown) => e)).then((e) => t.type(e, StreamStopped));
  t.equal(first.status().state, 'stopped');
  await c.restart(node);
  const second = puller(c, plan, 'join');
  await c.settle(second.run());
  const pulledAfter = second.status().keys;
  t.ok(pulledAfter < expected.size, `the restarted stream pulled ${pulledAfter}, not all ${expected.size} again`);
  t.ok(pulledBefore + pulledAfter <= expected.size + 25 * 2, 'at most a page fetched twice per range in flight');
  t.same([...(await c.keysOf('n3'))].sort(), [...expected].sort());
  // Finished: the cursors are cleared, so the same id starts afresh.
  const third = puller(c, plan, 'join');
  await c.settle(third.run());
  t.equal(third.status().keys, expected.size);
});

t.test('a source failing mid-stream: the stream switches to another replica', async (t) => {
  const { c, plan, expected } = await joinerPlan(300, { maxKeysPerSec: 50 });
  t.teardown(() => c.close());
  const p = puller(c, plan);
  const run = p.run();
  await c.idle(300);
  while (p.status().peer === null) await c.idle(5);
  const source = p.status().peer;
  t.ok(source, `pulling from ${source}`);
  c.net.isolate(source!);
  c.believedUp.add(source!);
  // Isolated, but still believed reachable for a while: the page times out, the next source takes over.
  await c.settle(run);
  t.same([...(await c.keysOf('n3'))].sort(), [...expected].sort());
  t.match(p.status().error, /n\d/);
  t.equal(p.status().state, 'done');
  t.not(p.status().peer, source);
});

t.test('no source reachable: the stream waits, then finishes once one returns', async (t) => {
  const { c, plan, expected } = await joinerPlan(100);
  t.teardown(() => c.close());
  for (const id of ['n0', 'n1', 'n2']) c.net.isolate(id);
  const p = puller(c, plan);
  const run = p.run();
  await c.idle(500);
  t.equal(p.status().state, 'waiting');
  t.match(p.status().error, /no reachable source/);
  c.net.heal();
  await c.settle(run);
  t.same([...(await c.keysOf('n3'))].sort(), [...expected].sort());
});

t.test('verification re-fetches a record the source changed behind the cursor', async (t) => {
  const { c, plan } = await joinerPlan(300, { maxKeysPerSec: 5, pageKeys: 5 });
  t.teardown(() => c.close());
  const big = plan.reduce((a, b) => (b.end - b.start > a.end - a.start ? b : a));
  const keysIn = [...c.written.keys()].filter((k) => keyHash(k) >= big.start && keyHash(k) < big.end).sort((a, b) => (keyHash(a) < keyHash(b) ? -1 : 1));
  t.ok(keysIn.length > 10, `${keysIn.length} keys in the range`);
  const p = puller(c, [big]);
  const run = p.run();
  // Wait until the first key of the range is pulled, then give it a newer version on every source.
  await c.settle(
    (async () => {
      while (!(await c.get('n3', keysIn[0]!))) await c.idle(10);
    })(),
  );
  const k = Buffer.from(keysIn[0]!);
  for (const id of big.sources) {
    const store = c.node(id).store;
    const local = await store.get(k);
    await store.put(k, applyWrite(local, local!.clock, 'late', { value: Buffer.from('newer'), tombstone: false, expireAt: 0, ts: 1 }));
  }
  await c.settle(run);
  t.ok(p.status().refetched >= 1, `re-fetched ${p.status().refetched}`);
  t.same(
    (await c.get('n3', keysIn[0]!))?.siblings.map((s) => s.value.toString()),
    ['newer'],
  );
});

t.test('progress: estimate, rate and ETA while streaming', async (t) => {
  const { c, plan, expected } = await joinerPlan(800, { maxKeysPerSec: 100 });
  t.teardown(() => c.close());
  const p = puller(c, plan);
  const run = p.run();
  await c.idle(4_000);
  const s = p.status();
  t.equal(s.state, 'running');
  t.ok(s.keysTotal !== null && s.keysTotal > expected.size / 3 && s.keysTotal < expected.size * 3, `estimate ${s.keysTotal} vs ${expected.size}`);
  t.ok(s.keysPerSec > 50 && s.keysPerSec <= 135, `rate ${s.keysPerSec}/s`);
  t.ok(s.etaSeconds !== null && s.etaSeconds > 0, `eta ${s.etaSeconds}s`);
  t.ok(s.bytesPerSec > 0);
  await c.settle(run);
  t.equal(p.status().etaSeconds, 0);
  t.equal(p.status().keysTotal, expected.size);
});
