import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { hintKey, parseHintKey, decodeHintValue, encodeHintValue, HINT_PREFIX } from '../../src/handoff/hint-layout.js';
import { HintStore, type HintStoreOptions } from '../../src/handoff/hint-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore } from '../../src/storage/record-store.js';
import { RocksDbEngine } from '../../src/storage/rocksdb-engine.js';
import { applyWrite } from '../../src/versioning/object.js';

const micro = (run: () => void): void => queueMicrotask(run);
const b = (s: string): Buffer => Buffer.from(s);

async function memoryStore(opts: Partial<HintStoreOptions> = {}) {
  const engine = new MemoryEngine();
  await engine.open();
  const store = await HintStore.open({ engine, sync: false, schedule: micro, ...opts });
  return { engine, store };
}

t.test('hint keys and values round-trip; malformed ones are refused', async (t) => {
  const k = hintKey('node-a', 42, 1234);
  t.same(parseHintKey(k), { target: 'node-a', seq: 42, size: 1234 });
  t.equal(k[0], HINT_PREFIX);
  const v = decodeHintValue(encodeHintValue(7, b('key'), b('obj')));
  t.same([v.epoch, v.key.toString(), v.obj.toString()], [7, 'key', 'obj']);
  t.throws(() => parseHintKey(b('d123')), /malformed hint/);
  t.throws(() => parseHintKey(Buffer.concat([k, b('x')])), /malformed hint/);
  t.throws(() => decodeHintValue(b('short')), /malformed hint/);
  const bad = Buffer.alloc(12);
  bad.writeUInt32BE(99, 8);
  t.throws(() => decodeHintValue(bad), /malformed hint/);
  t.throws(() => hintKey('', 1, 1), /hint target/);
});

t.test('hints come back per target, oldest first, and are removed oldest first', async (t) => {
  const { store } = await memoryStore();
  await Promise.all([store.add('n1', b('a'), b('A'), 0), store.add('n2', b('b'), b('B'), 3), store.add('n1', b('c'), b('C'), 1)]);
  t.same(store.targets(), ['n1', 'n2']);
  const n1 = await store.peek('n1', 10);
  t.same(
    n1.map((h) => [h.key.toString(), h.obj.toString(), h.epoch]),
    [
      ['a', 'A', 0],
      ['c', 'C', 1],
    ],
  );
  t.same(await store.peek('nobody', 10), []);
  t.equal((await store.peek('n1', 10, 1)).length, 1, 'a byte budget still returns one hint');
  t.same(store.pendingOf('n1'), { count: 2, bytes: n1[0]!.size + n1[1]!.size });
  t.same(store.pendingOf('zz'), { count: 0, bytes: 0 });
  await t.rejects(store.remove('n1', [n1[1]!]), /oldest first/, 'skipping the oldest is refused');
  await store.remove('n1', [n1[0]!]);
  await store.remove('n1', []);
  t.same((await store.peek('n1', 10)).map((h) => h.key.toString()), ['c']);
  // A removal naming a hint already gone is skipped.
  await store.remove('n1', n1);
  t.same(store.targets(), ['n2']);
  const [hb] = await store.peek('n2', 10);
  await store.remove('n2', [hb!], false);
  t.same(store.stats(), {
    n1: { pending: 0, bytes: 0, delivered: 2, dropped: 0 },
    n2: { pending: 0, bytes: 0, delivered: 0, dropped: 1 },
  });
  await t.rejects(store.add('', b('x'), b('X'), 0), /hint target/);
  await store.close();
  await t.rejects(store.add('n1', b('x'), b('X'), 0), /closed/);
});

t.test('a target past its count bound loses its oldest hints, counted, and onOverflow fires', async (t) => {
  const overflows: Array<[string, number]> = [];
  const { store } = await memoryStore({ maxHintsPerTarget: 3, onOverflow: (target, n) => overflows.push([target, n]) });
  for (const k of ['k1', 'k2', 'k3']) await store.add('n1', b(k), b('v'), 0);
  await store.add('n1', b('k4'), b('v'), 0);
  t.same((await store.peek('n1', 10)).map((h) => h.key.toString()), ['k2', 'k3', 'k4']);
  // Five at once into a full target: every stored one goes, then the oldest of the batch.
  await Promise.all(['k5', 'k6', 'k7', 'k8', 'k9'].map((k) => store.add('n1', b(k), b('v'), 0)));
  t.same((await store.peek('n1', 10)).map((h) => h.key.toString()), ['k7', 'k8', 'k9']);
  t.same(overflows, [
    ['n1', 1],
    ['n1', 5],
  ]);
  t.same(store.stats().n1, { pending: 3, bytes: 3 * (await store.peek('n1', 1))[0]!.size, delivered: 0, dropped: 6 });
  await store.add('n2', b('other'), b('v'), 0);
  t.equal(store.pendingOf('n2').count, 1, 'other targets are not touched');
});

