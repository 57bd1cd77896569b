import t from 'tap';
import fc from 'fast-check';
import { keyHash } from '../../src/core/hash.js';
import { parseCursor } from '../../src/commands/keys.js';
import { applyWrite } from '../../src/versioning/object.js';
import { makeHarness } from '../support/command-harness.js';
import type { Harness, Plain } from '../support/command-harness.js';

const SYNTAX = { error: 'ERR syntax error' };

async function fill(r: Harness, n: number, prefix = 'key:'): Promise<string[]> {
  const keys = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  await r('MSET', ...keys.flatMap((k) => [k, 'v']));
  return keys;
}

/** Runs a whole SCAN iteration; returns every page's keys and how many calls it took. */
async function scanAll(r: Harness, ...opts: string[]): Promise<{ keys: string[]; calls: number }> {
  const keys: string[] = [];
  let cursor = '0';
  let calls = 0;
  do {
    const [next, page] = (await r('SCAN', cursor, ...opts)) as [string, string[]];
    keys.push(...page);
    cursor = next;
    calls++;
  } while (cursor !== '0');
  return { keys, calls };
}

t.test('DEL and UNLINK', async (t) => {
  const r = makeHarness();
  await r('MSET', 'a', '1', 'b', '2', 'c', '3');
  t.equal(await r('DEL', 'a', 'a', 'b', 'missing'), 2, 'a key named twice counts once');
  t.same(await r('MGET', 'a', 'b', 'c'), [null, null, '3']);
  t.equal(await r('UNLINK', 'c', 'c'), 1);
  t.equal(await r('DEL', 'c'), 0);
  t.equal(r.kv.peek('a')!.siblings[0]!.tombstone, true, 'deletes are tombstones');
  t.equal(r.kv.peek('missing'), undefined, 'nothing is written for keys that do not exist');
  await r('SET', 'e', 'v', 'PX', '10');
  r.clock.advance(10);
  t.equal(await r('DEL', 'e'), 0, 'an expired key is not counted');
  t.same(await r('DEL'), { error: "ERR wrong number of arguments for 'del' command" });
});

