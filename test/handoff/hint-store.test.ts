import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { hintKey, parseHintKey, decodeHintValue, encodeHintValue, HINT_PREFIX } from '../../src/handoff/hint-layout.js';
import { HintRefused, isHintRefusal } from '../../src/handoff/hint-refusal.js';
import { HintStore, type HintStoreOptions } from '../../src/handoff/hint-store.js';
import { HINT_DEFAULTS } from '../../src/config/cluster-options.js';
import { ManualClock } from '../../src/core/clock.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore } from '../../src/storage/record-store.js';
import { RocksDbEngine } from '../../src/storage/rocksdb-engine.js';
import { applyWrite } from '../../src/versioning/object.js';

const micro = (run: () => void): void => queueMicrotask(run);
const b = (s: string): Buffer => Buffer.from(s);

/** The node's bounds unless a test sets its own. */
const BOUNDS = { maxHintsPerTarget: HINT_DEFAULTS.maxPerTarget, maxBytesPerTarget: HINT_DEFAULTS.maxBytesPerTarget };

async function memoryStore(opts: Partial<HintStoreOptions> = {}) {
  const engine = new MemoryEngine();
  await engine.open();
  const store = await HintStore.open({ engine, sync: false, schedule: micro, ...BOUNDS, ...opts });
  return { engine, store };
}

/** How an add ended: 'stored', or the refusal's code and typed reason. */
function outcome(p: Promise<void>): Promise<string> {
  return p.then(
    () => 'stored',
    (e: { code?: string; refusal?: string; message?: string }) => (e.refusal ? `${e.code} ${e.refusal}` : `${e.code} ${e.message}`),
  );
}

async function keysOf(store: HintStore, target: string): Promise<string[]> {
  return (await store.peek(target, 1_000_000)).map((h) => h.key.toString());
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
    n1: { pending: 0, bytes: 0, delivered: 2, dropped: 0, refused: 0 },
    n2: { pending: 0, bytes: 0, delivered: 0, dropped: 1, refused: 0 },
  });
  await t.rejects(store.add('', b('x'), b('X'), 0), /hint target/);
  await store.close();
  await t.rejects(store.add('n1', b('x'), b('X'), 0), { code: 'HINTREFUSED', refusal: 'closed' });
});

t.test('a target at its count bound refuses new hints with a typed reason and keeps every one it acknowledged', async (t) => {
  const refusals: Array<[string, string, number]> = [];
  const { store } = await memoryStore({ maxHintsPerTarget: 3, onRefused: (target, reason, n) => refusals.push([target, reason, n]) });
  for (const k of ['k1', 'k2', 'k3']) t.equal(await outcome(store.add('n1', b(k), b('v'), 0)), 'stored');
  const refused = await store.add('n1', b('k4'), b('v'), 0).catch((e: unknown) => e);
  t.ok(refused instanceof HintRefused, 'a HintRefused');
  t.equal((refused as HintRefused).code, 'HINTREFUSED');
  t.equal((refused as HintRefused).refusal, 'count_bound');
  t.ok(isHintRefusal(refused));
  t.same(await keysOf(store, 'n1'), ['k1', 'k2', 'k3'], 'the acknowledged hints are all kept');
  t.same(refusals, [['n1', 'count_bound', 1]]);
  // Delivery makes room again.
  await store.remove('n1', (await store.peek('n1', 1)).slice(0, 1));
  t.equal(await outcome(store.add('n1', b('k5'), b('v'), 0)), 'stored');
  t.same(await keysOf(store, 'n1'), ['k2', 'k3', 'k5']);
  t.same(store.stats().n1, { pending: 3, bytes: 3 * (await store.peek('n1', 1))[0]!.size, delivered: 1, dropped: 0, refused: 1 });
  t.equal(await outcome(store.add('n2', b('other'), b('v'), 0)), 'stored', 'other targets have their own bound');
});

t.test('a batch whose adds do not all fit resolves only those it stored; the others are refused', async (t) => {
  const refusals: Array<[string, string, number]> = [];
  const stored: number[] = [];
  const { store } = await memoryStore({
    maxHintsPerTarget: 3,
    onRefused: (target, reason, n) => refusals.push([target, reason, n]),
    onStored: (n) => stored.push(n),
  });
  await store.add('n1', b('k0'), b('v'), 0);
  // Five adds in one batch into a target with room for two.
  const outcomes = await Promise.all(['k1', 'k2', 'k3', 'k4', 'k5'].map((k) => outcome(store.add('n1', b(k), b('v'), 0))));
  t.same(outcomes, ['stored', 'stored', 'HINTREFUSED count_bound', 'HINTREFUSED count_bound', 'HINTREFUSED count_bound']);
  t.same(await keysOf(store, 'n1'), ['k0', 'k1', 'k2'], 'exactly the hints reported stored are stored');
  t.same(refusals, [['n1', 'count_bound', 3]], 'one report per batch and reason');
  t.same(stored, [1, 2]);
  t.equal(store.stats().n1!.refused, 3);
  // A removal in the same batch makes room for the adds after it.
  const [oldest] = await store.peek('n1', 1);
  const [removed, added] = await Promise.all([store.remove('n1', [oldest!]).then(() => 'removed'), outcome(store.add('n1', b('k6'), b('v'), 0))]);
  t.same([removed, added], ['removed', 'stored']);
  t.same(await keysOf(store, 'n1'), ['k1', 'k2', 'k6']);
});

