import t from 'tap';
import { Redis, ReplyError } from 'ioredis';
import { startTarget, isQuorumKV } from './support/target.js';
import type { Teardown } from '../test/support/node-process.js';
import { allByteValues, pairsToRecord } from './support/values.js';
import { withDeadline } from './support/deadline.js';
import { rejection } from './support/rejection.js';

// ioredis 6 opens with HELLO 3 (protocol 3 is its default) and falls back to
// RESP2 only when the server rejects HELLO; `protocol: 2` skips HELLO.

const server = await startTarget(t);

function client(t: Teardown, protocol: 2 | 3 | undefined, extra: Record<string, unknown> = {}): Redis {
  const redis = new Redis({
    host: '127.0.0.1',
    port: server.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    // A command the server never answers fails in its own test instead of hanging the file.
    commandTimeout: 10_000,
    ...(protocol === undefined ? {} : { protocol }),
    ...extra,
  });
  t.teardown(() => redis.disconnect());
  return redis;
}

for (const protocol of [undefined, 2] as const) {
  const label = protocol === undefined ? 'default (HELLO 3)' : 'protocol 2';
  const p = protocol === undefined ? 'io3:' : 'io2:';

  t.test(`ioredis ${label}`, async (t) => {
    const redis = client(t, protocol);
    await redis.connect();

    t.test('handshake negotiated the expected protocol', async (t) => {
      const hello = pairsToRecord((await redis.call('HELLO')) as unknown[]);
      t.equal(hello.proto, protocol ?? 3);
      t.equal(await redis.ping(), 'PONG');
    });

    t.test('get, set, del, incr', async (t) => {
      t.equal(await redis.set(`${p}k`, 'v'), 'OK');
      t.equal(await redis.get(`${p}k`), 'v');
      t.equal(await redis.get(`${p}missing`), null);
      t.equal(await redis.set(`${p}k`, 'w', 'NX'), null, 'SET NX on an existing key answers nil');
      t.equal(await redis.set(`${p}k`, 'w', 'XX', 'GET'), 'v', 'SET XX GET returns the old value');
      t.equal(await redis.incr(`${p}n`), 1);
      t.equal(await redis.incrby(`${p}n`, 41), 42);
      t.equal(await redis.decr(`${p}n`), 41);
      t.equal(await redis.incrbyfloat(`${p}f`, '1.5'), '1.5');
      t.equal(await redis.append(`${p}k`, 'xyz'), 4);
      t.equal(await redis.strlen(`${p}k`), 4);
      t.equal(await redis.getrange(`${p}k`, 1, 2), 'xy');
      t.equal(await redis.exists(`${p}k`, `${p}n`, `${p}missing`), 2);
      t.equal(await redis.type(`${p}k`), 'string');
      t.equal(await redis.del(`${p}k`, `${p}n`, `${p}missing`), 2);
      t.equal(await redis.get(`${p}k`), null);
    });

    t.test('mset, mget', async (t) => {
      t.equal(await redis.mset({ [`${p}a`]: '1', [`${p}b`]: '2', [`${p}c`]: '3' }), 'OK');
      t.same(await redis.mget(`${p}a`, `${p}missing`, `${p}b`, `${p}c`), ['1', null, '2', '3']);
      t.equal(await redis.msetnx(`${p}a`, 'x', `${p}new`, 'y'), 0, 'MSETNX sets nothing when one key exists');
      t.equal(await redis.get(`${p}new`), null);
    });

    t.test('expire, ttl, persist', async (t) => {
      await redis.set(`${p}e`, 'v');
      t.equal(await redis.ttl(`${p}e`), -1);
      t.equal(await redis.expire(`${p}e`, 100), 1);
      const ttl = await redis.ttl(`${p}e`);
      t.ok(ttl >= 99 && ttl <= 100, `ttl ${ttl} in [99, 100]`);
      const pttl = await redis.pttl(`${p}e`);
      t.ok(pttl > 98_000 && pttl <= 100_000, `pttl ${pttl} in (98000, 100000]`);
      t.equal(await redis.persist(`${p}e`), 1);
      t.equal(await redis.ttl(`${p}e`), -1);
      t.equal(await redis.ttl(`${p}missing`), -2);
      t.equal(await redis.expire(`${p}missing`, 10), 0);
      t.equal(await redis.set(`${p}ex`, 'v', 'EX', 50), 'OK');
      const exTtl = await redis.ttl(`${p}ex`);
      t.ok(exTtl >= 49 && exTtl <= 50, `SET EX ttl ${exTtl} in [49, 50]`);
      t.equal(await redis.set(`${p}px`, 'v', 'PX', 1), 'OK');
      await new Promise((r) => setTimeout(r, 30));
      t.equal(await redis.get(`${p}px`), null, 'expired key reads as nil');
    });

    t.test('scanStream sees every key once', async (t) => {
      const pipe = redis.pipeline();
      for (let i = 0; i < 300; i++) pipe.set(`${p}scan:${i}`, String(i));
      await pipe.exec();
      // Its own connection: a SCAN problem then fails this test alone.
      const scanner = client(t, protocol);
      await scanner.connect();
      const seen = new Set<string>();
      const stream = scanner.scanStream({ match: `${p}scan:*`, count: 50 });
      const scan = async (): Promise<void> => {
        for await (const batch of stream) for (const key of batch as string[]) seen.add(key);
      };
      await withDeadline(scan(), 15_000, `scanStream MATCH ${p}scan:* COUNT 50`);
      t.equal(seen.size, 300);
      t.ok([...seen].every((k) => k.startsWith(`${p}scan:`)), 'MATCH filters keys');
    });

    t.test('pipelines', async (t) => {
      const pipe = redis.pipeline();
      for (let i = 0; i < 1000; i++) pipe.set(`${p}pl:${i}`, `v${i}`);
      for (let i = 0; i < 1000; i++) pipe.get(`${p}pl:${i}`);
      const results = (await pipe.exec()) ?? [];
      t.equal(results.length, 2000);
      t.ok(results.slice(0, 1000).every(([err, r]) => err === null && r === 'OK'), 'every SET answered OK');
      t.ok(results.slice(1000).every(([err, r], i) => err === null && r === `v${i}`), 'every GET answered its value in order');

      const mixed = (await redis.pipeline().set(`${p}pl:x`, 'abc').incr(`${p}pl:x`).get(`${p}pl:x`).exec()) ?? [];
      t.same(mixed[0], [null, 'OK']);
      t.ok(mixed[1]?.[0] instanceof ReplyError, 'an error in a pipeline fails only its own command');
      t.equal((mixed[1]?.[0] as Error | null)?.message, 'ERR value is not an integer or out of range');
      t.same(mixed[2], [null, 'abc']);
    });

    t.test('big values', async (t) => {
      const half = Buffer.alloc(512 * 1024, 'q');
      t.equal(await redis.set(`${p}big`, half), 'OK');
      t.ok((await redis.getBuffer(`${p}big`))?.equals(half), '512 KiB value round trip');
      const limit = Buffer.alloc(1024 * 1024, 7);
      t.equal(await redis.set(`${p}big1m`, limit), 'OK', 'a value of exactly 1 MiB is accepted');
      t.equal((await redis.getBuffer(`${p}big1m`))?.length, limit.length);
      if (isQuorumKV) {
        const err = await rejection(redis.set(`${p}toobig`, Buffer.alloc(1024 * 1024 + 1)));
        t.equal(err.message, 'ERR value exceeds the maximum of 1048576 bytes (max-value-bytes)');
        t.equal(await redis.exists(`${p}toobig`), 0, 'nothing stored');
      }
    });

    t.test('binary values and keys', async (t) => {
      const bytes = allByteValues();
      t.equal(await redis.set(`${p}bin`, bytes), 'OK');
      const back = await redis.getBuffer(`${p}bin`);
      t.ok(back?.equals(bytes), 'all 256 byte values round trip');
      const binKey = Buffer.concat([Buffer.from(p), Buffer.from([0, 255, 13, 10, 32])]);
      t.equal(await redis.set(binKey, 'under a binary key'), 'OK');
      t.equal(await redis.get(binKey), 'under a binary key');
      t.same(await redis.mgetBuffer(`${p}bin`, binKey), [bytes, Buffer.from('under a binary key')]);
    });

    t.test('hashes: hset with an object, hgetall as an object', async (t) => {
      const h = `${p}user:1`;
      t.equal(await redis.hset(h, { name: 'ada', lang: 'en', visits: '0' }), 3);
      t.equal(await redis.hset(h, 'email', 'ada@example.com', 'lang', 'fr'), 1);
      t.equal(await redis.hget(h, 'name'), 'ada');
      t.equal(await redis.hget(h, 'nope'), null);
      t.same(await redis.hgetall(h), { name: 'ada', lang: 'fr', visits: '0', email: 'ada@example.com' });
      t.same(await redis.hgetall(`${p}nouser`), {}, 'a missing hash is an empty object');
      t.same(await redis.hmget(h, 'name', 'nope', 'lang'), ['ada', null, 'fr']);
      t.equal(await redis.hmset(h, { city: 'paris' }), 'OK');
      t.same((await redis.hkeys(h)).sort(), ['city', 'email', 'lang', 'name', 'visits']);
      t.same((await redis.hvals(h)).sort(), ['0', 'ada', 'ada@example.com', 'fr', 'paris']);
      t.equal(await redis.hlen(h), 5);
      t.equal(await redis.hexists(h, 'name'), 1);
      t.equal(await redis.hexists(h, 'nope'), 0);
      t.equal(await redis.hstrlen(h, 'email'), 15);
      t.equal(await redis.hsetnx(h, 'name', 'bob'), 0);
      t.equal(await redis.hincrby(h, 'visits', 5), 5);
      t.equal(await redis.hincrbyfloat(h, 'score', 1.5), '1.5');
      t.equal(await redis.hdel(h, 'city', 'nope'), 1);
      const pick = (await redis.hrandfield(h, -6, 'WITHVALUES')) ?? [];
      t.equal(pick.length, 12, 'HRANDFIELD -6 WITHVALUES: six fields with their values');
      const all = await redis.hgetall(h);
      for (let i = 0; i < pick.length; i += 2) t.equal(all[pick[i] as string], pick[i + 1], `${pick[i]} comes with its value`);
      const scanned: Record<string, string> = {};
      const stream = redis.hscanStream(h, { count: 2 });
      const scan = async (): Promise<void> => {
        for await (const batch of stream) for (let i = 0; i < (batch as string[]).length; i += 2) scanned[(batch as string[])[i]!] = (batch as string[])[i + 1]!;
      };
      await withDeadline(scan(), 15_000, `hscanStream ${h}`);
      t.same(scanned, all, 'hscanStream sees every field');
      t.equal(await redis.type(h), 'hash');
      const wrong = await rejection(redis.get(h));
      t.ok(wrong instanceof ReplyError);
      t.equal(wrong.message, 'WRONGTYPE Operation against a key holding the wrong kind of value');
      const notInt = await rejection(redis.hincrby(h, 'name', 1));
      t.equal(notInt.message, 'ERR hash value is not an integer');
      const bytes = allByteValues();
      t.equal(await redis.hset(`${p}binh`, Buffer.from([0, 13, 10]), bytes), 1);
      const back = await redis.hgetallBuffer(`${p}binh`);
      t.ok(back['\u0000\r\n']?.equals(bytes), 'binary field and value round trip');
      t.equal(await redis.expire(h, 100), 1);
      const ttl = await redis.ttl(h);
      t.ok(ttl >= 99 && ttl <= 100, `ttl ${ttl} of a hash in [99, 100]`);
      t.equal(await redis.del(h, `${p}binh`), 2);
    });

    t.test('sets: sadd, smembers, algebra', async (t) => {
      const s = `${p}tags`;
      t.equal(await redis.sadd(s, 'red', 'green', 'blue', 'red'), 3);
      t.equal(await redis.sadd(s, ['red', 'pink']), 1, 'members as an array');
      t.same((await redis.smembers(s)).sort(), ['blue', 'green', 'pink', 'red']);
      t.same(await redis.smembers(`${p}notags`), []);
      t.equal(await redis.sismember(s, 'red'), 1);
      t.same(await redis.smismember(s, 'red', 'nope', 'blue'), [1, 0, 1]);
      t.equal(await redis.scard(s), 4);
      t.equal(await redis.srem(s, 'pink', 'nope'), 1);
      const picks = await redis.srandmember(s, -7);
      t.equal(picks.length, 7);
      t.ok(picks.every((m) => ['red', 'green', 'blue'].includes(m)), 'SRANDMEMBER -7 picks members');
      const popped = await redis.spop(s, 2);
      t.equal(popped.length, 2);
      t.equal(await redis.scard(s), 1);
      const last = (await redis.smembers(s))[0]!;
      t.equal(await redis.smove(s, `${p}moved`, last), 1);
      t.equal(await redis.exists(s), 0, 'the emptied set is gone');
      await redis.sadd(`${p}sa`, '1', '2', '3');
      await redis.sadd(`${p}sb`, '2', '3', '4');
      t.same((await redis.sinter(`${p}sa`, `${p}sb`)).sort(), ['2', '3']);
      t.same((await redis.sunion(`${p}sa`, `${p}sb`)).sort(), ['1', '2', '3', '4']);
      t.same(await redis.sdiff(`${p}sa`, `${p}sb`), ['1']);
      t.equal(await redis.sunionstore(`${p}u`, `${p}sa`, `${p}sb`), 4);
      t.equal(await redis.sinterstore(`${p}i`, `${p}sa`, `${p}nothing`), 0);
      t.equal(await redis.exists(`${p}i`), 0);
      const seen = new Set<string>();
      const stream = redis.sscanStream(`${p}u`, { count: 1 });
      const scan = async (): Promise<void> => {
        for await (const batch of stream) for (const m of batch as string[]) seen.add(m);
      };
      await withDeadline(scan(), 15_000, `sscanStream ${p}u`);
      t.same([...seen].sort(), ['1', '2', '3', '4']);
      t.equal(await redis.type(`${p}u`), 'set');
      const wrong = await rejection(redis.hget(`${p}u`, 'f'));
      t.equal(wrong.message, 'WRONGTYPE Operation against a key holding the wrong kind of value');
    });

    t.test('a pipeline of hashes and sets; MULTI over them', async (t) => {
      const pipe = redis.pipeline();
      for (let i = 0; i < 200; i++) {
        pipe.hset(`${p}cart`, `item:${i}`, i);
        pipe.hincrby(`${p}cart`, 'total', i);
        pipe.sadd(`${p}items`, `item:${i}`);
      }
      pipe.hget(`${p}cart`, 'total').hlen(`${p}cart`).scard(`${p}items`);
      const results = (await pipe.exec()) ?? [];
      t.equal(results.length, 603);
      t.ok(results.every(([err]) => err === null), 'no errors');
      t.same(results.slice(-3).map(([, r]) => r), [String((199 * 200) / 2), 201, 200]);
      const tx = await redis.multi().hset(`${p}acct`, { balance: 10 }).hincrby(`${p}acct`, 'balance', -3).hgetall(`${p}acct`).exec();
      t.same(tx, [[null, 1], [null, 7], [null, { balance: '7' }]]);
    });

    t.test('errors are ReplyError with Redis text', async (t) => {
      await redis.set(`${p}str`, 'abc');
      const notInt = await rejection(redis.incr(`${p}str`));
      t.ok(notInt instanceof ReplyError);
      t.equal(notInt.message, 'ERR value is not an integer or out of range');
      const unknown = await rejection(redis.call('NOSUCHCMD', 'a', 'b'));
      t.ok(unknown instanceof ReplyError);
      t.equal(unknown.message, "ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' ");
      const arity = await rejection(redis.call('GET'));
      t.equal(arity.message, "ERR wrong number of arguments for 'get' command");
      const syntax = await rejection(redis.call('SET', `${p}str`, 'v', 'NX', 'XX'));
      t.equal(syntax.message, 'ERR syntax error');
      const badExpire = await rejection(redis.call('SET', `${p}str`, 'v', 'EX', '0'));
      t.equal(badExpire.message, "ERR invalid expire time in 'set' command");
      t.equal(await redis.ping(), 'PONG', 'the connection still works after errors');
    });
  });
}

t.test('ioredis protocol 3 with replyMapping resp3 gets maps as objects', async (t) => {
  const redis = client(t, 3, { replyMapping: 'resp3' });
  await redis.connect();
  const hello = (await redis.call('HELLO', '3')) as Record<string, unknown>;
  t.equal(typeof hello, 'object');
  t.notOk(Array.isArray(hello), 'HELLO answers a RESP3 map');
  t.equal(hello.proto, 3);
  t.equal(await redis.get('io-r3:missing'), null);
});
