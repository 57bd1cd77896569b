import t, { type Test } from 'tap';
import { DotIssuer, nodeOfActor } from '../../src/versioning/actor.js';
import { applyWrite } from '../../src/versioning/object.js';
import { SimCluster, flush, siblingValues } from '../support/sim-cluster.js';
import { LocalCoordinator } from '../../src/coordinator/local-coordinator.js';
import { ManualClock } from '../../src/core/clock.js';
import type { QkvError } from '../../src/core/errors.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore } from '../../src/storage/record-store.js';
import { blindReq, setReq } from './helpers.js';

/**
 * A replica whose disk fails or stalls: the entry node offers a forwarded
 * write to the next replica when the first could not apply it (decided on
 * the typed reason in the reply), and no wait on a local disk outlasts the
 * request timeout.
 */

const version = (v: string) => applyWrite(undefined, {}, 'n9', { value: Buffer.from(v), tombstone: false, expireAt: 0, ts: 1 });

async function cluster(t: Test, storageHealth = true) {
  const sim = await SimCluster.start({ nodes: 4, n: 3, r: 2, w: 2, storageHealth, timeoutMs: 100 });
  t.teardown(() => sim.close());
  // n0 is the entry node and no replica of the key: it forwards the write to the first reachable replica.
  const key = sim.keyWhere((reps) => !reps.includes('n0'));
  return { sim, key, replicas: sim.replicasOf(key) };
}

t.test('a forwarded write whose coordinating replica failed to store it is acknowledged by the other replicas', async (t) => {
  const { sim, key, replicas } = await cluster(t, false);
  const [first] = replicas as [string];
  sim.node(first).engine.failNextWrites(1);
  // The version went to the other replicas while its own put failed: W=2 of them have it.
  const obj = await sim.settle(sim.node('n0').coord.write(key, setReq('v')));
  t.same(obj.siblings.map((s) => nodeOfActor(s.dot.node)), [first], 'the first replica coordinated it');
  t.same(siblingValues(await sim.settle(sim.node('n0').coord.read(key))), ['v']);
  t.notOk(await sim.node(first).coord.readLocal(key), 'not stored on the replica whose disk failed');
  // Its next write of the key builds on the version it could not store, so the acknowledged one is kept.
  const next = await sim.settle(sim.node(first).coord.write(key, setReq('w')));
  t.same(siblingValues(next), ['w']);
  t.ok(next.clock[obj.siblings[0]!.dot.node]! >= obj.siblings[0]!.dot.counter, 'the new version saw the first');
});

t.test('a coordinating replica whose own put fails: a blind write after it keeps the acknowledged one as a sibling', async (t) => {
  const { sim, key, replicas } = await cluster(t, false);
  const [first] = replicas as [string];
  sim.node(first).engine.failNextWrites(1);
  await sim.settle(sim.node(first).coord.write(key, blindReq('acked')));
  // Built on nothing stored here, the second write's dot would claim the first one's and a merge would drop it.
  await sim.settle(sim.node(first).coord.write(key, blindReq('later')));
  for (const id of replicas) t.same(siblingValues(await sim.settle(sim.node(id).coord.read(key, { r: 3 }))), ['acked', 'later'], `read through ${id}`);
});

t.test('a replica whose disk failed steps aside until a write lands again', async (t) => {
  const { sim, key, replicas } = await cluster(t);
  const [first, second] = replicas as [string, string];
  sim.node(first).engine.failNextWrites(1);
  await t.rejects(sim.settle(sim.node(first).store.put(Buffer.from('other'), version('x'))), { code: 'IOERR' });
  t.match(sim.node(first).store.health.problem(), /^storage write failed: .*No space left on device/);
  // A client of the failing node is still served: it hands the write to a healthy replica, as the entry node does.
  const direct = await sim.settle(sim.node(first).coord.write(key, setReq('direct')));
  t.same(direct.siblings.map((s) => nodeOfActor(s.dot.node)), [second]);
  const obj = await sim.settle(sim.node('n0').coord.write(key, setReq('v')));
  t.same(obj.siblings.map((s) => nodeOfActor(s.dot.node)), [second]);
  // The probe write lands: healthy again, and it coordinates once more.
  await sim.settle(sim.node(first).store.probe());
  t.equal(sim.node(first).store.health.problem(), null);
  const again = await sim.settle(sim.node('n0').coord.write(key, setReq('w')));
  t.ok(again.siblings.some((s) => nodeOfActor(s.dot.node) === first), 'the healed replica coordinates again');
});

t.test('a coordinating replica whose disk stalls: the other replicas acknowledge, or TIMEOUT within the request timeout', async (t) => {
  const { sim, key, replicas } = await cluster(t);
  const first = replicas[0]!;
  const release = sim.node(first).engine.holdWrites();
  t.teardown(release);
  // W=2: the two healthy replicas store it while the stalled put waits.
  const acked = await sim.settle(sim.node(first).coord.write(key, setReq('v')));
  t.same(siblingValues(acked), ['v']);
  // W=3 needs the stalled disk too: the answer comes when the request timeout runs out.
  const started = sim.clock.monotonic();
  const outcome = await sim.outcome(sim.node(first).coord.write(key, setReq('w'), { w: 3 }));
  t.match(outcome, /^TIMEOUT 2 of 3 replicas acknowledged within 100 ms, 3 needed; the write may be present on some replicas/);
  t.ok(sim.clock.monotonic() - started <= 150, 'answered about when the request timeout ran out');
  release();
});

