import t from 'tap';
import { LocalCoordinator } from '../../src/coordinator/local-coordinator.js';
import { ManualClock } from '../../src/core/clock.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore } from '../../src/storage/record-store.js';
import { DotIssuer } from '../../src/versioning/actor.js';
import { InstrumentedEngine } from '../storage/instrumented-engine.js';

// A cluster of one serves only what is on disk: a read of a key whose write
// is still on its way waits for it, and a write the disk failed is never seen.

const req = (v: string) => ({ value: Buffer.from(v), tombstone: false, expireAt: 0, supersedes: { kind: 'local' as const } });

async function setup() {
  const engine = new InstrumentedEngine(new MemoryEngine());
  await engine.open();
  const store = await openRecordStore(engine, { sync: true, clock: new ManualClock(1) });
  return { engine, kv: new LocalCoordinator(store, new DotIssuer('n1~1'), new ManualClock(1)) };
}

t.test('a read waits for the write before it to be durable, and never sees a failed one', async (t) => {
  const { engine, kv } = await setup();
  await kv.write(Buffer.from('k'), req('one'));
  engine.failNextWrites(1);
  const release = engine.holdWrites();
  const failed = kv.write(Buffer.from('k'), req('two')).then(
    () => 'ok',
    () => 'failed',
  );
  const read = kv.read(Buffer.from('k')).then((o) => o?.siblings.map((s) => s.value.toString()));
  release();
  t.equal(await failed, 'failed');
  t.same(await read, ['one'], 'the read saw the durable value, not the write the disk refused');
});

t.test('writes are decided when their batch is built, in order, with no read before them', async (t) => {
  const { engine, kv } = await setup();
  const readsBefore = engine.reads;
  const writes = ['a', 'b', 'c'].map((v) => kv.write(Buffer.from('k'), req(v)));
  const objs = await Promise.all(writes);
  t.same(
    objs.map((o) => o.siblings.map((s) => s.value.toString())),
    [['a'], ['b'], ['c']],
    'each write superseded the one before it: no siblings',
  );
  t.same(
    objs.map((o) => Object.values(o.clock)[0]),
    [1, 2, 3],
    'one dot each, issued in submission order',
  );
  t.ok(engine.reads - readsBefore <= 1, 'at most one read of the key, for the whole batch');
  t.same((await kv.read(Buffer.from('k')))?.siblings.map((s) => s.value.toString()), ['c']);
});

t.test('a write that fails its condition fails alone; the others in its batch land', async (t) => {
  const { kv } = await setup();
  const first = await kv.write(Buffer.from('c'), req('one'));
  const stale = { ...req('stale'), ifClock: { other: 9 } };
  const outcomes = await Promise.allSettled([
    kv.write(Buffer.from('c'), stale),
    kv.write(Buffer.from('d'), req('fine')),
    kv.write(Buffer.from('c'), { ...req('two'), ifClock: first.clock }),
  ]);
  t.equal(outcomes[0].status, 'rejected');
  t.match((outcomes[0] as PromiseRejectedResult).reason, { code: 'CONFLICT' });
  t.equal(outcomes[1].status, 'fulfilled');
  t.equal(outcomes[2].status, 'fulfilled', 'the condition is checked against the state the earlier writes left');
  t.same((await kv.read(Buffer.from('c')))?.siblings.map((s) => s.value.toString()), ['two']);
});

t.test('readCached answers from memory only when nothing on the key is pending', async (t) => {
  const { engine, kv } = await setup();
  const k = Buffer.from('fast');
  const NOT = kv.readCached(Buffer.from('never-read'));
  t.equal(typeof NOT, 'symbol', 'a key memory knows nothing of is not answered at once');
  await kv.write(k, req('one'));
  const cached = kv.readCached(k);
  t.same(typeof cached === 'object' ? cached.siblings.map((s) => s.value.toString()) : cached, ['one']);
  const release = engine.holdWrites();
  const pending = kv.write(k, req('two'));
  await new Promise((r) => setImmediate(r));
  t.equal(kv.readCached(k), NOT, 'a write on its way: the caller takes the slow path, which waits for it');
  const slow = kv.read(k);
  release();
  await pending;
  t.same((await slow)?.siblings.map((s) => s.value.toString()), ['two']);
  await kv.read(Buffer.from('absent'));
  t.equal(kv.readCached(Buffer.from('absent')), undefined, 'a key read as absent is known absent');
});

t.test('a read waits only for the writes submitted before it, not for a stream of later ones', async (t) => {
  const { engine, kv } = await setup();
  const k = Buffer.from('hot');
  await kv.write(k, req('v0'));
  const release = engine.holdWrites();
  const w1 = kv.write(k, req('v1'));
  const read = kv.read(k);
  const w2 = kv.write(k, req('v2'));
  release();
  await w1;
  const seen = (await read)?.siblings.map((s) => s.value.toString());
  t.ok(seen?.[0] === 'v1' || seen?.[0] === 'v2', `the read saw a durable value at or after v1 (${seen})`);
  await w2;
});

t.test('update decides on the latest state and its result reaches the caller; a throw fails only it', async (t) => {
  const { kv } = await setup();
  const k = Buffer.from('n');
  const incr = () =>
    kv.update(k, (cur) => {
      const n = Number(cur?.siblings[0]?.value.toString() ?? '0') + 1;
      return { write: { value: Buffer.from(String(n)), tombstone: false, expireAt: 0 }, result: n };
    });
  const results = await Promise.all([incr(), incr(), incr()]);
  t.same(results, [1, 2, 3], 'three increments in one batch each saw the one before');
  await t.rejects(
    kv.update(k, () => {
      throw new Error('bad decision');
    }),
    /bad decision/,
  );
  t.equal(await kv.update(k, (cur) => ({ write: null, result: cur?.siblings[0]?.value.toString() })), '3', 'a keep decision writes nothing');
});
