import t from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { LeaveManager } from '../../src/handoff/leave-manager.js';
import { RemoveManager, checkRemovable } from '../../src/handoff/remove-manager.js';
import { clusterWithData } from './stream-harness.js';

t.test('leave pushes every range the node loses to the nodes that gain it', async (t) => {
  const c = await clusterWithData(4, 600, { pageKeys: 40, maxKeysPerSec: 1_000 });
  t.teardown(() => c.close());
  const leaver = c.node('n1');
  const lm = new LeaveManager({ ...c.deps('n1'), ownedFraction: () => c.shared.ring.ownership('n1', c.n).replica });
  let minCopies = Infinity;
  const leaving = lm.leave();
  t.equal(lm.leave(), leaving, 'a second request joins the leave in progress');
  t.equal(c.shared.ring.member('n1')?.state, 'leaving');
  const after = c.shared.ring.pending();
  await c.settle(leaving, 100_000, async () => {
    minCopies = Math.min(minCopies, await c.minCopies());
  });
  const streams = leaver.registry.list();
  t.ok(streams.length >= 1 && streams.every((s) => s.kind === 'leave' && s.direction === 'push' && s.state === 'done'));
  // It leaves: gone from the ring. Every key is on its N new replicas.
  c.shared.remove('n1');
  t.same(c.shared.ring.preferenceList(0n, 3), after.preferenceList(0n, 3));
  t.equal(await c.minCopies(), c.n, 'every key has N copies after the leave');
  t.ok(minCopies >= c.n - 1, `never below N-1 during the leave (min ${minCopies})`);
  const pushed = streams.reduce((k, s) => k + s.keys, 0);
  t.ok(pushed > 0, `${pushed} records pushed`);
});

t.test('leave is refused when too few members would remain, or while joining', async (t) => {
  const c = await clusterWithData(3, 0);
  t.teardown(() => c.close());
  const lm = new LeaveManager(c.deps('n0'));
  t.throws(() => lm.check(), /cannot leave/);
  await t.rejects(lm.leave(), new QkvError('ERR', 'cannot leave: 2 other member(s) would remain and the replication factor is 3; add a node first'));
  t.equal(c.shared.ring.member('n0')?.state, 'normal', 'nothing announced');
  await c.addNode('n3');
  c.shared.add('n3', 'joining');
  await t.rejects(new LeaveManager(c.deps('n3')).leave(), /still joining/);
  await c.addNode('x');
  await t.rejects(new LeaveManager(c.deps('x')).leave(), /not a member/);
});

t.test('a push to a target that does not answer is retried until it does', async (t) => {
  const c = await clusterWithData(4, 200, { pageKeys: 50 });
  t.teardown(() => c.close());
  const lm = new LeaveManager(c.deps('n0'));
  c.net.isolate('n1');
  c.net.isolate('n2');
  c.net.isolate('n3');
  const leaving = lm.leave();
  await c.idle(1_000);
  const waiting = c.node('n0').registry.list().filter((s) => s.state === 'waiting');
  t.ok(waiting.length >= 1, 'waiting for a target');
  t.match(waiting[0]?.error, /TIMEOUT/);
  c.net.heal();
  await c.settle(leaving);
  c.shared.remove('n0');
  t.equal(await c.minCopies(), 3);
});

t.test('remove of a dead node rebuilds its ranges on the gainers from the survivors', async (t) => {
  const c = await clusterWithData(5, 600, { pageKeys: 40, maxKeysPerSec: 1_000 });
  t.teardown(() => c.close());
  const managers = [...c.nodes.keys()].map((id) => {
    const m = new RemoveManager(c.deps(id));
    m.start();
    return m;
  });
  c.net.isolate('n2');
  t.equal(await c.minCopies(), c.n - 1, 'a dead replica leaves N-1 copies');
  t.throws(() => checkRemovable(c.node('n0').control, 'n0'), /use QKV.LEAVE/);
  t.throws(() => checkRemovable(c.node('n0').control, 'zz'), /no member 'zz'/);
  t.throws(() => checkRemovable(c.node('n0').control, 'n1'), /is reachable/);
  checkRemovable(c.node('n0').control, 'n2');
  c.shared.remove('n2');
  t.ok((await c.minCopies()) >= c.n - 1, 'still N-1 right after the removal');
  let minCopies = Infinity;
  await c.settle(Promise.all(managers.flatMap((m) => m.rebuilds)), 100_000, async () => {
    minCopies = Math.min(minCopies, await c.minCopies());
  });
  t.ok(managers.filter((m) => m.rebuilds.length > 0).length >= 2, 'several nodes rebuilt ranges');
  t.ok(minCopies >= c.n - 1, `never below N-1 (min ${minCopies})`);
  t.equal(await c.minCopies(), c.n, 'every key back to N copies');
  const kinds = [...c.nodes.values()].flatMap((n) => n.registry.list().map((s) => s.kind));
  t.ok(kinds.length > 0 && kinds.every((k) => k === 'remove'));
  // A graceful leave completing is not a removal: nothing is rebuilt.
  const before = managers.reduce((k, m) => k + m.rebuilds.length, 0);
  c.shared.setState('n4', 'leaving');
  c.shared.remove('n4');
  t.equal(managers.reduce((k, m) => k + m.rebuilds.length, 0), before);
  for (const m of managers) m.stop();
});

t.test('a leave waits for the view to show it leaving; stopped, it resumes from the saved cursors', async (t) => {
  const c = await clusterWithData(4, 400, { pageKeys: 20, maxKeysPerSec: 100 });
  t.teardown(() => c.close());
  const deps = c.deps('n0');
  // Gossip that reflects the node's own change only a moment later.
  const control = {
    ...deps.control,
    selfId: 'n0',
    ring: () => c.shared.ring,
    isReachable: () => true,
    onChange: (l: () => void) => c.shared.listen(l),
    setSelfState: (state: 'leaving') => void c.clock.setTimeout(() => c.shared.setState('n0', state), 50),
  };
  const first = new LeaveManager({ ...deps, control });
  const leaving = first.leave();
  leaving.catch(() => undefined);
  await c.idle(20);
  t.equal(c.shared.ring.member('n0')?.state, 'normal', 'not yet in the view');
  t.equal(c.node('n0').registry.list().length, 0, 'nothing pushed before the view shows the leave');
  await c.idle(1_000);
  const pushedFirst = c.node('n0').registry.list().reduce((k, s) => k + s.keys, 0);
  t.ok(pushedFirst > 0, `pushed ${pushedFirst} before stopping`);
  first.stop();
  await c.settle(leaving.then(() => 'resolved', (e: unknown) => (e as Error).name)).then((r) => t.equal(r, 'StreamStopped'));
  const second = new LeaveManager(deps);
  t.doesNotThrow(() => second.check(), 'a node already leaving may resume');
  await c.settle(second.leave());
  const all = c.node('n0').registry.list();
  const pushedSecond = all.filter((s) => s.state === 'done').reduce((k, s) => k + s.keys, 0);
  const total = all.filter((s) => s.state !== 'done').reduce((k, s) => k + s.keys, 0) + pushedSecond;
  t.ok(pushedSecond < total, `the resumed leave pushed ${pushedSecond} of ${total}`);
  c.shared.remove('n0');
  t.equal(await c.minCopies(), 3);
});
