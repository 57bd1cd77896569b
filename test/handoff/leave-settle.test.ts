import t from 'tap';
import { keyHash } from '../../src/core/hash.js';
import { LeaveManager } from '../../src/handoff/leave-manager.js';
import type { Ring } from '../../src/ring/ring.js';
import { applyWrite } from '../../src/versioning/object.js';
import { clusterWithData, type StreamCluster } from './stream-harness.js';

/** A write coordinated by a node that has not heard of the leave yet: it reaches only the replicas of `view`. */
async function staleWrite(c: StreamCluster, view: Ring, key: string, value: string): Promise<void> {
  const k = Buffer.from(key);
  for (const id of view.preferenceList(keyHash(k), c.n)) {
    const node = c.node(id);
    const local = await node.store.get(k);
    await node.store.put(k, applyWrite(local, local?.clock ?? {}, 'w', { value: Buffer.from(value), tombstone: false, expireAt: 0, ts: c.clock.now() }));
  }
  c.written.set(key, value);
}

t.test('a leave waits for the view to settle before pushing, so writes from nodes that had not heard of it reach the new owners', async (t) => {
  const c = await clusterWithData(4, 300, { pageKeys: 20 });
  t.teardown(() => c.close());
  const before = c.shared.ring;
  const lm = new LeaveManager({ ...c.deps('n0'), settleMs: 1_000 });
  const leaving = lm.leave();
  t.equal(c.shared.ring.member('n0')?.state, 'leaving', 'the node announced it is leaving');
  await c.idle(500);
  t.equal(c.node('n0').registry.list().length, 0, 'nothing is pushed while the view settles');
  // Until gossip tells them, the others write only to the old replicas (n0 among them), not to the gainers.
  for (let i = 0; i < 100; i++) await staleWrite(c, before, `late${i}`, `x${i}`);
  // Any change of view starts the settle time again.
  c.shared.set([...c.shared.members]);
  await c.idle(800);
  t.equal(c.node('n0').registry.list().length, 0, 'a change of view restarts the wait');
  await c.settle(leaving);
  t.ok(c.node('n0').registry.list().length > 0, 'then it pushes');
  c.shared.remove('n0');
  t.equal(await c.minCopies(), c.n, 'every key, the late ones included, is on its N new replicas');
});

t.test('a leave stopped while its view settles pushes nothing, and a new one resumes it', async (t) => {
  const c = await clusterWithData(4, 200, { pageKeys: 20 });
  t.teardown(() => c.close());
  const lm = new LeaveManager({ ...c.deps('n0'), settleMs: 1_000 });
  const leaving = lm.leave();
  const outcome = leaving.then(
    () => 'resolved',
    (e: unknown) => (e as Error).name,
  );
  await c.idle(200);
  lm.stop();
  t.equal(await c.settle(outcome), 'StreamStopped', 'the leave ends as stopped');
  await c.idle(2_000);
  t.equal(c.node('n0').registry.list().length, 0, 'no push starts after the stop');
  const again = new LeaveManager({ ...c.deps('n0'), settleMs: 1_000 });
  await c.settle(again.leave());
  c.shared.remove('n0');
  t.equal(await c.minCopies(), c.n);
});
