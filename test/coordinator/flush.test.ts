import t from 'tap';
import { SimCluster, siblingValues } from '../support/sim-cluster.js';
import { setReq } from './helpers.js';

/** A node's flush epoch, as its r.get replies report it. */
async function epochOf(sim: SimCluster, id: string): Promise<number> {
  const reply = (await sim.settle(sim.node(id).coord.handleRequest('test', { type: 'r.get', keys: [] }))) as { epoch: number };
  return reply.epoch;
}

async function fill(sim: SimCluster, count: number): Promise<Buffer[]> {
  const keys = Array.from({ length: count }, (_, i) => Buffer.from(`f${i}`));
  await sim.settle(Promise.all(keys.map((k, i) => sim.nodes[i % sim.nodes.length]!.coord.write(k, setReq('v')))));
  await sim.idle(10);
  return keys;
}

t.test('FLUSHALL refuses with a node down and empties every node with all up', async (t) => {
  const sim = await SimCluster.start({ nodes: 4, n: 3 });
  t.teardown(() => sim.close());
  const keys = await fill(sim, 40);
  t.equal(await sim.settle(sim.node('n0').coord.dbsize()), 40);
  sim.net.isolate('n3');
  t.equal(await sim.outcome(sim.node('n0').coord.flushAll()), 'UNAVAILABLE FLUSHALL needs every node reachable; unreachable: n3');
  t.equal(await sim.settle(sim.node('n0').coord.dbsize()), 40, 'nothing was flushed');
  sim.net.heal();
  await sim.settle(sim.node('n1').coord.flushAll());
  t.equal(await sim.settle(sim.node('n0').coord.dbsize()), 0);
  for (const node of sim.nodes) {
    t.equal(node.store.stats().keys, 0, `${node.id} is empty`);
    t.same(await sim.settle(node.coord.readMany(keys.slice(0, 5))), [undefined, undefined, undefined, undefined, undefined]);
  }
  const epochs = await Promise.all(sim.nodes.map((x) => epochOf(sim, x.id)));
  t.ok(epochs[0]! > 0 && epochs.every((e) => e === epochs[0]), 'every node has the same new epoch');
  // Writes after the flush are kept.
  await sim.settle(sim.node('n2').coord.write(keys[0]!, setReq('after')));
  t.same(siblingValues(await sim.settle(sim.node('n3').coord.read(keys[0]!))), ['after']);
});

t.test('a read repair in flight during FLUSHALL does not bring the value back', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3, r: 3, w: 2, faults: { minDelayMs: 5, maxDelayMs: 5 } });
  t.teardown(() => sim.close());
  const key = Buffer.from('zombie');
  sim.net.isolate('n2');
  await sim.settle(sim.node('n0').coord.write(key, setReq('old')));
  sim.net.heal();
  // n2 reads (its copy is missing): replies come back at 10 ms, the repair of n2 follows.
  const read = sim.node('n2').coord.read(key);
  await sim.idle(1);
  const flushed = sim.node('n2').coord.flushAll();
  const [got] = await sim.settle(Promise.all([read, flushed]));
  t.same(siblingValues(got), ['old'], 'the read was concurrent with the flush');
  await sim.idle(30);
  for (const node of sim.nodes) t.equal(await node.coord.readLocal(key), undefined, `${node.id} holds nothing`);
  t.ok(sim.node('n2').logs.some((l) => l.msg === 'read repair failed' && /before a FLUSHALL/.test(String(l.fields?.error))));
  t.equal(await sim.settle(sim.node('n0').coord.read(key, { r: 3 })), undefined);
});

