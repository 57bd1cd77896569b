import t from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { SimCluster, siblingValues } from '../support/sim-cluster.js';
import { counterValue, setReq } from './helpers.js';
import { DC1, DC2, twoDcs } from './two-dc-sim.js';

// Two DCs of three nodes (two-dc-sim.ts). A write coordinated in dc1 crosses to dc2 once (r.dcfwd to one
// forwarder), which fans it out there.

/** Records every request a node receives from another DC, as 'from>to type', from now on. */
function wanRequests(sim: SimCluster): string[] {
  const seen: string[] = [];
  for (const node of sim.nodes) {
    node.endpoint.rpc.onRequest((from, msg) => {
      if (DC1.includes(from) !== DC1.includes(node.id)) seen.push(`${from}>${node.id} ${(msg as { type: string }).type}`);
      return node.coord.handleRequest(from, msg);
    });
  }
  return seen;
}

async function valuesEverywhere(sim: SimCluster, key: Buffer): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const node of sim.nodes) out[node.id] = siblingValues(await node.coord.readLocal(key));
  return out;
}

const all = (v: string): Record<string, string[]> => Object.fromEntries([...DC1, ...DC2].map((id) => [id, [v]]));

t.test('a write crosses to the remote DC as one message to one forwarder, which fans it out there', async (t) => {
  const sim = await twoDcs();
  t.teardown(() => sim.close());
  const wan = wanRequests(sim);
  const key = Buffer.from('k');
  await sim.settle(sim.node('n0').coord.write(key, setReq('v'), { cl: 'each_quorum' }));
  await sim.idle(20);
  t.equal(wan.length, 1, `one WAN request: ${wan.join(', ')}`);
  t.match(wan[0], /^n0>n[345] r\.dcfwd$/);
  t.same(await valuesEverywhere(sim, key), all('v'), 'every replica of both DCs has it');
  const bytes = await counterValue(sim.node('n0').metrics.dcReplicationBytes, { dc: 'dc2' });
  t.ok(bytes > 0 && bytes < 100, `one copy's bytes toward dc2 (${bytes})`);
});

t.test('a forwarder lost mid-stream (it merged, its answer never came): the next replica of its DC forwards to all', async (t) => {
  const sim = await twoDcs();
  t.teardown(() => sim.close());
  const key = Buffer.from('k');
  const n0 = sim.node('n0').coord;
  const wan = wanRequests(sim);
  // Learn which dc2 replica forwards for this key, then cut its answers to n0 (and, once it has its copy, everything).
  await sim.settle(n0.write(key, setReq('v0'), { cl: 'local_quorum' }));
  await sim.idle(20);
  const forwarder = wan[0]!.split(' ')[0]!.split('>')[1]!;
  wan.length = 0;
  sim.believeAllUp();
  sim.net.partition([forwarder], DC1, true);
  const acked = await sim.settle(n0.write(key, setReq('v1'), { cl: 'each_quorum' }));
  t.same(siblingValues(acked), ['v1'], 'EACH_QUORUM met through the next forwarder');
  await sim.idle(50);
  const fwds = wan.filter((w) => w.endsWith('r.dcfwd')).map((w) => w.split(' ')[0]!.split('>')[1]);
  t.equal(fwds.length, 2, `two forwarders asked: ${fwds.join(', ')}`);
  t.equal(fwds[0], forwarder);
  t.not(fwds[1], forwarder);
  t.same(await valuesEverywhere(sim, key), all('v1'), 'no replica lost the write');
  // Now the forwarder dies for good: the next one keeps a hint for it in dc2 (delivered over dc2's LAN).
  sim.net.heal();
  sim.net.isolate(forwarder);
  await sim.settle(n0.write(key, setReq('v2'), { cl: 'each_quorum' }));
  await sim.idle(50);
  const hinted = DC2.filter((id) => id !== forwarder).map((id) => sim.node(id).hints!.targets());
  t.ok(hinted.some((targets) => targets.includes(forwarder)), 'a replica of dc2 keeps the hint for the dead forwarder');
  t.same(sim.node('n0').hints!.targets(), [], 'none kept across the WAN');
});

