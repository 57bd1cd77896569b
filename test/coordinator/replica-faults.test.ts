import t from 'tap';
import { nodeOfActor } from '../../src/versioning/actor.js';
import { KeyLock } from '../../src/coordinator/key-lock.js';
import { FLUSH_EPOCH_META, ReplicaService } from '../../src/coordinator/replica-service.js';
import { ManualClock } from '../../src/core/clock.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore } from '../../src/storage/record-store.js';
import { DotIssuer } from '../../src/versioning/actor.js';
import { applyWrite } from '../../src/versioning/object.js';
import { flush, SimCluster, siblingValues } from '../support/sim-cluster.js';
import { blindReq } from './helpers.js';

const payload = (v: string) => ({ value: Buffer.from(v), tombstone: false, expireAt: 0, ts: 1 });

t.test('an own write the local disk failed to store is acknowledged by the other replicas, and the next write keeps it', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3, r: 3, w: 2 });
  t.teardown(() => sim.close());
  const key = sim.keyWhere((reps) => reps[0] === 'n0');
  sim.node('n0').engine.failNextWrites(1);
  // The version goes to the other replicas while n0's own put commits; that put fails, n1 and n2 make W=2.
  const first = await sim.settle(sim.node('n0').coord.write(key, blindReq('first')));
  t.same(first.siblings.map((s) => [nodeOfActor(s.dot.node), s.dot.counter]), [['n0', 1]], 'n0 coordinated it');
  t.notOk(await sim.node('n0').coord.readLocal(key), 'n0 did not store it');
  for (const node of ['n1', 'n2']) t.same(siblingValues(await sim.node(node).coord.readLocal(key)), ['first'], `${node} holds it`);
  // n0's next write takes the next counter and covers the first one's dot: it must have seen that write,
  // or the merge on n1 and n2 would drop an acknowledged write.
  const second = await sim.settle(sim.node('n0').coord.write(key, blindReq('second')));
  t.ok(second.siblings.some((s) => nodeOfActor(s.dot.node) === 'n0' && s.dot.counter === 2), 'the next write takes the next counter');
  t.same(siblingValues(await sim.settle(sim.node('n1').coord.read(key))), ['first', 'second']);
  t.same(siblingValues(await sim.node('n0').coord.readLocal(key)), ['first', 'second'], 'n0 now stores both');
});

async function service() {
  const engine = new MemoryEngine();
  await engine.open();
  const store = await openRecordStore(engine, { sync: false, clock: new ManualClock(), schedule: (run) => queueMicrotask(run) });
  return { engine, store, replica: new ReplicaService(store, new KeyLock(), new DotIssuer('n1~1')) };
}

t.test('a merge that changes nothing still waits for the copy to be durable', async (t) => {
  const { engine, store, replica } = await service();
  t.teardown(() => store.close());
  const key = Buffer.from('k');
  const obj = applyWrite(undefined, {}, 'n1', payload('v'));
  const release = engine.holdWrites();
  let firstDone = false;
  let secondDone = false;
  void replica.merge(key, obj, 0).then(() => (firstDone = true));
  await flush();
  void replica.merge(key, obj, 0).then(() => (secondDone = true));
  await flush();
  t.notOk(firstDone || secondDone, 'neither is acknowledged before the write is durable');
  release();
  await flush();
  t.ok(firstDone && secondDone);
  // Nothing pending: an unchanged merge is acknowledged at once.
  await replica.merge(key, obj, 0);
  // An older version changes nothing either.
  await replica.merge(key, obj, 0);
  t.same((await replica.get([key])).objs[0], obj);
});

t.test('a merge from before the last flush is refused; the epoch is kept in the store', async (t) => {
  const { engine, store, replica } = await service();
  t.teardown(() => store.close());
  const key = Buffer.from('k');
  const obj = applyWrite(undefined, {}, 'n1', payload('v'));
  t.same(await replica.flush(10), { ok: true, epoch: 10 });
  await t.rejects(replica.merge(key, obj, 9), { code: 'ERR', message: 'refused: the version is from before a FLUSHALL (epoch 9 < 10)' });
  await replica.merge(key, obj, 10);
  t.same((await replica.get([key])).epoch, 10);
  t.equal((await store.getMeta(FLUSH_EPOCH_META))?.readBigUInt64BE(0), 10n);
  // A fresh service over the same store reads it; an unreadable or malformed one counts as 0.
  t.equal((await new ReplicaService(store, new KeyLock(), new DotIssuer('n1~1')).get([])).epoch, 10);
  engine.failNextReads(1);
  t.equal((await new ReplicaService(store, new KeyLock(), new DotIssuer('n1~1')).get([])).epoch, 0);
  await store.putMeta(FLUSH_EPOCH_META, Buffer.from('bad'));
  t.equal((await new ReplicaService(store, new KeyLock(), new DotIssuer('n1~1')).get([])).epoch, 0);
});

t.test('a replica scan stops between ranges when the page is full', async (t) => {
  const { store, replica } = await service();
  t.teardown(() => store.close());
  const keys = ['a', 'b', 'c', 'd', 'e'].map((k) => Buffer.from(k));
  for (const k of keys) await replica.put(k, applyWrite(undefined, {}, 'n1', payload('v')));
  const all = await replica.scan([[0n, 1n << 64n]], 100);
  t.equal(all.entries.length, 5);
  t.equal(all.next, null);
  const hashes = all.entries.map((e) => e.hash);
  // Two ranges: the first holds exactly `limit` keys, so the page stops where the second starts.
  const split = hashes[2]!;
  const page = await replica.scan(
    [
      [0n, split],
      [split, 1n << 64n],
    ],
    2,
  );
  t.equal(page.entries.length, 2);
  t.equal(page.next, split);
});

t.test('in a cluster of one, reads and writes stay local; a failed local write is reported', async (t) => {
  const sim = await SimCluster.start({ nodes: 1, n: 1, r: 1, w: 1 });
  t.teardown(() => sim.close());
  const c = sim.node('n0').coord;
  const key = Buffer.from('solo');
  await sim.settle(c.write(key, blindReq('v')));
  t.same(siblingValues(await sim.settle(c.read(key))), ['v']);
  sim.node('n0').engine.failNextWrites(1);
  t.equal(
    await sim.outcome(c.write(key, blindReq('w'))),
    'UNAVAILABLE 0 of 1 replicas acknowledged, 1 needed: this node could not store the write (write failed: disk full (No space left on device, simulated))',
  );
  t.same(siblingValues(await sim.settle(c.read(key))), ['v']);
});

t.test('reads wait for a key\'s puts to be durable; the write path sees them at once', async (t) => {
  const { engine, store, replica } = await service();
  t.teardown(() => store.close());
  const key = Buffer.from('k');
  const release = engine.holdWrites();
  const durable = replica.put(key, applyWrite(undefined, {}, 'n1', payload('v')));
  t.same(siblingValues((await replica.getLatest([key]))[0]), ['v'], 'the write path sees the version at once');
  let read: string[] | null = null;
  void replica.get([key]).then((r) => (read = siblingValues(r.objs[0])));
  await flush();
  t.equal(read, null, 'nobody else sees it before it is durable');
  release();
  await durable;
  await flush();
  t.same(read, ['v']);
});