t.test('replies read at different epochs are not used for repair', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3, r: 3, w: 2, faults: { minDelayMs: 5, maxDelayMs: 5 } });
  t.teardown(() => sim.close());
  const key = Buffer.from('mixed');
  sim.net.isolate('n1');
  await sim.settle(sim.node('n0').coord.write(key, setReq('old')));
  sim.net.heal();
  // n1 flushes itself alone (as a FLUSHALL that reached only it would), then a read mixes epochs.
  await sim.settle(sim.node('n1').coord.handleRequest('n0', { type: 'c.flush', epoch: sim.clock.now() + 1 }));
  // The replies from before n1's epoch do not count, so at R=3 the read itself fails; only the repair matters here.
  await sim.outcome(sim.node('n2').coord.read(key));
  await sim.idle(20);
  t.equal(await sim.node('n1').coord.readLocal(key), undefined, 'no repair across epochs');
});

t.test('FLUSHALL agrees on an epoch above every node, and the epoch survives a restart', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3 });
  t.teardown(() => sim.close());
  await fill(sim, 5);
  const ahead = sim.clock.now() + 1_000_000;
  const direct = await sim.settle(sim.node('n2').coord.handleRequest('n0', { type: 'c.flush', epoch: ahead }));
  t.same(direct, { ok: true, epoch: ahead });
  t.same(await sim.settle(sim.node('n2').coord.handleRequest('n0', { type: 'c.flush', epoch: 5 })), { ok: false, epoch: ahead }, 'an older epoch is refused');
  await sim.settle(sim.node('n0').coord.flushAll());
  const epochs = await Promise.all(sim.nodes.map((x) => epochOf(sim, x.id)));
  t.same(epochs, [ahead + 1, ahead + 1, ahead + 1]);
  // A new coordinator over the same store (a restart) keeps the epoch.
  const restarted = sim.coordinatorOver(sim.node('n1'));
  const reply = (await sim.settle(restarted.handleRequest('n0', { type: 'r.get', keys: [] }))) as { epoch: number };
  t.equal(reply.epoch, ahead + 1);
});

t.test('FLUSHALL reports a node that fails midway', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3, timeoutMs: 20 });
  t.teardown(() => sim.close());
  await fill(sim, 5);
  sim.believeAllUp();
  sim.net.isolate('n2');
  const out = await sim.outcome(sim.node('n0').coord.flushAll());
  t.match(out, /^TIMEOUT FLUSHALL failed on n2 \(.*\); some nodes may already be flushed$/);
  sim.forgetBeliefs();
  sim.net.heal();
  sim.node('n1').engine.failNextWrites(1);
  t.match(await sim.outcome(sim.node('n0').coord.flushAll()), /^\S+ FLUSHALL failed on n1 \(.*\); some nodes may already be flushed$/);
  await sim.settle(sim.node('n0').coord.flushAll());
  t.equal(await sim.settle(sim.node('n2').coord.dbsize()), 0);
});

t.test('a quorum read ignores a replica still at an older flush epoch (it missed the FLUSHALL)', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3, r: 2, w: 2 });
  t.teardown(() => sim.close());
  const key = Buffer.from('flushed');
  await sim.settle(sim.node('n0').coord.write(key, setReq('old')));
  await sim.idle(10);
  // n0 and n1 flush at a new epoch; n2 (out of the ring at the time, back with its disk) did not.
  const epoch = sim.clock.now() + 1;
  for (const id of ['n0', 'n1']) await sim.settle(sim.node(id).coord.handleRequest('n0', { type: 'c.flush', epoch }));
  t.same(siblingValues(await sim.node('n2').coord.readLocal(key)), ['old'], 'n2 still holds the flushed value');
  for (const r of [3, 2]) {
    const got = await sim.outcome(sim.node('n0').coord.read(key, { r }));
    t.notOk(typeof got !== 'string' && siblingValues(got).includes('old'), `R=${r}: the flushed value is not served (${typeof got === 'string' ? got : JSON.stringify(siblingValues(got))})`);
  }
  // With n1 cut off, only n2 could make up R=2: the read fails rather than answer from it.
  sim.net.isolate('n1');
  const alone = await sim.outcome(sim.node('n0').coord.read(key, { r: 2 }));
  t.match(alone, /^UNAVAILABLE/, 'a stale replica does not count toward R');
});