t.test('DEL runs its keys concurrently', async (t) => {
  const r = makeHarness();
  await fill(r, 5);
  let inFlight = 0;
  let max = 0;
  const update = r.kv.update.bind(r.kv);
  r.kv.update = async (...args) => {
    inFlight++;
    max = Math.max(max, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
    return update(...args);
  };
  t.equal(await r('DEL', 'key:0', 'key:1', 'key:2', 'key:3', 'key:4'), 5);
  t.equal(max, 5);
});

t.test('DEL hides siblings from every side', async (t) => {
  const r = makeHarness();
  await r('SET', 'k', 'mine');
  r.kv.merge('k', applyWrite(undefined, {}, 'other-node', { value: Buffer.from('theirs'), tombstone: false, expireAt: 0, ts: r.clock.now() + 1 }));
  r.clock.advance(5);
  t.equal(await r('DEL', 'k'), 1);
  t.equal(await r('GET', 'k'), null);
  const [context, values] = (await r('QGET', 'k')) as [string, string[]];
  t.type(context, 'string');
  t.same(values, [], 'no live sibling remains');
});

t.test('EXISTS counts every argument', async (t) => {
  const r = makeHarness();
  await r('MSET', 'a', '1', 'c', '3');
  t.equal(await r('EXISTS', 'a', 'a', 'b', 'c', 'c', 'c'), 5);
  t.equal(await r('EXISTS', 'b'), 0);
  t.same(r.kv.calls.filter((c) => c.op === 'readMany').map((c) => c.keys), [['a', 'b', 'c'], ['b']], 'one read per distinct key');
});

t.test('TYPE', async (t) => {
  const r = makeHarness();
  await r('SET', 'k', 'v');
  t.equal(await r('TYPE', 'k'), 'string');
  t.equal(await r('TYPE', 'nope'), 'none');
});

t.test('RENAME', async (t) => {
  const r = makeHarness();
  t.same(await r('RENAME', 'nope', 'x'), { error: 'ERR no such key' });
  t.same(await r('RENAME', 'nope', 'nope'), { error: 'ERR no such key' });
  await r('SET', 'a', 'v', 'EX', '100');
  t.equal(await r('RENAME', 'a', 'a'), 'OK');
  t.equal(await r('GET', 'a'), 'v');
  await r('SET', 'b', 'old');
  t.equal(await r('RENAME', 'a', 'b'), 'OK');
  t.equal(await r('GET', 'a'), null);
  t.equal(await r('GET', 'b'), 'v', 'overwrites the destination');
  t.equal(await r('TTL', 'b'), 100, 'keeps the expiry');
  r.limits.maxKeyBytes = 3;
  t.same(await r('RENAME', 'b', 'long'), { error: 'ERR key exceeds the maximum of 3 bytes (max-key-bytes)' });
  t.equal(await r('GET', 'b'), 'v');
});

t.test('RENAME leaves the source alone if it changed after the copy', async (t) => {
  const r = makeHarness();
  await r('SET', 'src', 'first');
  r.kv.beforeDecide = (key) => {
    if (key.toString() !== 'src') return;
    r.kv.beforeDecide = null;
    void r.kv.write(key, { value: Buffer.from('second'), tombstone: false, expireAt: 0, supersedes: { kind: 'local' } });
  };
  t.equal(await r('RENAME', 'src', 'dst'), 'OK');
  t.equal(await r('GET', 'dst'), 'first');
  t.equal(await r('GET', 'src'), 'second', 'the newer write survives');
});

t.test('KEYS', async (t) => {
  const r = makeHarness();
  await r('MSET', 'hello', '1', 'hallo', '2', 'hxllo', '3', 'world', '4', '', '5');
  await r('SET', 'hbllo', 'v', 'PX', '5');
  r.clock.advance(5);
  t.same(((await r('KEYS', '*')) as string[]).sort(), ['', 'hallo', 'hello', 'hxllo', 'world']);
  t.same(((await r('KEYS', 'h?llo')) as string[]).sort(), ['hallo', 'hello', 'hxllo']);
  t.same(((await r('KEYS', 'h[ae]llo')) as string[]).sort(), ['hallo', 'hello']);
  t.same(await r('KEYS', 'nothing*'), []);
  await fill(r, 2500);
  t.equal(((await r('KEYS', 'key:*')) as string[]).length, 2500, 'more than one page');
  t.same(await r('KEYS'), { error: "ERR wrong number of arguments for 'keys' command" });
});

t.test('SCAN returns every key exactly once, in ring order', async (t) => {
  const r = makeHarness();
  const keys = await fill(r, 250);
  const { keys: seen, calls } = await scanAll(r);
  t.equal(seen.length, 250);
  t.same([...seen].sort(), [...keys].sort());
  t.equal(new Set(seen).size, 250, 'no key twice');
  t.ok(calls >= 25, 'default COUNT 10 pages through');
  const hashes = seen.map((k) => keyHash(k));
  t.ok(hashes.every((h, i) => i === 0 || hashes[i - 1]! < h), 'ring order');
  const big = await scanAll(r, 'COUNT', '1000');
  t.equal(big.calls, 1);
  t.equal(big.keys.length, 250);
});

t.test('SCAN property: any key set, any COUNT, each key exactly once', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(fc.string({ maxLength: 6 }), { maxLength: 60 }), fc.integer({ min: 1, max: 20 }), async (keys, count) => {
      const r = makeHarness();
      if (keys.length > 0) await r('MSET', ...keys.flatMap((k) => [k, 'v']));
      const { keys: seen } = await scanAll(r, 'COUNT', String(count));
      return seen.length === keys.length && new Set(seen).size === keys.length && keys.every((k) => seen.includes(k));
    }),
    { numRuns: 100 },
  );
  t.pass('held for 100 random key sets');
});

t.test('SCAN keeps returning every key present throughout while others come and go', async (t) => {
  const r = makeHarness();
  const stable = await fill(r, 100, 'stable:');
  const seen: string[] = [];
  let cursor = '0';
  let i = 0;
  do {
    const [next, page] = (await r('SCAN', cursor, 'COUNT', '7')) as [string, string[]];
    seen.push(...page);
    cursor = next;
    await r('SET', `churn:${i}`, 'v');
    await r('DEL', `churn:${i - 3}`);
    i++;
  } while (cursor !== '0');
  for (const k of stable) t.ok(seen.includes(k), k);
  t.equal(seen.filter((k) => k.startsWith('stable:')).length, 100, 'stable keys once each');
});