t.test('an entry node routes a write around a replica whose disk stalls', async (t) => {
  const { sim, key, replicas } = await cluster(t);
  const [first, second] = replicas as [string, string];
  const release = sim.node(first).engine.holdWrites();
  t.teardown(release);
  // Something is stuck on its disk past the stall threshold.
  void sim.node(first).store.put(Buffer.from('stuck'), version('s')).catch(() => undefined);
  await sim.idle(2_100);
  t.match(sim.node(first).store.health.problem(), /^storage stalled: a batch write has not completed in \d+ ms$/);
  const obj = await sim.settle(sim.node('n0').coord.write(key, setReq('v')));
  t.same(obj.siblings.map((s) => nodeOfActor(s.dot.node)), [second], 'the stalled replica was skipped with a typed refusal');
  release();
  await sim.idle(5);
  t.equal(sim.node(first).store.health.problem(), null, 'healthy once the batch lands');
});

t.test('a node alone answers TIMEOUT when its disk hangs, then refuses writes up front while it stalls', async (t) => {
  const clock = new ManualClock();
  const engine = new MemoryEngine();
  await engine.open();
  const store = await openRecordStore(engine, { sync: false, clock, stallMs: 500, schedule: (run) => queueMicrotask(run) });
  const kv = new LocalCoordinator(store, new DotIssuer('solo~1'), clock, { requestTimeoutMs: () => 200, health: store.health });
  const release = engine.holdWrites();
  t.teardown(async () => {
    release();
    await store.close();
  });
  const key = Buffer.from('k');
  const outcome = kv.write(key, setReq('v')).catch((e: QkvError) => e.toReplyText());
  await flush();
  clock.advance(200);
  t.match(await outcome, /^TIMEOUT this node's disk did not store the write within 200 ms/);
  clock.advance(300);
  await t.rejects(kv.write(key, setReq('w')), { code: 'UNAVAILABLE', reason: 'storage', message: /^solo cannot store writes now \(storage stalled: / });
  release();
  await flush();
  t.equal(store.health.problem(), null);
  await kv.write(key, setReq('w'));
  t.same(siblingValues(await kv.read(key)), ['w']);
});

t.test('a node whose ring is still forming answers TRYAGAIN, and a write forwarded to it goes to the next replica', async (t) => {
  const forming = new Set<string>();
  const sim = await SimCluster.start({ nodes: 4, n: 3, r: 2, w: 2, notReady: (id) => (forming.has(id) ? '1 of 3 members known so far' : null) });
  t.teardown(() => sim.close());
  const key = sim.keyWhere((reps) => !reps.includes('n0'));
  const [first, second] = sim.replicasOf(key) as [string, string];
  forming.add(first);
  t.equal(await sim.outcome(sim.node(first).coord.write(key, setReq('v'))), 'TRYAGAIN cluster is forming: 1 of 3 members known so far');
  t.equal(await sim.outcome(sim.node(first).coord.read(key)), 'TRYAGAIN cluster is forming: 1 of 3 members known so far');
  const obj = await sim.settle(sim.node('n0').coord.write(key, setReq('v')));
  t.same(obj.siblings.map((s) => nodeOfActor(s.dot.node)), [second], 'the forming replica turned it away untouched');
  // When every replica is forming, the entry node says so rather than UNAVAILABLE.
  for (const r of sim.replicasOf(key)) forming.add(r);
  t.equal(await sim.outcome(sim.node('n0').coord.write(key, setReq('w'))), 'TRYAGAIN cluster is forming: 1 of 3 members known so far');
});

t.test('a write held only as hints is never acknowledged: its coordinator\'s own put failed and the other home replicas are cut off', async (t) => {
  const sim = await SimCluster.start({ nodes: 6, n: 3, r: 2, w: 2, hints: true, sloppyQuorum: true });
  t.teardown(() => sim.close());
  const key = Buffer.from('hinted-only');
  const [a, b, c] = sim.replicasOf(key) as [string, string, string];
  sim.net.isolate(b);
  sim.net.isolate(c);
  sim.node(a).engine.failNextWrites(1);
  // Two stand-ins store hints for b and c (W=2 by count), but no home replica holds the write as data:
  // hints are dropped past the tombstone grace, so acknowledging it could lose it.
  const outcome = await sim.outcome(sim.node(a).coord.write(key, setReq('v')));
  t.match(outcome, /^UNAVAILABLE 0 of 3 home replicas acknowledged, 1 needed; this node could not store the write/);
  // With its disk back, the same write is acknowledged: a's own copy and a stand-in's hint.
  const ok = await sim.settle(sim.node(a).coord.write(key, setReq('w')));
  t.same(siblingValues(ok), ['w']);
});
