import tap from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { QkvError } from '../../src/core/errors.js';
import type { Engine } from '../../src/storage/engine.js';
import { EXPIRY_PREFIX, metaKey, parseExpiryKey, prefixRange } from '../../src/storage/key-layout.js';
import { openRecordStore, type RecordStore, type RecordStoreOptions } from '../../src/storage/record-store.js';
import { applyWrite } from '../../src/versioning/object.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import type { Tap } from './engine-conformance.js';
import { InstrumentedEngine, tick } from './instrumented-engine.js';

/** Where a store's data lives: hands out unopened engines over the same data. */
export interface DataPlace {
  newEngine(): Engine;
  dispose(): Promise<void>;
}

export class StoreEnv {
  engine!: InstrumentedEngine;
  store!: RecordStore;
  readonly clock = new ManualClock();

  constructor(private readonly place: DataPlace) {}

  async open(opts: Partial<RecordStoreOptions> = {}): Promise<RecordStore> {
    this.engine = new InstrumentedEngine(this.place.newEngine());
    await this.engine.open();
    this.store = await openRecordStore(this.engine, { sync: false, clock: this.clock, ...opts });
    return this.store;
  }

  /** Closes the store (and its engine) and opens a new one over the same data. */
  async restart(opts: Partial<RecordStoreOptions> = {}): Promise<RecordStore> {
    await this.store.close();
    return this.open(opts);
  }

  /** The expiry index as stored: [expireAt, key] pairs. */
  async expiryIndex(): Promise<Array<[number, string]>> {
    const out: Array<[number, string]> = [];
    for await (const [k] of this.engine.iterate(prefixRange(EXPIRY_PREFIX))) {
      const e = parseExpiryKey(k);
      out.push([e.expireAt, e.key.toString()]);
    }
    return out;
  }
}

export const key = (k: string): Buffer => Buffer.from(k);

/** Waits (a turn at a time) until cond holds. */
export async function until(cond: () => boolean, turns = 1000): Promise<void> {
  for (let i = 0; i < turns && !cond(); i++) await tick();
  if (!cond()) throw new Error('condition never held');
}

let writerCounter = 0;
/** An object with one sibling, as a coordinator would write it. */
export function obj(value: string, expireAt = 0, base?: VersionedObject, node = 'n1'): VersionedObject {
  return applyWrite(base, base?.clock ?? {}, node, { value: Buffer.from(value), tombstone: false, expireAt, ts: ++writerCounter });
}

export function tombstone(base?: VersionedObject): VersionedObject {
  return applyWrite(base, base?.clock ?? {}, 'n1', { value: Buffer.alloc(0), tombstone: true, expireAt: 0, ts: ++writerCounter });
}

/** A blind write from another node: a concurrent sibling next to what base holds. */
export function sibling(base: VersionedObject, value: string, expireAt = 0, node = 'n2'): VersionedObject {
  return applyWrite(base, {}, node, { value: Buffer.from(value), tombstone: false, expireAt, ts: ++writerCounter });
}

export const valueOf = (o: VersionedObject | undefined): string[] | undefined => o?.siblings.map((s) => s.value.toString());