t.test('SCAN MATCH, COUNT and TYPE', async (t) => {
  const r = makeHarness();
  await fill(r, 30, 'user:');
  await fill(r, 20, 'item:');
  t.equal((await scanAll(r, 'MATCH', 'user:*')).keys.length, 30);
  t.equal((await scanAll(r, 'match', 'item:1?')).keys.length, 10);
  t.equal((await scanAll(r, 'MATCH', '*')).keys.length, 50);
  t.equal((await scanAll(r, 'TYPE', 'string')).keys.length, 50);
  t.equal((await scanAll(r, 'TYPE', 'STRING', 'MATCH', 'item:*', 'COUNT', '3')).keys.length, 20);
  t.equal((await scanAll(r, 'TYPE', 'hash')).keys.length, 0, 'other types match nothing');
  const [cursor, page] = (await r('SCAN', '0', 'COUNT', '5', 'MATCH', 'nothing*')) as [string, string[]];
  t.not(cursor, '0', 'a filtered page can be empty with a live cursor');
  t.same(page, []);
  t.equal((await scanAll(r, 'COUNT', '99999999999')).calls, 1, 'a huge COUNT is clamped, not refused');
});

t.test('SCAN skips expired keys and deleted ones', async (t) => {
  const r = makeHarness();
  await fill(r, 10);
  await r('PEXPIRE', 'key:3', '5');
  await r('DEL', 'key:4');
  r.clock.advance(5);
  const { keys } = await scanAll(r, 'COUNT', '100');
  t.same(keys.sort(), ['key:0', 'key:1', 'key:2', 'key:5', 'key:6', 'key:7', 'key:8', 'key:9']);
});

t.test('SCAN errors', async (t) => {
  const r = makeHarness();
  const invalid = { error: 'ERR invalid cursor' };
  for (const c of ['abc', ' 0', '0 ', '18446744073709551616', '+', '-', '1.5']) t.same(await r('SCAN', c), invalid, JSON.stringify(c));
  t.same(await r('SCAN', 'abc', 'foo'), invalid, 'the cursor is checked first');
  t.same(await r('SCAN', '0', 'COUNT', '0'), SYNTAX);
  t.same(await r('SCAN', '0', 'COUNT', '-1'), SYNTAX);
  t.same(await r('SCAN', '0', 'COUNT', 'abc'), { error: 'ERR value is not an integer or out of range' });
  t.same(await r('SCAN', '0', 'COUNT'), SYNTAX);
  t.same(await r('SCAN', '0', 'MATCH'), SYNTAX);
  t.same(await r('SCAN', '0', 'TYPE'), SYNTAX);
  t.same(await r('SCAN', '0', 'foo', 'bar'), SYNTAX);
  t.same(await r('SCAN'), { error: "ERR wrong number of arguments for 'scan' command" });
});

t.test('SCAN cursors parse as strtoul does', async (t) => {
  const b = (s: string) => Buffer.from(s);
  t.equal(parseCursor(b('0')), 0n);
  t.equal(parseCursor(b('')), 0n);
  t.equal(parseCursor(b('00')), 0n);
  t.equal(parseCursor(b('+12')), 12n);
  t.equal(parseCursor(b('-0')), 0n);
  t.equal(parseCursor(b('-1')), 2n ** 64n - 1n);
  t.equal(parseCursor(b('18446744073709551615')), 2n ** 64n - 1n);
  const r = makeHarness();
  await fill(r, 5);
  const [cursor, page] = (await r('SCAN', '18446744073709551615')) as [string, string[]];
  t.equal(cursor, '0');
  t.same(page, []);
});