t.test('a remote DC cut off: the coordinator keeps a durable hint per replica there; nothing is lost', async (t) => {
  const sim = await twoDcs();
  t.teardown(() => sim.close());
  const n0 = sim.node('n0').coord;
  sim.believeAllUp();
  sim.net.partition(DC1, DC2);
  const keys = ['a', 'b', 'c'].map((k) => Buffer.from(k));
  for (const key of keys) t.same(siblingValues(await sim.settle(n0.write(key, setReq(`v${key}`), { cl: 'local_quorum' }))), [`v${key}`]);
  await sim.idle(2000);
  const hints = sim.node('n0').hints!;
  t.same(hints.targets(), DC2, 'hints for every replica of dc2');
  t.same(DC2.map((id) => hints.pendingOf(id).count), [3, 3, 3]);
  for (const key of keys) t.same(siblingValues(await sim.node('n1').coord.readLocal(key)), [`v${key}`], 'and dc1 has every write');
});

t.test('a remote DC of an older version (r.dcfwd unknown there) gets the write sent to each replica directly', async (t) => {
  const sim = await twoDcs();
  t.teardown(() => sim.close());
  const wan = wanRequests(sim);
  for (const id of DC2) {
    const node = sim.node(id);
    node.endpoint.rpc.onRequest((from, msg) => {
      wan.push(`${from}>${id} ${(msg as { type: string }).type}`);
      if ((msg as { type: string }).type === 'r.dcfwd') throw new QkvError('ERR', "bad request: unknown type 'r.dcfwd'");
      return node.coord.handleRequest(from, msg);
    });
  }
  const key = Buffer.from('k');
  t.same(siblingValues(await sim.settle(sim.node('n0').coord.write(key, setReq('v'), { cl: 'each_quorum' }))), ['v'], 'EACH_QUORUM met');
  await sim.idle(20);
  t.same(await valuesEverywhere(sim, key), all('v'), 'every replica of both DCs has it');
  t.equal(wan.filter((w) => w.endsWith('r.dcfwd')).length, 1, 'one forward tried');
  t.equal(wan.filter((w) => w.endsWith('r.batch')).length, 3, 'then one merge per replica of dc2');
});

t.test('the forwarder answers once its DC gave what the level needs; a slow replica there is carried on by the forwarder', async (t) => {
  const sim = await twoDcs();
  t.teardown(() => sim.close());
  const n0 = sim.node('n0').coord;
  const key = Buffer.from('k');
  const wan = wanRequests(sim);
  await sim.settle(n0.write(key, setReq('v0'), { cl: 'each_quorum' }));
  await sim.idle(20);
  const forwarder = wan[0]!.split(' ')[0]!.split('>')[1]!;
  const slow = DC2.find((id) => id !== forwarder)!;
  // The slow replica answers nothing, but the forwarder still believes it up: it waits up to a quarter of the timeout for it.
  sim.net.isolate(slow);
  sim.believe(forwarder, slow, true);
  sim.believe('n0', slow, true);
  const started = sim.clock.monotonic();
  t.same(siblingValues(await sim.settle(n0.write(key, setReq('v1'), { cl: 'each_quorum' }))), ['v1'], 'EACH_QUORUM met by 2 of dc2');
  const took = sim.clock.monotonic() - started;
  t.ok(took < 50, `answered in ${took} ms, before the forwarder gave up on the slow replica (50 ms)`);
  await sim.idle(200);
  t.same(sim.node(forwarder).hints!.targets(), [slow], 'the forwarder keeps the hint for the slow replica');
  t.same(sim.node('n0').hints!.targets(), [], 'the coordinator keeps none');
});

t.test('a forwarder whose answer is malformed counts as failed: the next replica of its DC forwards', async (t) => {
  const sim = await twoDcs();
  t.teardown(() => sim.close());
  const key = Buffer.from('k');
  const forwarder = sim.replicasOf(key).find((id) => DC2.includes(id))!;
  const node = sim.node(forwarder);
  let asked = 0;
  node.endpoint.rpc.onRequest(async (from, msg) => {
    const reply = await node.coord.handleRequest(from, msg);
    if ((msg as { type: string }).type !== 'r.dcfwd') return reply;
    asked++;
    return { acked: 'garbled' };
  });
  t.same(siblingValues(await sim.settle(sim.node('n0').coord.write(key, setReq('v'), { cl: 'each_quorum' }))), ['v'], 'EACH_QUORUM met');
  await sim.idle(20);
  t.equal(asked, 1, `${forwarder}, first of dc2, was asked first`);
  t.same(await valuesEverywhere(sim, key), all('v'));
  t.ok(sim.node('n0').logs.some((l) => l.msg === 'cross-DC forwarder failed, trying the next replica of its DC'), 'logged');
});
