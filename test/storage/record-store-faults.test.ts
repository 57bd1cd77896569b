import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { keyHashBytes } from '../../src/core/hash.js';
import { dataKey } from '../../src/storage/key-layout.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore } from '../../src/storage/record-store.js';
import { StorageHealthMonitor } from '../../src/storage/storage-health.js';
import { encodeObject } from '../../src/versioning/codec.js';
import { key, obj, valueOf } from './store-env.js';

/** Opens a store over a closed (or new) memory engine. */
async function open(engine = new MemoryEngine(), extra = {}) {
  await engine.open();
  const store = await openRecordStore(engine, { sync: true, clock: new ManualClock(), ...extra });
  return { engine, store };
}

t.test('a failed engine read rejects every reader waiting on it, and the next read tries again', async (t) => {
  const { engine, store } = await open();
  await store.put(key('k'), obj('v'));
  await store.close();
  const { store: again } = await open(engine);
  engine.failNextReads(1);
  const readers = [again.get(key('k')), again.get(key('k'))];
  for (const r of readers) await t.rejects(r, { code: 'IOERR' });
  t.same(valueOf(await again.get(key('k'))), ['v']);
  await again.close();
});

t.test('a failed batch write leaves a disk-full error with the callers and nothing stored', async (t) => {
  const { engine, store } = await open();
  engine.failNextWrites(1);
  await t.rejects(store.put(key('k'), obj('v')), { code: 'IOERR', message: /No space left on device/ });
  t.equal(await store.get(key('k')), undefined);
  await store.put(key('k'), obj('v2'));
  t.same(valueOf(await store.get(key('k'))), ['v2']);
  t.equal(store.stats().writeErrors, 1);
  await store.close();
});

t.test('a clear that fails and cannot recount keeps the last count it had', async (t) => {
  const { engine, store } = await open();
  await store.put(key('k'), obj('v'));
  engine.failNextWrites(1);
  engine.failNextReads(1);
  await t.rejects(store.clear(), { code: 'IOERR' });
  t.equal(store.stats().keys, 1);
  await store.close();
});

t.test('counting a large store at open reports progress', async (t) => {
  const engine = new MemoryEngine();
  await engine.open();
  const value = encodeObject(obj('v'));
  for (let start = 0; start < 120_000; start += 10_000) {
    const ops = [];
    for (let i = start; i < start + 10_000; i++) {
      const k = Buffer.from(`k${i}`);
      ops.push({ type: 'put' as const, key: dataKey(keyHashBytes(k), k), value });
    }
    await engine.write(ops, false);
  }
  await engine.close();
  const progress: Array<[number, boolean]> = [];
  const { store } = await open(engine, { onOpenProgress: (p: { countedKeys: number; done: boolean }) => progress.push([p.countedKeys, p.done]) });
  t.same(progress, [
    [100_000, false],
    [120_000, true],
  ]);
  t.equal(store.stats().keys, 120_000);
  t.same(valueOf(await store.get(key('k119999'))), ['v']);
  await store.close();
});

t.test('a failed batch marks the store unhealthy until a batch lands again', async (t) => {
  const { engine, store } = await open();
  t.equal(store.health.problem(), null);
  engine.failNextWrites(1);
  await t.rejects(store.put(key('k'), obj('v')), { code: 'IOERR' });
  t.match(store.health.problem(), /^storage write failed: .*No space left on device/);
  t.ok(store.health.needsProbe, 'nothing is in flight that would show the disk is back');
  await store.probe();
  t.equal(store.health.problem(), null);
  await store.close();
});

t.test('a batch in flight past the stall threshold marks the store unhealthy while it stays there', async (t) => {
  const clock = new ManualClock();
  const { engine, store } = await open(new MemoryEngine(), { clock, stallMs: 500 });
  const release = engine.holdWrites();
  const put = store.put(key('k'), obj('v'));
  await new Promise((r) => setImmediate(r));
  clock.advance(499);
  t.equal(store.health.problem(), null, 'not yet');
  clock.advance(1);
  t.equal(store.health.problem(), 'storage stalled: a batch write has not completed in 500 ms');
  t.notOk(store.health.needsProbe, 'the stalled batch itself will tell');
  release();
  await put;
  t.equal(store.health.problem(), null);
  await store.close();
});

t.test('the monitor reports changes once and probes a failed disk until it takes writes again', async (t) => {
  const clock = new ManualClock();
  const { engine, store } = await open(new MemoryEngine(), { clock });
  const seen: Array<string | null> = [];
  const monitor = new StorageHealthMonitor(store.health, () => store.probe(), clock, (p) => seen.push(p), 100);
  monitor.start();
  t.teardown(() => monitor.stop());
  engine.failNextWrites(3);
  await t.rejects(store.put(key('k'), obj('v')));
  // Two probes fail, the third lands.
  for (let i = 0; i < 6; i++) {
    clock.advance(100);
    for (let j = 0; j < 5; j++) await new Promise((r) => setImmediate(r));
  }
  t.equal(store.health.problem(), null);
  t.equal(seen.length, 2, 'one report when it failed, one when it healed');
  t.match(seen[0], /^storage write failed/);
  t.equal(seen[1], null);
  await store.close();
});