export function recordStoreSuite(name: string, place: () => Promise<DataPlace>): void {
  const withStore = (title: string, fn: (t: Tap, env: StoreEnv) => Promise<void>): void => {
    tap.test(`${name}: ${title}`, async (t) => {
      const p = await place();
      const env = new StoreEnv(p);
      t.teardown(async () => {
        await env.store?.close();
        await p.dispose();
      });
      await fn(t, env);
    });
  };

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

  withStore('expiry: records whose every live sibling has expired are swept, others stay', async (t, env) => {
    const store = await env.open();
    const now = env.clock.now();
    const ttl = obj('ttl', now + 1000);
    await store.put(key('ttl'), ttl);
    await store.put(key('later'), obj('later', now + 5000));
    await store.put(key('forever'), obj('forever'));
    await store.put(key('mixed'), sibling(obj('a', now + 1000), 'b'));
    await store.put(key('both'), sibling(obj('a', now + 500), 'b', now + 1500));
    await store.put(key('dead'), sibling(tombstone(), 'x', now + 100));
    await store.put(key('tomb'), tombstone());
    t.same((await env.expiryIndex()).map(([, k]) => k).sort(), ['both', 'dead', 'later', 'ttl']);
    t.equal(await store.sweepExpired(now, 100), 0, 'nothing due yet');
    env.clock.advance(1000);
    t.equal(await store.sweepExpired(env.clock.now(), 100), 2, 'ttl and dead');
    t.equal(await store.get(key('ttl')), undefined);
    t.equal(await store.get(key('dead')), undefined);
    t.ok(await store.get(key('both')), 'one sibling still live');
    t.ok(await store.get(key('mixed')), 'a sibling without expiry keeps the record');
    t.ok(await store.get(key('tomb')), 'tombstones are not swept by time');
    env.clock.advance(10_000);
    t.equal(await store.sweepExpired(env.clock.now(), 100), 2, 'both and later');
    t.same(await env.expiryIndex(), []);
    t.equal(store.stats().expiredSwept, 4);
    t.equal(store.stats().keys, 3, 'forever, mixed and tomb');
  });

  withStore('a later SET without expiry saves a record from the sweep and clears its entry', async (t, env) => {
    const store = await env.open();
    const now = env.clock.now();
    const first = obj('v', now + 1000);
    await store.put(key('k'), first);
    await store.put(key('moved'), obj('m', now + 1000));
    await store.put(key('k'), obj('v2', 0, first));
    await store.put(key('moved'), obj('m2', now + 9000));
    t.same(await env.expiryIndex(), [[now + 9000, 'moved']], 'entries follow the record');
    env.clock.advance(2000);
    t.equal(await store.sweepExpired(env.clock.now(), 100), 0);
    t.ok(await store.get(key('k')));
  });

  withStore('a write after the index scan but before the purge saves the record', async (t, env) => {
    const store = await env.open();
    await store.put(key('k'), obj('v', env.clock.now() + 10));
    env.clock.advance(100);
    const sweeping = store.sweepExpired(env.clock.now(), 10);
    const saved = store.put(key('k'), obj('fresh'));
    t.equal(await sweeping, 0, 'the record as stored when the purge ran had not expired');
    await saved;
    t.same(valueOf(await store.get(key('k'))), ['fresh']);
    t.same(await env.expiryIndex(), []);
    const again = await env.restart();
    t.same(valueOf(await again.get(key('k'))), ['fresh']);
  });

  withStore('a write queued after the purge lands after it', async (t, env) => {
    const store = await env.open();
    await store.put(key('k'), obj('v', env.clock.now() + 10));
    env.clock.advance(100);
    const release = env.engine.holdWrites();
    const other = store.put(key('other'), obj('o'));
    const sweeping = store.sweepExpired(env.clock.now(), 10);
    await until(() => store.stats().inFlightWrites === 1 && store.stats().queuedWrites === 1);
    const saved = store.put(key('k'), obj('fresh'));
    release();
    await Promise.all([other, saved]);
    t.equal(await sweeping, 1, 'purged as stored then');
    t.same(valueOf(await store.get(key('k'))), ['fresh'], 'then written again');
    t.equal(store.stats().keys, 2);
  });

  withStore('stale index entries are removed when the sweep meets them', async (t, env) => {
    const store = await env.open();
    const now = env.clock.now();
    await store.put(key('k'), obj('v', now + 10));
    // An index entry for a record that is gone or changed, as a crash between layouts might leave.
    const { expiryKey } = await import('../../src/storage/key-layout.js');
    const { keyHashBytes } = await import('../../src/core/hash.js');
    await env.engine.write(
      [
        { type: 'put', key: expiryKey(now + 5, keyHashBytes(key('ghost')), key('ghost')), value: Buffer.alloc(0) },
        { type: 'put', key: expiryKey(now + 5, keyHashBytes(key('k')), key('k')), value: Buffer.alloc(0) },
      ],
      false,
    );
    t.equal(await store.sweepExpired(now + 7, 10), 0, 'nothing is due for real');
    t.same(await env.expiryIndex(), [[now + 10, 'k']], 'only the true entry is left');
  });

  withStore('sweepExpired honours its limit', async (t, env) => {
    const store = await env.open();
    const now = env.clock.now();
    await Promise.all(Array.from({ length: 25 }, (_, i) => store.put(key(`k${i}`), obj('v', now + i))));
    env.clock.advance(100);
    t.equal(await store.sweepExpired(env.clock.now(), 10), 10);
    t.equal(await store.sweepExpired(env.clock.now(), 10), 10);
    t.equal(await store.sweepExpired(env.clock.now(), 10), 5);
    t.equal(await store.sweepExpired(env.clock.now(), 10), 0);
    t.equal(store.stats().keys, 0);
  });

  withStore('canPurge may veto a purge or ask to look again later', async (t, env) => {
    const seen: string[] = [];
    let answer: boolean | number = false;
    const store = await env.open({
      canPurge: (k, o, now) => {
        seen.push(`${k.toString()}@${now}:${valueOf(o)?.join()}`);
        return answer;
      },
    });
    const now = env.clock.now();
    await store.put(key('k'), obj('v', now + 10));
    env.clock.advance(20);
    t.equal(await store.sweepExpired(env.clock.now(), 10), 0, 'vetoed');
    t.same(seen, [`k@${now + 20}:v`]);
    t.same(await env.expiryIndex(), [[now + 10, 'k']], 'kept for the next sweep');
    answer = now + 1000;
    t.equal(await store.sweepExpired(env.clock.now(), 10), 0, 'postponed');
    t.same(await env.expiryIndex(), [[now + 1000, 'k']], 'the entry moved to the retry time');
    t.equal(await store.sweepExpired(now + 999, 10), 0, 'not due before the retry time');
    t.equal(seen.length, 2);
    answer = true;
    t.equal(await store.sweepExpired(now + 1000, 10), 1);
    t.equal(await store.get(key('k')), undefined);
    t.same(await env.expiryIndex(), []);
  });

  withStore('removeIf removes only when the stored record passes the test', async (t, env) => {
    const store = await env.open();
    const dead = tombstone(obj('x'));
    await store.put(key('tomb'), dead);
    await store.put(key('live'), obj('v'));
    t.equal(await store.removeIf(key('live'), (o) => o.siblings.every((s) => s.tombstone)), false);
    t.equal(await store.removeIf(key('missing'), () => true), false);
    const newer = store.put(key('tomb'), obj('resurrected', 0, dead));
    t.equal(await store.removeIf(key('tomb'), (o) => o.siblings.every((s) => s.tombstone)), false, 'a newer write came first');
    await newer;
    await store.put(key('tomb'), tombstone(await store.get(key('tomb'))));
    t.equal(await store.removeIf(key('tomb'), (o) => o.siblings.every((s) => s.tombstone)), true);
    t.equal(await store.get(key('tomb')), undefined);
    t.equal(store.stats().keys, 1);
  });

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

  withStore('a clear that fails part way reports it and recounts', async (t, env) => {
    const store = await env.open();
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.put(key(`k${i}`), obj('v'))));
    env.engine.failNextDeletes(1);
    await t.rejects(store.clear(), { code: 'IOERR' });
    t.equal(store.stats().keys, 10, 'recounted');
    t.same(valueOf(await store.get(key('k3'))), ['v']);
    let again = await env.restart();
    t.equal(again.stats().keys, 10, 'counted again at open: the stored count was withdrawn');
    await again.clear();
    t.equal(again.stats().keys, 0);
    again = await env.restart();
    t.equal(again.stats().keys, 0);
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
    t.same(env.engine.batchSizes.slice(-4), [101, 101, 100, 50], 'engine batches stay bounded (records, plus the count when it changes)');
    t.equal(store.stats().batches, 4);
    t.same(valueOf(await store.get(key('k5'))), ['245'], 'the last write to a key wins');
    const again = await env.restart();
    t.same(valueOf(await again.get(key('k5'))), ['245']);
    t.equal(again.stats().keys, 120);
  });

  withStore('the byte bound cuts batches too', async (t, env) => {
    const store = await env.open({ maxBatchBytes: 10_000 });
    const release = env.engine.holdWrites();
    const puts = Array.from({ length: 30 }, (_, i) => store.put(key(`k${i}`), obj('x'.repeat(1000))));
    release();
    await Promise.all(puts);
    t.ok(store.stats().batches >= 3, `${store.stats().batches} batches of at most ~10KB`);
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
    await store.put(key('bad'), obj('fixed'));
    t.same(valueOf(await store.get(key('bad'))), ['fixed']);
    t.equal(store.stats().keys, 0, 'the put replaced a record already there: no change to the count');
  });
}
