import t from 'tap';
import { nodeOfActor } from '../../src/versioning/actor.js';
import { SimCluster, siblingValues } from '../support/sim-cluster.js';
import { counterValue, setReq } from './helpers.js';

t.test('a write through one node is read through every other node', async (t) => {
  const sim = await SimCluster.start({ nodes: 5, n: 3, r: 2, w: 2 });
  t.teardown(() => sim.close());
  const key = Buffer.from('alpha');
  const stored = await sim.settle(sim.nodes[0]!.coord.write(key, setReq('one')));
  t.same(siblingValues(stored), ['one']);
  for (const node of sim.nodes) {
    const got = await sim.settle(node.coord.read(key));
    t.same(siblingValues(got), ['one'], `read via ${node.id}`);
    t.same(got!.clock, stored.clock);
  }
  await sim.idle(20);
  // Only the replicas hold a copy.
  for (const node of sim.nodes) {
    const local = await node.coord.readLocal(key);
    t.equal(local !== undefined, sim.replicasOf(key).includes(node.id), `copy on ${node.id}`);
  }
  t.equal(await counterValue(sim.nodes[0]!.metrics.quorumOperations, { type: 'write', outcome: 'ok' }), 1);
});

t.test('a node outside the preference list forwards the write to a replica, which issues the dot', async (t) => {
  const sim = await SimCluster.start({ nodes: 5, n: 3 });
  t.teardown(() => sim.close());
  const key = sim.keyWhere((reps) => !reps.includes('n0'));
  const [first] = sim.replicasOf(key);
  const stored = await sim.settle(sim.node('n0').coord.write(key, setReq('fwd')));
  t.same(Object.keys(stored.clock).map(nodeOfActor), [first], 'the first replica coordinated');
  t.equal(nodeOfActor(stored.siblings[0]!.dot.node), first);
  t.equal(await sim.node('n0').coord.readLocal(key), undefined, 'the entry node keeps no copy');
  // With the first replica unreachable, the next one coordinates.
  sim.net.isolate(first!);
  const again = await sim.settle(sim.node('n0').coord.write(key, setReq('fwd2')));
  const second = sim.replicasOf(key)[1]!;
  t.ok(Object.keys(again.clock).map(nodeOfActor).includes(second), 'the second replica coordinated');
  t.same(siblingValues(await sim.settle(sim.node('n0').coord.read(key))), ['fwd2']);
});

t.test('a forwarded write refused by its coordinator keeps the refusal; a lost forward says so', async (t) => {
  const sim = await SimCluster.start({ nodes: 4, n: 2, r: 1, w: 2 });
  t.teardown(() => sim.close());
  const key = sim.keyWhere((reps) => !reps.includes('n0'));
  const [first, second] = sim.replicasOf(key) as [string, string];
  // The coordinator sees its peer replica down: it refuses, nothing written.
  sim.believe(first, second, false);
  t.equal(
    await sim.outcome(sim.node('n0').coord.write(key, setReq('x'))),
    'UNAVAILABLE 1 of 2 replicas reachable, 2 needed; nothing was written',
  );
  sim.forgetBeliefs();
  // The entry node believes the coordinator up, but it does not answer.
  sim.believeAllUp();
  sim.net.isolate(first);
  const out = await sim.outcome(sim.node('n0').coord.write(key, setReq('y')));
  t.match(out, new RegExp(`^TIMEOUT the write was forwarded to ${first}, which did not answer .*; the write may be present on some replicas$`));
  // Forwarding with every replica down fails at once.
  sim.forgetBeliefs();
  sim.net.isolate(second);
  t.equal(
    await sim.outcome(sim.node('n0').coord.write(key, setReq('z'))),
    'UNAVAILABLE 0 of 2 replicas reachable, 2 needed; nothing was written',
  );
});

t.test('read repair brings a stale replica up to date and is counted', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3, r: 2, w: 2 });
  t.teardown(() => sim.close());
  const key = Buffer.from('repair-me');
  sim.net.isolate('n2');
  await sim.settle(sim.node('n0').coord.write(key, setReq('v1')));
  await sim.idle(10);
  t.equal(await sim.node('n2').coord.readLocal(key), undefined, 'n2 missed the write');
  sim.net.heal();
  // n2 reads: its own copy (absent) and one more answer make R=2; the repair follows.
  const got = await sim.settle(sim.node('n2').coord.read(key));
  t.same(siblingValues(got), ['v1']);
  await sim.idle(10);
  t.same(siblingValues(await sim.node('n2').coord.readLocal(key)), ['v1'], 'n2 was repaired');
  t.equal(await counterValue(sim.node('n2').metrics.readRepairs), 1);
  // Nothing stale any more: no further repair.
  await sim.settle(sim.node('n1').coord.read(key, { r: 3 }));
  await sim.idle(10);
  t.equal(await counterValue(sim.node('n1').metrics.readRepairs), 0);
});

