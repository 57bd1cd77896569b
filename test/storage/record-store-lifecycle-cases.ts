import { QkvError } from '../../src/core/errors.js';
import { metaKey } from '../../src/storage/key-layout.js';
import { key, obj, valueOf, type WithStore } from './store-env.js';

/** Record store cases: scans, restarts, the key count, clear, meta, close. */
export function lifecycleCases(withStore: WithStore): void {
  withStore('scan walks the ring in order, page by page, from a cursor', async (t, env) => {
    const store = await env.open({ maxBatchWrites: 500 });
    const total = 2000;
    await Promise.all(Array.from({ length: total }, (_, i) => store.put(key(`key:${i}`), obj(`${i}`))));
    const seen: string[] = [];
    const hashes: bigint[] = [];
    let cursor: bigint | null = 0n;
    let pages = 0;
    while (cursor !== null) {
      const page = await store.scan({ from: cursor, limit: 150 });
      t.ok(page.entries.length <= 150 || page.next === null);
      for (const e of page.entries) {
        seen.push(e.key.toString());
        hashes.push(e.hash);
        if (valueOf(e.obj)?.[0] !== e.key.toString().slice(4)) t.fail(`record of ${e.key.toString()} is wrong`);
      }
      cursor = page.next;
      pages++;
    }
    t.equal(pages, Math.ceil(total / 150));
    t.equal(new Set(seen).size, total, 'every key exactly once');
    t.ok(hashes.every((h, i) => i === 0 || hashes[i - 1]! <= h), 'in ring order');
    const mid = hashes[1000]!;
    const lower = await store.scan({ to: mid, limit: total });
    t.equal(lower.entries.length, 1000, 'to is exclusive');
    t.equal(lower.next, null);
    t.same(await store.scan({ from: mid, to: mid, limit: 10 }), { entries: [], next: null });
    await t.rejects(store.scan({ from: 10n, to: 5n, limit: 10 }), QkvError);
    await t.rejects(store.scan({ limit: 0 }), QkvError);
  });

  withStore('scan never splits keys sharing one ring position across pages', async (t, env) => {
    // Seven keys per position: a forced collision.
    const collide = (k: Buffer): Buffer => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(BigInt(Math.floor(Number(k.toString().split(':')[1]) / 7)) * 1000n);
      return b;
    };
    const store = await env.open({ hash: collide });
    await Promise.all(Array.from({ length: 70 }, (_, i) => store.put(key(`k:${i}`), obj(`${i}`))));
    const pages: string[][] = [];
    let cursor: bigint | null = 0n;
    while (cursor !== null) {
      const page = await store.scan({ from: cursor, limit: 3 });
      pages.push(page.entries.map((e) => e.key.toString()));
      const last = page.entries[page.entries.length - 1]!;
      if (page.next !== null) t.ok(page.next > last.hash, 'the next page starts past the last position');
      t.equal(new Set(page.entries.map((e) => e.hash)).size, 1, 'limit 3 with 7 keys per position: one position per page');
      cursor = page.next;
    }
    t.equal(pages.length, 10);
    t.ok(pages.every((p) => p.length === 7));
    t.equal(new Set(pages.flat()).size, 70);
    t.same(valueOf(await store.get(key('k:13'))), ['13'], 'records are found by the injected hash');
  });

  withStore('scan shows writes accepted before it', async (t, env) => {
    const store = await env.open();
    const p = store.put(key('k'), obj('v'));
    const page = await store.scan({ limit: 10 });
    t.same(
      page.entries.map((e) => e.key.toString()),
      ['k'],
    );
    await p;
  });

  withStore('data, meta and the key count survive a restart', async (t, env) => {
    let store = await env.open();
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.put(key(`k${i}`), obj(`${i}`, i % 2 ? env.clock.now() + 100 : 0))));
    await store.remove(key('k0'));
    await store.putMeta('ring', Buffer.from('tokens'));
    store = await env.restart();
    t.equal(store.stats().keys, 49);
    t.same(valueOf(await store.get(key('k7'))), ['7']);
    t.equal(await store.get(key('k0')), undefined);
    t.equal((await store.getMeta('ring'))?.toString(), 'tokens');
    env.clock.advance(1000);
    t.equal(await store.sweepExpired(env.clock.now(), 100), 25, 'the expiry index survived too');
  });

  withStore('the key count follows puts and removes, and is recounted when its record is missing', async (t, env) => {
    let store = await env.open();
    const release = env.engine.holdWrites();
    const ops = [store.put(key('a'), obj('1')), store.put(key('a'), obj('2')), store.put(key('b'), obj('1')), store.remove(key('b')), store.remove(key('c'))];
    release();
    await Promise.all(ops);
    t.equal(store.stats().keys, 1, 'put twice, put-then-remove, remove of nothing');
    await Promise.all(Array.from({ length: 30 }, (_, i) => store.put(key(`n${i}`), obj('x'))));
    t.equal(store.stats().keys, 31);
    await env.engine.write([{ type: 'del', key: metaKey('store.keys') }], false);
    const progress: Array<[number, boolean]> = [];
    store = await env.restart({ onOpenProgress: (p) => progress.push([p.countedKeys, p.done]) });
    t.equal(store.stats().keys, 31, 'recounted from the data');
    t.same(progress, [[31, true]]);
    progress.length = 0;
    store = await env.restart({ onOpenProgress: (p) => progress.push([p.countedKeys, p.done]) });
    t.same(progress, [[31, true]], 'read back from the stored count');
    await env.engine.write([{ type: 'put', key: metaKey('store.keys'), value: Buffer.from('bad') }], false);
    store = await env.restart();
    t.equal(store.stats().keys, 31, 'an unreadable stored count is recounted');
  });

  withStore('clear removes every record and index entry but keeps meta and later writes', async (t, env) => {
    const store = await env.open();
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.put(key(`k${i}`), obj('v', i % 2 ? env.clock.now() + 50 : 0))));
    await store.putMeta('node-id', Buffer.from('n1'));
    const release = env.engine.holdWrites();
    const before = store.put(key('before'), obj('b'));
    const clearing = store.clear();
    const after = store.put(key('after'), obj('a'));
    release();
    await Promise.all([before, clearing, after]);
    t.equal(await store.get(key('k1')), undefined);
    t.equal(await store.get(key('before')), undefined, 'a write accepted before the clear is cleared');
    t.same(valueOf(await store.get(key('after'))), ['a'], 'a write accepted after it stays');
    t.equal(store.stats().keys, 1);
    t.same(await env.expiryIndex(), []);
    t.equal((await store.getMeta('node-id'))?.toString(), 'n1');
    const again = await env.restart();
    t.equal(again.stats().keys, 1);
    t.same(
      (await again.scan({ limit: 100 })).entries.map((e) => e.key.toString()),
      ['after'],
    );
  });

  withStore('a clear that fails part way serves nothing until it is finished, by a clear or at the next open', async (t, env) => {
    const store = await env.open();
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.put(key(`k${i}`), obj('v'))));
    env.engine.failNextDeletes(1);
    await t.rejects(store.clear({ name: 'epoch', value: Buffer.from('2') }), { code: 'IOERR' });
    await t.rejects(store.get(key('k3')), { code: 'IOERR' }, 'records from before the clear are not served');
    await t.rejects(store.scan({ limit: 100 }), { code: 'IOERR' });
    await t.rejects(store.put(key('k3'), obj('w')), { code: 'IOERR' });
    t.equal((await store.getMeta('epoch'))?.toString(), '2', 'the metadata was stored with the decision');
    let again = await env.restart();
    t.equal(again.stats().keys, 0, 'the open finished the clear');
    t.equal(await again.get(key('k3')), undefined);
    t.same((await again.scan({ limit: 100 })).entries, []);
    t.same(await env.expiryIndex(), []);
    t.equal((await again.getMeta('epoch'))?.toString(), '2');
    await again.put(key('new'), obj('v'));
    env.engine.failNextDeletes(1);
    await t.rejects(again.clear(), { code: 'IOERR' });
    await again.clear();
    t.equal(again.stats().keys, 0, 'a clear again finishes it');
    t.equal(await again.get(key('new')), undefined);
    again = await env.restart();
    t.equal(again.stats().keys, 0);
  });

  withStore('a clear whose decision was not written changes nothing on disk', async (t, env) => {
    const store = await env.open();
    await Promise.all(Array.from({ length: 5 }, (_, i) => store.put(key(`k${i}`), obj('v'))));
    await store.putMeta('epoch', Buffer.from('1'));
    env.engine.failNextWrites(1);
    await t.rejects(store.clear({ name: 'epoch', value: Buffer.from('2') }), { code: 'IOERR' });
    await t.rejects(store.get(key('k1')), { code: 'IOERR' }, 'not served meanwhile');
    const again = await env.restart();
    t.equal(again.stats().keys, 5, 'the old records');
    t.equal((await again.getMeta('epoch'))?.toString(), '1', 'with the old metadata');
  });

  withStore('meta: read-your-writes, persisted, reserved names refused', async (t, env) => {
    let store = await env.open();
    t.equal(await store.getMeta('x'), undefined);
    const release = env.engine.holdWrites();
    const p = store.putMeta('x', Buffer.from('1'));
    t.equal((await store.getMeta('x'))?.toString(), '1');
    release();
    await p;
    await t.rejects(store.putMeta('store.keys', Buffer.from('0')), QkvError);
    await t.rejects(store.putMeta('', Buffer.from('0')), QkvError);
    store = await env.restart();
    t.equal((await store.getMeta('x'))?.toString(), '1');
  });

  withStore('close lands pending writes; afterwards the store refuses work', async (t, env) => {
    const store = await env.open({ sync: true });
    const writes = Array.from({ length: 10 }, (_, i) => store.put(key(`k${i}`), obj('v')));
    await store.close();
    await Promise.all(writes);
    await t.rejects(store.put(key('late'), obj('v')), { message: /closed/ });
    await t.rejects(store.remove(key('late')), QkvError);
    await t.rejects(store.putMeta('m', Buffer.from('v')), QkvError);
    await t.rejects(store.clear(), QkvError);
    await t.rejects(store.scan({ limit: 1 }), QkvError);
    await t.rejects(store.sweepExpired(0, 1), QkvError);
    await t.rejects(store.removeIf(key('k'), () => true), QkvError);
    await store.close();
    const again = await env.open();
    t.equal(again.stats().keys, 10);
  });
}