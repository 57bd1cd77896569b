import t from 'tap';
import type { ConsistencyLevel } from '../../src/coordinator/consistency.js';
import { parseRequest } from '../../src/coordinator/messages.js';
import { SimCluster, siblingValues } from '../support/sim-cluster.js';
import { setReq } from './helpers.js';
import { DC1, DC2, twoDcs } from './two-dc-sim.js';

// Two DCs of three nodes (two-dc-sim.ts), three replicas in each: every node holds every key.

/** Counts the requests each node receives, from now on. */
function countRequests(sim: SimCluster): Map<string, number> {
  const counts = new Map<string, number>();
  for (const node of sim.nodes) {
    node.endpoint.rpc.onRequest((from, msg) => {
      counts.set(node.id, (counts.get(node.id) ?? 0) + 1);
      return node.coord.handleRequest(from, msg);
    });
  }
  return counts;
}

t.test('with the link between DCs cut (and the views not yet aware), local levels answer, the others cannot', async (t) => {
  const sim = await twoDcs();
  t.teardown(() => sim.close());
  sim.believeAllUp();
  sim.net.partition(DC1, DC2);
  const n0 = sim.node('n0').coord;
  const key = Buffer.from('k');
  t.same(siblingValues(await sim.settle(n0.write(key, setReq('v1'), { cl: 'local_quorum' }))), ['v1'], 'LOCAL_QUORUM write');
  t.same(siblingValues(await sim.settle(n0.read(key, { cl: 'local_quorum' }))), ['v1'], 'LOCAL_QUORUM read');
  t.same(siblingValues(await sim.settle(sim.node('n1').coord.read(key, { cl: 'local_one' }))), ['v1'], 'LOCAL_ONE read');
  t.same(siblingValues(await sim.settle(n0.write(key, setReq('v2'), { cl: 'one' }))), ['v2'], 'ONE write');
  for (const cl of ['quorum', 'each_quorum', 'all'] as ConsistencyLevel[]) {
    t.match(await sim.outcome(n0.write(key, setReq('x'), { cl })), new RegExp(`^TIMEOUT ${cl.toUpperCase()} \\(from dc1\\) not met within 200 ms: dc1 3/3, dc2 0/3 replicas acknowledged`), `${cl} write times out`);
  }
  t.match(await sim.outcome(n0.read(key, { cl: 'quorum' })), /^TIMEOUT 3 of 6 replicas answered within 200 ms, QUORUM needed/, 'QUORUM read times out');
});

t.test('a level the reachable replicas cannot meet is refused before anything is written', async (t) => {
  const sim = await twoDcs();
  t.teardown(() => sim.close());
  for (const id of DC2) sim.net.isolate(id);
  const n0 = sim.node('n0').coord;
  const key = Buffer.from('k');
  t.equal(await sim.outcome(n0.write(key, setReq('x'), { cl: 'each_quorum' })), 'UNAVAILABLE EACH_QUORUM (from dc1) cannot be met: dc1 3/3, dc2 0/3 replicas reachable; nothing was written');
  t.equal(await sim.outcome(n0.read(key, { cl: 'all' })), 'UNAVAILABLE dc1 3/3, dc2 0/3 replicas reachable, ALL needed');
  t.equal(await sim.outcome(sim.node('n3').coord.read(key, { cl: 'local_quorum' })), 'UNAVAILABLE dc1 0/3, dc2 1/3 replicas reachable, LOCAL_QUORUM needed', 'n3 alone');
  t.equal(await sim.outcome(sim.node('n3').coord.read(key, { cl: 'local_one' })), undefined, 'n3 alone answers LOCAL_ONE itself');
  t.same(siblingValues(await sim.settle(n0.write(key, setReq('v'), { cl: 'local_quorum' }))), ['v']);
  t.same(siblingValues(await sim.settle(n0.read(key, { cl: 'quorum' }).catch(() => undefined))), [], 'QUORUM read fails: 3 of 6');
  // The write is kept for dc2 as hints on this node (no stand-in in dc2 is up).
  await sim.idle(10);
  t.same(sim.node('n0').hints!.targets().sort(), DC2, 'hints for every unreachable replica');
});

t.test('a local read asks only its own DC; every write still reaches every replica', async (t) => {
  const sim = await twoDcs();
  t.teardown(() => sim.close());
  const key = Buffer.from('k');
  await sim.settle(sim.node('n0').coord.write(key, setReq('v'), { cl: 'local_one' }));
  await sim.idle(20);
  for (const node of sim.nodes) t.same(siblingValues(await node.coord.readLocal(key)), ['v'], `on ${node.id}`);
  const counts = countRequests(sim);
  t.same(siblingValues(await sim.settle(sim.node('n4').coord.read(key, { cl: 'local_quorum' }))), ['v']);
  t.same(siblingValues(await sim.settle(sim.node('n4').coord.read(key, { cl: 'local_one' }))), ['v']);
  await sim.idle(20);
  t.same(
    DC1.map((id) => counts.get(id) ?? 0),
    [0, 0, 0],
    'dc1 was not asked',
  );
  t.ok(DC2.some((id) => (counts.get(id) ?? 0) > 0), 'dc2 was');
});

