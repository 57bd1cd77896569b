import { key, obj, sibling, tombstone, until, valueOf, type WithStore } from './store-env.js';

/** Record store cases: the expiry index, the sweep, conditional removal. */
export function expiryCases(withStore: WithStore): void {
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

  withStore('a sweep reads the index only when an entry can be due', async (t, env) => {
    const store = await env.open();
    const now = env.clock.now();
    await store.put(key('k'), obj('v', now + 1000));
    t.equal(await store.sweepExpired(now, 100), 0, 'the first sweep looks');
    const looked = env.engine.iterations;
    t.ok(looked > 0);
    for (let i = 0; i < 5; i++) t.equal(await store.sweepExpired(now + i * 100, 100), 0);
    t.equal(env.engine.iterations, looked, 'nothing due before the first entry: no engine scan');
    await store.put(key('soon'), obj('s', now + 500));
    env.clock.advance(500);
    t.equal(await store.sweepExpired(env.clock.now(), 100), 1, 'a new earlier entry is found at once');
    env.clock.advance(500);
    t.equal(await store.sweepExpired(env.clock.now(), 100), 1, 'the first entry is found when due');
    const after = env.engine.iterations;
    env.clock.advance(60_000);
    t.equal(await store.sweepExpired(env.clock.now(), 100), 0, 'an empty index');
    t.equal(await store.sweepExpired(env.clock.now() + 1, 100), 0);
    t.ok(env.engine.iterations <= after + 2, 'an empty index is not scanned again');
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

  withStore('onExpired is told once per expiry, on the first look, even when the purge is put off', async (t, env) => {
    const told: string[] = [];
    let answer: boolean | number = true;
    const store = await env.open({ canPurge: () => answer, onExpired: (k) => told.push(k.toString()) });
    const now = env.clock.now();
    await store.put(key('soon'), obj('v', now + 10));
    await store.put(key('later'), obj('v', now + 5000));
    await store.put(key('forever'), obj('v'));
    env.clock.advance(20);
    answer = env.clock.now() + 100;
    t.equal(await store.sweepExpired(env.clock.now(), 10), 0, 'postponed');
    t.same(told, ['soon'], 'told on the first look');
    env.clock.advance(100);
    answer = true;
    t.equal(await store.sweepExpired(env.clock.now(), 10), 1, 'purged on the retry');
    t.same(told, ['soon'], 'the retry is not a new expiry');
    await store.put(key('soon'), obj('again', env.clock.now() + 10));
    env.clock.advance(5000);
    t.equal(await store.sweepExpired(env.clock.now(), 10), 2);
    t.same(told.sort(), ['later', 'soon', 'soon'], 'a key given a new expiry expires again');
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
}