t.test('RANDOMKEY', async (t) => {
  const r = makeHarness({ seed: 7 });
  t.equal(await r('RANDOMKEY'), null);
  await r('SET', 'only', 'v');
  for (let i = 0; i < 5; i++) t.equal(await r('RANDOMKEY'), 'only', 'wraps around to find the only key');
  const keys = await fill(r, 50);
  const seen = new Set<Plain>();
  for (let i = 0; i < 200; i++) seen.add(await r('RANDOMKEY'));
  t.ok(seen.size > 20, `spreads over the keys (${seen.size} distinct of 51)`);
  for (const k of seen) t.ok(k === 'only' || keys.includes(k as string));
  await r('DEL', 'only', ...keys);
  t.equal(await r('RANDOMKEY'), null, 'tombstones are not keys');
  await r('SET', 'e', 'v', 'PX', '1');
  r.clock.advance(1);
  t.equal(await r('RANDOMKEY'), null, 'nor are expired keys');
});

t.test('RANDOMKEY over keys that hide behind dead ones on both sides of the start', async (t) => {
  const r = makeHarness({ seed: 3 });
  await fill(r, 40);
  // Only one key stays alive: whatever the random start, the search must wrap to find it or stop after one lap.
  const alive = 'key:17';
  for (let i = 0; i < 40; i++) if (`key:${i}` !== alive) await r('PEXPIRE', `key:${i}`, '1');
  r.clock.advance(1);
  for (let i = 0; i < 20; i++) t.equal(await r('RANDOMKEY'), alive);
  await r('DEL', alive);
  for (let i = 0; i < 5; i++) t.equal(await r('RANDOMKEY'), null);
});

t.test('RANDOMKEY from the very start and the very end of the ring', async (t) => {
  const r = makeHarness();
  await fill(r, 30);
  const first = r.kv.storedKeys()[0];
  r.rng.bytes = (n) => Buffer.alloc(n, 0xff);
  t.equal(await r('RANDOMKEY'), first, 'from the end, it wraps to the first key');
  r.rng.bytes = (n) => Buffer.alloc(n, 0);
  t.equal(await r('RANDOMKEY'), first, 'from 0, the first key');
  for (const k of r.kv.storedKeys()) await r('PEXPIRE', k, '1');
  r.clock.advance(1);
  t.equal(await r('RANDOMKEY'), null);
  r.rng.bytes = (n) => Buffer.alloc(n, 0xff);
  t.equal(await r('RANDOMKEY'), null, 'one lap, then nil');
  // A key whose newest sibling is a delete, with an older concurrent value: stored, listed by the coordinator, but absent.
  await r('SET', 'hidden', 'old');
  r.kv.merge('hidden', applyWrite(undefined, {}, 'other-node', { value: Buffer.alloc(0), tombstone: true, expireAt: 0, ts: r.clock.now() + 1 }));
  t.equal(await r('GET', 'hidden'), null);
  r.rng.bytes = (n) => Buffer.alloc(n, 0);
  t.equal(await r('RANDOMKEY'), null, 'stops at the start of the lap');
  t.same(await r('KEYS', '*'), []);
  t.same(await r('SCAN', '0', 'COUNT', '100'), ['0', []]);
  t.equal(await r('EXISTS', 'hidden'), 0);
});

t.test('DBSIZE, FLUSHALL, FLUSHDB', async (t) => {
  const r = makeHarness();
  t.equal(await r('DBSIZE'), 0);
  await fill(r, 12);
  t.equal(await r('DBSIZE'), 12);
  t.equal(await r('FLUSHALL'), 'OK');
  t.equal(await r('DBSIZE'), 0);
  await fill(r, 3);
  t.equal(await r('FLUSHDB', 'ASYNC'), 'OK');
  t.equal(await r('DBSIZE'), 0);
  t.equal(await r('FLUSHALL', 'sync'), 'OK');
  t.equal(await r('FLUSHDB', 'SYNC'), 'OK');
  t.same(await r('FLUSHALL', 'foo'), SYNTAX);
  t.same(await r('FLUSHALL', 'SYNC', 'ASYNC'), SYNTAX);
  t.same(await r('FLUSHDB', 'now'), SYNTAX);
  t.same(await r('DBSIZE', 'x'), { error: "ERR wrong number of arguments for 'dbsize' command" });
});