t.test('a target at its byte bound refuses; so is a hint larger than the bound, and adds to a closed store', async (t) => {
  const reasons: string[] = [];
  const { store } = await memoryStore({ maxBytesPerTarget: 100, onRefused: (_target, reason) => reasons.push(reason) });
  const value = Buffer.alloc(30, 1);
  const outcomes: string[] = [];
  for (let i = 0; i < 3; i++) outcomes.push(await outcome(store.add('n1', b(`k${i}`), value, 0)));
  const size = (await store.peek('n1', 1))[0]!.size;
  t.equal(size, 12 + 2 + 30 + 2);
  t.same(outcomes, ['stored', 'stored', 'HINTREFUSED byte_bound'], 'two of 46 bytes fit in 100');
  t.same(await keysOf(store, 'n1'), ['k0', 'k1']);
  t.equal(await outcome(store.add('n2', b('big'), Buffer.alloc(200), 0)), 'HINTREFUSED byte_bound');
  t.equal(await outcome(store.add('n3', b('k'), b('v'), 0)), 'stored', 'a small hint for another target still fits');
  t.same(reasons, ['byte_bound', 'byte_bound']);
  t.throws(
    () => new (HintStore as unknown as new (o: HintStoreOptions) => HintStore)({ engine: new MemoryEngine(), sync: false, maxHintsPerTarget: 0, maxBytesPerTarget: 1 }),
    /at least 1/,
  );
  await store.close();
  t.equal(await outcome(store.add('n1', b('late'), b('v'), 0)), 'HINTREFUSED closed');
  t.same(reasons.at(-1), 'closed');
});

t.test('a failed write refuses its adds (storage_error), fails its removals and changes no counts', async (t) => {
  const reasons: string[] = [];
  const { engine, store } = await memoryStore({ onRefused: (_target, reason, n) => reasons.push(`${reason} ${n}`) });
  await store.add('n1', b('a'), b('A'), 0);
  engine.failNextWrites(1);
  t.same(await Promise.all([outcome(store.add('n1', b('b'), b('B'), 0)), outcome(store.add('n1', b('c'), b('C'), 0))]), [
    'HINTREFUSED storage_error',
    'HINTREFUSED storage_error',
  ]);
  t.same(reasons, ['storage_error 2']);
  t.same(store.pendingOf('n1').count, 1);
  const [h] = await store.peek('n1', 1);
  engine.failNextWrites(1);
  await t.rejects(store.remove('n1', [h!]));
  t.same(store.stats().n1, { pending: 1, bytes: h!.size, delivered: 0, dropped: 0, refused: 2 });
});

t.test('hints live beside the records without being seen by them, and survive FLUSHALL of the records', async (t) => {
  const engine = new MemoryEngine();
  await engine.open();
  const records = await openRecordStore(engine, { sync: false, clock: new ManualClock(), schedule: micro });
  const hints = await HintStore.open({ engine, sync: false, schedule: micro, ...BOUNDS });
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
    return { engine, store: await HintStore.open({ engine, sync: true, maxHintsPerTarget: 500, maxBytesPerTarget: HINT_DEFAULTS.maxBytesPerTarget }) };
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

t.test('at its bound on RocksDB a store refuses, and every hint it acknowledged is durable and kept across a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'qkv-hint-bound-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const bounds = { maxHintsPerTarget: 40, maxBytesPerTarget: 4096 };
  const open = async () => {
    const engine = new RocksDbEngine({ location: dir, cacheSize: 8 * 1024 * 1024, writeBufferSize: 4 * 1024 * 1024 });
    await engine.open();
    return { engine, store: await HintStore.open({ engine, sync: true, ...bounds }) };
  };
  let { engine, store } = await open();
  // Several batches of concurrent adds, well past the bound: some acknowledged, the rest refused.
  const acked: string[] = [];
  const refusedFor: Record<string, number> = {};
  for (let round = 0; round < 4; round++) {
    const keys = Array.from({ length: 25 }, (_, i) => `k${round * 25 + i}`);
    const outcomes = await Promise.all(keys.map((k) => outcome(store.add('node-a', b(k), b(`v-${k}`), 1))));
    outcomes.forEach((o, i) => {
      if (o === 'stored') acked.push(keys[i]!);
      else refusedFor[o] = (refusedFor[o] ?? 0) + 1;
    });
  }
  t.equal(acked.length, 40, 'the bound is filled');
  t.same(refusedFor, { 'HINTREFUSED count_bound': 60 }, 'everything past it is refused, with its reason');
  t.same(await keysOf(store, 'node-a'), acked, 'every acknowledged hint is kept, in order');
  await store.close();
  await engine.close();

  ({ engine, store } = await open());
  t.teardown(() => engine.close());
  t.same(await keysOf(store, 'node-a'), acked, 'and durable: all there after a restart');
  t.equal(await outcome(store.add('node-a', b('after'), b('v'), 1)), 'HINTREFUSED count_bound', 'the bound holds after the restart');
  t.same(await keysOf(store, 'node-a'), acked);
  // Large values reach the byte bound first.
  const big = Buffer.alloc(300, 7);
  const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => outcome(store.add('node-b', b(`b${i}`), big, 1))));
  const ackedB = outcomes.flatMap((o, i) => (o === 'stored' ? [`b${i}`] : []));
  t.equal(ackedB.length, Math.floor(4096 / (12 + 2 + 300 + 2)), 'as many as fit in the bytes');
  t.ok(outcomes.every((o) => o === 'stored' || o === 'HINTREFUSED byte_bound'), 'the rest refused for bytes');
  t.same(await keysOf(store, 'node-b'), ackedB);
  await store.close();
});
