import t from 'tap';
import { JoinManager } from '../../src/handoff/join-manager.js';
import { clusterWithData, StreamCluster } from './stream-harness.js';

t.test('a 4th node joins 3 with data: it ends with exactly its keys and turns normal only after every range', async (t) => {
  const c = await clusterWithData(3, 600, { pageKeys: 50 });
  t.teardown(() => c.close());
  const joiner = await c.addNode('n3', { pageKeys: 50, maxKeysPerSec: 2_000 });
  const managers = [...c.nodes.keys()].map((id) => new JoinManager({ ...c.deps(id), settleMs: 100 }));
  for (const m of managers) m.start();
  c.shared.add('n3', 'joining');
  const before = c.shared.ring;
  const expected = c.keysOwnedBy('n3', before.pending());
  t.ok(expected.size > 100 && expected.size < 600, `n3 gains ${expected.size} of 600 keys`);

  let sawJoiningWhileStreaming = false;
  let minCopies = Infinity;
  await c.settle(managers[3]!.joined, 100_000, async () => {
    minCopies = Math.min(minCopies, await c.minCopies());
    const streams = joiner.registry.list();
    if (streams.some((s) => s.state !== 'done') && c.shared.ring.member('n3')?.state === 'joining') sawJoiningWhileStreaming = true;
  });
  t.ok(sawJoiningWhileStreaming, 'still joining while its stream ran');
  t.equal(c.shared.ring.member('n3')?.state, 'normal');
  t.same(joiner.control.stateChanges, ['normal']);
  t.same([...(await c.keysOf('n3'))].sort(), [...expected].sort(), 'exactly the keys of its ranges');
  const wrong: string[] = [];
  for (const key of expected) if ((await c.get('n3', key))?.siblings[0]?.value.toString() !== c.written.get(key)) wrong.push(key);
  t.same(wrong, [], 'with the written values');
  t.ok(minCopies >= c.n - 1, `copies never below N-1 (min ${minCopies})`);
  t.equal(await c.minCopies(), c.n, 'every key has N copies on its new replicas');
  const [status] = joiner.registry.list();
  t.equal(status?.state, 'done');
  t.equal(status?.kind, 'join');
  t.equal(status?.keys, expected.size);
  t.equal(status?.rangesDone, status?.rangesTotal);
  t.equal(status?.refetched, 0);
  for (const m of managers) m.stop();
});

t.test('bootstrap: a new cluster whose nodes all start joining turns normal at once, streaming nothing', async (t) => {
  const c = new StreamCluster();
  t.teardown(() => c.close());
  for (const id of ['a', 'b', 'c']) await c.addNode(id);
  const managers = ['a', 'b', 'c'].map((id) => new JoinManager({ ...c.deps(id), settleMs: 100 }));
  for (const m of managers) m.start();
  c.shared.set(['a', 'b', 'c'].map((id) => ({ id, rack: 'r1', dc: 'dc1', vnodes: 8, state: 'joining' as const })));
  await c.settle(Promise.all(managers.map((m) => m.joined)), 1_000);
  t.same(
    c.shared.ring.members.map((m) => m.state),
    ['normal', 'normal', 'normal'],
  );
  t.equal(c.node('a').registry.list().length, 0, 'no stream');
  for (const m of managers) m.stop();
});

t.test('a join waits for the view to settle and replans when another node joins meanwhile', async (t) => {
  const c = await clusterWithData(3, 300, { pageKeys: 20 });
  t.teardown(() => c.close());
  const j1 = await c.addNode('n3', { pageKeys: 20, maxKeysPerSec: 50 });
  await c.addNode('n4', { pageKeys: 20, maxKeysPerSec: 50 });
  const m1 = new JoinManager({ ...c.deps('n3'), settleMs: 200 });
  const m2 = new JoinManager({ ...c.deps('n4'), settleMs: 200 });
  m1.start();
  m2.start();
  c.shared.add('n3', 'joining');
  await c.idle(150);
  t.equal(j1.registry.list().length, 0, 'nothing pulled before the view settled');
  await c.idle(400);
  t.equal(j1.registry.inFlight(), 1, 'pulling');
  c.shared.add('n4', 'joining');
  await c.settle(Promise.all([m1.joined, m2.joined]), 100_000);
  const ring = c.shared.ring;
  t.equal(ring.hasPendingChanges, false);
  for (const id of ['n3', 'n4']) {
    const have = await c.keysOf(id);
    t.same([...c.keysOwnedBy(id, ring)].filter((key) => !have.has(key)), [], `${id} has every key of its ranges`);
  }
  t.equal(await c.minCopies(), 3);
  m1.stop();
  m2.stop();
  // A stopped manager ignores changes.
  c.shared.setState('n3', 'joining');
  await c.idle(300);
  t.equal(c.shared.ring.member('n3')?.state, 'joining');
});