t.test('a node outside the key\'s replicas forwards a local level to a replica of its own DC', async (t) => {
  const sim = await SimCluster.start({
    nodes: 6,
    n: 2,
    timeoutMs: 200,
    dcOf: (i) => (i < 3 ? 'dc1' : 'dc2'),
    replicasPerDc: [
      { dc: 'dc1', count: 1 },
      { dc: 'dc2', count: 1 },
    ],
  });
  t.teardown(() => sim.close());
  const key = sim.keyWhere((replicas) => replicas[0] !== 'n3' && replicas[1] !== 'n3');
  const [dc1Replica, dc2Replica] = sim.replicasOf(key) as [string, string];
  t.ok(DC2.includes(dc2Replica) && DC1.includes(dc1Replica));
  // The dc1 replica is cut off from n3; a forward there would fail, the local one answers.
  sim.net.partition(['n3'], [dc1Replica]);
  sim.believe('n3', dc1Replica, true);
  t.same(siblingValues(await sim.settle(sim.node('n3').coord.write(key, setReq('v'), { cl: 'local_one' }))), ['v']);
  t.same(siblingValues(await sim.node(dc2Replica).coord.readLocal(key)), ['v'], 'coordinated in dc2');
});

t.test('default levels apply to requests that name no number', async (t) => {
  const sim = await twoDcs();
  t.teardown(() => sim.close());
  for (const id of DC2) sim.net.isolate(id);
  const n0 = sim.node('n0').coord;
  const key = Buffer.from('k');
  t.same(siblingValues(await sim.settle(n0.write(key, setReq('x')))), ['x'], 'without defaults: W=2 as before');
  sim.settings.writeConsistency = 'each_quorum';
  sim.settings.readConsistency = 'all';
  t.match(await sim.outcome(n0.write(key, setReq('x'))), /^UNAVAILABLE EACH_QUORUM \(from dc1\) cannot be met/, 'the default write level');
  t.match(await sim.outcome(n0.read(key)), /^UNAVAILABLE .*ALL needed/, 'the default read level');
  t.same(siblingValues(await sim.settle(n0.write(key, setReq('y'), { w: 3 }))), ['y'], 'a number given wins over the default level');
  t.same(siblingValues(await sim.settle(n0.read(key, { r: 3 }))), ['y'], 'for reads too');
  t.same(siblingValues(await sim.settle(n0.read(key, { cl: 'local_one' }))), ['y'], 'and so does a level given');
});

t.test('a replica that fails during a read at a level makes it impossible at once; a forwarded level is checked', async (t) => {
  const sim = await twoDcs();
  t.teardown(() => sim.close());
  sim.believeAllUp();
  await sim.node('n1').endpoint.close();
  const n0 = sim.node('n0').coord;
  t.match(await sim.outcome(n0.read(Buffer.from('k'), { cl: 'all' })), /^UNAVAILABLE \d of 6 replicas answered, ALL needed/);
  t.match(
    await sim.outcome(n0.write(Buffer.from('k'), setReq('v'), { cl: 'all' })),
    /^UNAVAILABLE ALL \(from dc1\) not met: dc1 [0-2]\/3, dc2 [0-3]\/3 replicas acknowledged; the write may be present on some replicas/,
    'a write at a level a failing replica puts out of reach fails at once',
  );
  const forward = { type: 'c.write', key: Buffer.from('k'), value: Buffer.from('v'), tombstone: false, expireAt: 0, supersedes: 'local', w: 1, r: 1 };
  t.throws(() => parseRequest({ ...forward, cl: 5, dc: 'dc1' }), /cl and dc must be strings/);
  t.throws(() => parseRequest({ ...forward, cl: 'one' }), /cl and dc must be strings/);
  t.match(parseRequest({ ...forward, cl: 'one', dc: 'dc1' }), { cl: 'one', dc: 'dc1' });
  const reply = (await sim.settle(sim.node('n0').coord.handleRequest('n3', { ...forward, cl: 'three', dc: 'dc2' }))) as { error?: { message: string } };
  t.match(reply.error?.message, /unknown consistency level 'three'/);
});

t.test('the cross-DC replication lag is measured per remote DC', async (t) => {
  const sim = await twoDcs();
  t.teardown(() => sim.close());
  await sim.settle(sim.node('n0').coord.write(Buffer.from('k'), setReq('v'), { cl: 'local_one' }));
  await sim.idle(20);
  const values = (await sim.node('n0').metrics.dcReplicationLag.get()).values;
  const count = values.find((v) => v.metricName?.endsWith('_count'));
  t.same([count?.labels.dc, count?.value], ['dc2', 3], 'one sample per dc2 replica, none for dc1');
  const sum = values.find((v) => v.metricName?.endsWith('_sum'))!;
  t.ok(sum.value > 0 && sum.value < 0.1, `lags in seconds (${sum.value})`);
});