t.test('read repair reaches a remote stale replica and a local one, never an unanswered one', async (t) => {
  const sim = await SimCluster.start({ nodes: 4, n: 3, r: 1, w: 1 });
  t.teardown(() => sim.close());
  const key = sim.keyWhere((reps) => reps[0] === 'n0');
  const others = sim.replicasOf(key).filter((x) => x !== 'n0');
  const reader = sim.nodes.find((x) => !sim.replicasOf(key).includes(x.id))!;
  // W=1: only n0 gets it while the others are cut off.
  sim.net.partition(['n0'], others);
  await sim.settle(sim.node('n0').coord.write(key, setReq('only-on-n0')));
  await sim.idle(10);
  sim.net.heal();
  sim.net.isolate(others[1]!);
  // Read via a node that is not a replica: n0 and others[0] answer, others[1] is skipped.
  const got = await sim.settle(reader.coord.read(key, { r: 2 }));
  t.same(siblingValues(got), ['only-on-n0']);
  await sim.idle(10);
  t.same(siblingValues(await sim.node(others[0]!).coord.readLocal(key)), ['only-on-n0'], 'the stale replica that answered was repaired');
  t.equal(await sim.node(others[1]!).coord.readLocal(key), undefined, 'the unreachable one was not');
  t.equal(await counterValue(reader.metrics.readRepairs), 1);
});

t.test('readMany reads keys on different replicas in one round per node', async (t) => {
  const sim = await SimCluster.start({ nodes: 5, n: 3 });
  t.teardown(() => sim.close());
  const keys = Array.from({ length: 20 }, (_, i) => Buffer.from(`many-${i}`));
  for (const [i, key] of keys.entries()) if (i % 2 === 0) await sim.settle(sim.node('n1').coord.write(key, setReq(`v${i}`)));
  const sent: unknown[] = [];
  const rpc = sim.node('n4').endpoint.rpc;
  const request = rpc.request.bind(rpc);
  rpc.request = (peer, msg, opts) => {
    sent.push(msg);
    return request(peer, msg, opts);
  };
  const got = await sim.settle(sim.node('n4').coord.readMany([...keys, keys[0]!]));
  t.same(
    got.map((o) => siblingValues(o)),
    [...keys.map((_, i) => (i % 2 === 0 ? [`v${i}`] : [])), ['v0']],
  );
  const gets = sent.filter((m) => ['r.get', 'r.batch'].includes((m as { type: string }).type));
  t.ok(gets.length <= 4, `one read frame per other node (${gets.length})`);
  t.same(await sim.settle(sim.node('n4').coord.readMany([])), []);
});

t.test('per-request R and W are checked against N', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3 });
  t.teardown(() => sim.close());
  const c = sim.node('n0').coord;
  t.equal(c.n, 3);
  t.equal(c.r, 2);
  t.equal(c.w, 2);
  sim.settings.r = 3;
  t.equal(c.r, 3, 'R is read at call time');
  const k = Buffer.from('k');
  t.equal(await sim.outcome(c.read(k, { r: 4 })), 'ERR R must be an integer between 1 and 3');
  t.equal(await sim.outcome(c.read(k, { r: 0 })), 'ERR R must be an integer between 1 and 3');
  t.equal(await sim.outcome(c.write(k, setReq('v'), { w: 1.5 })), 'ERR W must be an integer between 1 and 3');
  t.equal(await sim.outcome(c.update(k, () => ({ write: null, result: 1 }), { w: 9 })), 'ERR W must be an integer between 1 and 3');
  t.equal(await sim.outcome(c.update(k, () => ({ write: null, result: 1 }), { r: 9 })), 'ERR R must be an integer between 1 and 3');
  t.equal(await counterValue(sim.node('n0').metrics.quorumOperations, { outcome: 'error' }), 5);
});
