import { QkvError } from '../../src/core/errors.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { tick } from './instrumented-engine.js';
import { key, obj, sibling, tombstone, valueOf, type WithStore } from './store-env.js';

/** Record store cases: reads, writes, group commit, the cache, failures. */
export function writesCases(withStore: WithStore): void {
  withStore('put, get, getMany and remove', async (t, env) => {
    const store = await env.open();
    t.equal(await store.get(key('a')), undefined);
    await store.put(key('a'), obj('1'));
    await store.put(key(''), obj('empty key'));
    t.same(valueOf(await store.get(key('a'))), ['1']);
    t.same(valueOf(await store.get(key(''))), ['empty key'], 'the empty key is a key');
    t.same((await store.getMany([key('a'), key('zz'), key('')])).map(valueOf), [['1'], undefined, ['empty key']]);
    await store.remove(key('a'));
    t.equal(await store.get(key('a')), undefined);
    await store.remove(key('never'));
    t.equal(store.stats().keys, 1);
  });

  withStore('1000 concurrent puts go to the engine as one batch', async (t, env) => {
    const store = await env.open();
    const before = env.engine.writes;
    await Promise.all(Array.from({ length: 1000 }, (_, i) => store.put(key(`k${i}`), obj(`v${i}`))));
    t.equal(env.engine.writes - before, 1, 'one engine batch');
    const stats = store.stats();
    t.equal(stats.batches, 1);
    t.equal(stats.batchedWrites, 1000);
    t.equal(stats.keys, 1000);
    t.equal(stats.pendingWrites, 0);
    t.same(valueOf(await store.get(key('k999'))), ['v999']);
  });

  withStore('writes arriving while a batch is in flight form the next batch together', async (t, env) => {
    const store = await env.open();
    const release = env.engine.holdWrites();
    const first = store.put(key('first'), obj('1'));
    await tick();
    t.equal(store.stats().inFlightWrites, 1, 'the first write is in flight');
    const rest = Array.from({ length: 300 }, (_, i) => store.put(key(`k${i}`), obj('x')));
    await tick();
    t.equal(store.stats().queuedWrites, 300, 'the others wait for the next batch');
    const writesBefore = env.engine.writes;
    release();
    await Promise.all([first, ...rest]);
    t.equal(env.engine.writes - writesBefore, 2, 'two engine batches in all');
    t.equal(store.stats().batches, 2);
  });

  withStore('a write is readable at once, before its batch lands', async (t, env) => {
    const store = await env.open();
    await store.put(key('k'), obj('old'));
    const release = env.engine.holdWrites();
    const landed = store.put(key('k'), obj('new'));
    const added = store.put(key('added'), obj('a'));
    t.same(valueOf(await store.get(key('k'))), ['new'], 'read-your-writes');
    t.same((await store.getMany([key('added'), key('k')])).map(valueOf), [['a'], ['new']]);
    const removed = store.remove(key('k'));
    t.equal(await store.get(key('k')), undefined, 'a removal is visible at once too');
    t.same(await store.getMany([key('k'), key('added')]).then((r) => r.map(valueOf)), [undefined, ['a']]);
    t.equal(store.stats().unsyncedKeys, 2);
    t.equal(store.stats().keys, 1, 'the count moves when batches land');
    release();
    await Promise.all([landed, added, removed]);
    t.equal(store.stats().unsyncedKeys, 0);
    t.equal(store.stats().keys, 1);
    const again = await env.restart();
    t.equal(await again.get(key('k')), undefined);
    t.same(valueOf(await again.get(key('added'))), ['a']);
  });

  withStore('a failed batch rejects its writes, drops them from memory, and the store goes on', async (t, env) => {
    const store = await env.open();
    await store.put(key('k'), obj('durable'));
    env.engine.failNextWrites(1);
    const failing = [store.put(key('k'), obj('lost')), store.put(key('new'), obj('lost too')), store.remove(key('other'))];
    t.same(valueOf(await store.get(key('k'))), ['lost'], 'visible while pending');
    for (const p of failing) await t.rejects(p, { code: 'IOERR', message: /No space left on device/ });
    const stats = store.stats();
    t.equal(stats.writeErrors, 3);
    t.equal(stats.unsyncedKeys, 0);
    t.equal(stats.keys, 1, 'the count is unchanged');
    const reads = env.engine.reads;
    t.same(valueOf(await store.get(key('k'))), ['durable'], 'the stored record is what reads see again');
    t.ok(env.engine.reads > reads, 'read from the engine: the failed value left the cache');
    t.equal(await store.get(key('new')), undefined);
    await store.put(key('new'), obj('second try'));
    t.same(valueOf(await store.get(key('new'))), ['second try']);
    t.equal(store.stats().keys, 2);
  });

  withStore('a write queued behind a failed batch still counts and indexes from what is stored', async (t, env) => {
    const store = await env.open();
    await store.put(key('k'), obj('v', env.clock.now() + 1000));
    const release = env.engine.holdWrites();
    env.engine.failNextWrites(1);
    const failed = store.put(key('k'), obj('v2', env.clock.now() + 5000));
    await tick();
    const next = store.put(key('k'), obj('v3'));
    const fresh = store.put(key('fresh'), obj('f'));
    release();
    await t.rejects(failed);
    await Promise.all([next, fresh]);
    t.equal(store.stats().keys, 2);
    t.same(await env.expiryIndex(), [], 'the first expiry entry is gone; the failed one never existed');
    const again = await env.restart();
    t.equal(again.stats().keys, 2, 'the stored count agrees');
  });

  withStore('hot reads are served from the cache; concurrent misses share one engine read', async (t, env) => {
    let store = await env.open();
    await store.put(key('hot'), obj('h'));
    const reads = env.engine.reads;
    for (let i = 0; i < 100; i++) await store.get(key('hot'));
    t.equal(env.engine.reads, reads, 'no engine reads for a cached record');
    t.ok(store.stats().cacheHits >= 100);
    store = await env.restart();
    const before = env.engine.reads;
    const all = await Promise.all(Array.from({ length: 20 }, () => store.get(key('hot'))));
    t.ok(all.every((o) => valueOf(o)?.[0] === 'h'));
    t.equal(env.engine.reads - before, 1, 'one engine read for twenty concurrent misses');
    await store.get(key('hot'));
    t.equal(env.engine.reads - before, 1, 'then cached');
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.put(key(`other${i}`), obj(`${i}`))));
    store = await env.restart();
    const start = env.engine.reads;
    const others = await Promise.all(Array.from({ length: 10 }, (_, i) => store.get(key(`other${i}`))));
    t.same(others.map((o) => valueOf(o)?.[0]), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    t.equal(env.engine.reads - start, 1, 'misses of different keys in one turn: one engine call');
    t.equal(env.engine.readCalls.at(-1), 10);
    t.equal(await store.get(key('absent')), undefined);
    const afterAbsent = env.engine.reads;
    t.equal(await store.get(key('absent')), undefined);
    t.equal(env.engine.reads, afterAbsent, 'absence is cached too');
  });

  withStore('the cache is bounded by bytes and evicts the least recently used', async (t, env) => {
    const store = await env.open({ cacheBytes: 20_000 });
    const big = 'x'.repeat(1000);
    for (let i = 0; i < 100; i++) await store.put(key(`k${i}`), obj(big));
    t.ok(store.stats().cacheBytes <= 20_000, `cache holds ${store.stats().cacheBytes} bytes`);
    t.ok(store.stats().cacheEntries < 20);
    let reads = env.engine.reads;
    await store.get(key('k99'));
    t.equal(env.engine.reads, reads, 'a recent record is cached');
    await store.get(key('k0'));
    t.equal(env.engine.reads, reads + 1, 'an old one was evicted');
    reads = env.engine.reads;
    await store.get(key('k0'));
    t.equal(env.engine.reads, reads, 'and is cached again after the read');
  });

  withStore('cacheBytes 0 keeps nothing cached but still reads its own writes', async (t, env) => {
    const store = await env.open({ cacheBytes: 0 });
    const release = env.engine.holdWrites();
    const p = store.put(key('k'), obj('v'));
    t.same(valueOf(await store.get(key('k'))), ['v']);
    release();
    await p;
    const reads = env.engine.reads;
    t.same(valueOf(await store.get(key('k'))), ['v']);
    t.equal(env.engine.reads, reads + 1);
    t.equal(store.stats().cacheBytes, 0);
  });

  withStore('a read that races a write does not cache the older record', async (t, env) => {
    let store = await env.open();
    await store.put(key('k'), obj('old'));
    store = await env.restart();
    const reading = store.get(key('k'));
    await store.put(key('k'), obj('new'));
    await reading;
    t.same(valueOf(await store.get(key('k'))), ['new']);
  });

  withStore('batches never exceed the bound; writes beyond it wait their turn, in order', async (t, env) => {
    const store = await env.open({ maxBatchWrites: 100, maxBatchBytes: 1 << 30 });
    const release = env.engine.holdWrites();
    const puts = Array.from({ length: 350 }, (_, i) => store.put(key(`k${i % 120}`), obj(`${i}`)));
    await tick();
    t.equal(store.stats().inFlightWrites, 100);
    t.equal(store.stats().queuedWrites, 250, 'the rest wait');
    t.equal(store.stats().pendingWrites, 350);
    release();
    await Promise.all(puts);
    t.same(env.engine.batchSizes.slice(-4), [103, 103, 100, 50], 'engine batches stay bounded (records, plus the three counts when they change)');
    t.equal(store.stats().batches, 4);
    t.same(valueOf(await store.get(key('k5'))), ['245'], 'the last write to a key wins');
    const again = await env.restart();
    t.same(valueOf(await again.get(key('k5'))), ['245']);
    t.equal(again.stats().keys, 120);
  });

  withStore('expiring keys: live records with an expiry, kept across restarts and counted again when missing', async (t, env) => {
    const future = Date.now() + 3_600_000;
    const store = await env.open();
    const a = obj('1', future);
    await store.put(key('a'), a);
    await store.put(key('b'), obj('2'));
    const c = obj('3', future);
    await store.put(key('c'), c);
    t.equal(store.stats().expiringKeys, 2, 'a and c have an expiry');
    await store.put(key('a'), obj('1', 0, a));
    t.equal(store.stats().expiringKeys, 1, 'PERSIST of a');
    await store.put(key('c'), tombstone(c));
    t.equal(store.stats().expiringKeys, 0, 'a deleted key does not count');
    await store.put(key('b'), sibling(obj('2'), 'x', future));
    t.equal(store.stats().expiringKeys, 0, 'a record with a sibling that never expires does not expire');
    await store.put(key('b'), sibling(obj('2', future), 'x', future));
    t.equal(store.stats().expiringKeys, 1, 'one whose siblings all expire does');
    const again = await env.restart();
    t.equal(again.stats().expiringKeys, 1, 'the count is stored with the records');
    const { metaKey } = await import('../../src/storage/key-layout.js');
    const { EXPIRES_META } = await import('../../src/storage/key-count.js');
    await env.engine.write([{ type: 'del', key: metaKey(EXPIRES_META) }], false);
    const recounted = await env.restart();
    t.same([recounted.stats().liveKeys, recounted.stats().expiringKeys], [2, 1], 'a store without the count (an older one) is counted again');
    await recounted.clear();
    t.equal(recounted.stats().expiringKeys, 0);
  });

  withStore('live keys: records with a sibling that is not a tombstone, kept across restarts', async (t, env) => {
    const store = await env.open();
    await store.put(key('a'), obj('1'));
    const b = obj('2');
    await store.put(key('b'), b);
    await store.put(key('c'), tombstone());
    t.equal(store.stats().keys, 3);
    t.equal(store.stats().liveKeys, 2, 'a tombstone is stored but does not read as present');
    await store.put(key('b'), tombstone(b));
    t.equal(store.stats().liveKeys, 1, 'deleting b');
    await store.put(key('c'), obj('3'));
    t.equal(store.stats().liveKeys, 2, 'a write over a tombstone');
    await store.put(key('d'), sibling(tombstone(), 'x'));
    t.equal(store.stats().liveKeys, 3, 'a tombstone with a concurrent value reads as present');
    await store.remove(key('a'));
    t.same([store.stats().keys, store.stats().liveKeys], [3, 2]);
    const again = await env.restart();
    t.same([again.stats().keys, again.stats().liveKeys], [3, 2], 'both counts are stored with the records');
    const { metaKey } = await import('../../src/storage/key-layout.js');
    const { LIVE_META } = await import('../../src/storage/key-count.js');
    await env.engine.write([{ type: 'del', key: metaKey(LIVE_META) }], false);
    const recounted = await env.restart();
    t.same([recounted.stats().keys, recounted.stats().liveKeys], [3, 2], 'a missing count is counted again from the records');
    await recounted.clear();
    t.same([recounted.stats().keys, recounted.stats().liveKeys], [0, 0]);
  });

  withStore('the byte bound cuts batches too', async (t, env) => {
    const store = await env.open({ maxBatchBytes: 10_000 });
    const release = env.engine.holdWrites();
    const puts = Array.from({ length: 30 }, (_, i) => store.put(key(`k${i}`), obj('x'.repeat(1000))));
    release();
    await Promise.all(puts);
    t.ok(store.stats().batches >= 3, `${store.stats().batches} batches of at most ~10KB`);
  });

  withStore('an object that cannot be encoded is refused at once', async (t, env) => {
    const store = await env.open();
    const bad: VersionedObject = { clock: {}, siblings: [{ dot: { node: 'x', counter: 1 }, value: Buffer.alloc(0), ts: 0, tombstone: false, expireAt: 0 }] };
    await t.rejects(store.put(key('k'), bad), QkvError);
    t.equal(store.stats().pendingWrites, 0);
    t.equal(await store.get(key('k')), undefined);
  });

  withStore('a corrupt stored record is reported on read and replaced by a put', async (t, env) => {
    const store = await env.open();
    const { dataKey } = await import('../../src/storage/key-layout.js');
    const { keyHashBytes } = await import('../../src/core/hash.js');
    await env.engine.write([{ type: 'put', key: dataKey(keyHashBytes(key('bad')), key('bad')), value: Buffer.from([9, 9, 9]) }], false);
    await t.rejects(store.get(key('bad')), { message: /corrupt/ });
    await t.rejects(
      store.build(key('bad'), () => obj('blind'), 5),
      { message: /corrupt/ },
      'a decided write refuses to overwrite versions it cannot read',
    );
    await store.put(key('bad'), obj('fixed'));
    t.same(valueOf(await store.get(key('bad'))), ['fixed']);
    t.equal(store.stats().keys, 0, 'the put replaced a record already there: no change to the count');
  });
}