t.test('a target past its byte bound loses its oldest hints; a hint larger than the bound is refused', async (t) => {
  const { store } = await memoryStore({ maxBytesPerTarget: 100 });
  const value = Buffer.alloc(30, 1);
  for (let i = 0; i < 3; i++) await store.add('n1', b(`k${i}`), value, 0);
  const size = (await store.peek('n1', 1))[0]!.size;
  t.equal(size, 12 + 2 + 30 + 2);
  t.equal(store.pendingOf('n1').count, 2, 'two of 46 bytes fit in 100');
  t.same((await store.peek('n1', 10)).map((h) => h.key.toString()), ['k1', 'k2']);
  await t.rejects(store.add('n1', b('big'), Buffer.alloc(200), 0), /exceeds the per-target bound/);
  t.throws(() => new (HintStore as unknown as new (o: HintStoreOptions) => HintStore)({ engine: new MemoryEngine(), sync: false, maxHintsPerTarget: 0 }), /at least 1/);
});

t.test('a failed write changes no counts and fails its callers', async (t) => {
  const { engine, store } = await memoryStore();
  await store.add('n1', b('a'), b('A'), 0);
  engine.failNextWrites(1);
  await t.rejects(store.add('n1', b('b'), b('B'), 0));
  t.same(store.pendingOf('n1').count, 1);
  const [h] = await store.peek('n1', 1);
  engine.failNextWrites(1);
  await t.rejects(store.remove('n1', [h!]));
  t.same(store.stats().n1, { pending: 1, bytes: h!.size, delivered: 0, dropped: 0 });
});

t.test('hints live beside the records without being seen by them, and survive FLUSHALL of the records', async (t) => {
  const engine = new MemoryEngine();
  await engine.open();
  const records = await openRecordStore(engine, { sync: false, clock: new ManualClock(), schedule: micro });
  const hints = await HintStore.open({ engine, sync: false, schedule: micro });
  const obj = applyWrite(undefined, {}, 'n0', { value: b('v'), tombstone: false, expireAt: 0, ts: 1 });
  await records.put(b('k'), obj);
  await hints.add('n1', b('h'), b('H'), 0);
  t.equal(records.stats().keys, 1);
  t.equal((await records.scan({ limit: 10 })).entries.length, 1);
  await records.clear();
  t.equal(hints.pendingOf('n1').count, 1);
  t.equal((await hints.peek('n1', 1))[0]!.key.toString(), 'h');
  await hints.close();
  await records.close();
});

t.test('hints survive a restart on RocksDB: order, counts and bytes are rebuilt', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'qkv-hints-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const open = async () => {
    const engine = new RocksDbEngine({ location: dir, cacheSize: 8 * 1024 * 1024, writeBufferSize: 4 * 1024 * 1024 });
    await engine.open();
    return { engine, store: await HintStore.open({ engine, sync: true, maxHintsPerTarget: 500 }) };
  };
  let { engine, store } = await open();
  const writes: Array<Promise<void>> = [];
  for (let i = 0; i < 600; i++) writes.push(store.add(i % 2 === 0 ? 'node-a' : 'node-b', b(`k${i}`), b(`v${i}`), 1));
  await Promise.all(writes);
  const [first] = await store.peek('node-a', 1);
  await store.remove('node-a', [first!]);
  const before = store.stats();
  await store.close();
  await engine.close();

  ({ engine, store } = await open());
  t.teardown(() => engine.close());
  const after = store.stats();
  t.same(
    Object.fromEntries(Object.entries(after).map(([k, v]) => [k, [v.pending, v.bytes]])),
    Object.fromEntries(Object.entries(before).map(([k, v]) => [k, [v.pending, v.bytes]])),
  );
  t.equal(after['node-a']!.pending, 299);
  const a = await store.peek('node-a', 1000);
  t.same(a.slice(0, 2).map((h) => h.key.toString()), ['k2', 'k4'], 'oldest first after the restart');
  t.ok(a.every((h, i) => i === 0 || h.seq === a[i - 1]!.seq + 1), 'sequence numbers stay contiguous');
  await store.add('node-a', b('new'), b('v'), 1);
  const again = await store.peek('node-a', 1000);
  t.equal(again.at(-1)!.key.toString(), 'new', 'new hints go after the old ones');
  await store.close();
});
