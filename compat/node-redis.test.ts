import t from 'tap';
import { createClient, ErrorReply, RESP_TYPES } from 'redis';
import { startTarget } from './support/target.js';
import { allByteValues } from './support/values.js';
import { withDeadline } from './support/deadline.js';
import { rejection } from './support/rejection.js';

// node-redis 6 opens with HELLO 3 unless RESP: 2 is given. Both are driven
// through the same operations; the reply shapes they expose are identical.

const server = await startTarget(t);

/** A hash reply as a plain object, whether the client handed back an object or a Map. */
function record(reply: unknown): Record<string, string> {
  if (reply instanceof Map) return Object.fromEntries([...reply].map(([k, v]) => [String(k), String(v)]));
  return { ...(reply as Record<string, string>) };
}

for (const RESP of [3, 2] as const) {
  const p = `nr${RESP}:`;

  t.test(`node-redis RESP${RESP}`, async (t) => {
    const client = createClient({ socket: { host: '127.0.0.1', port: server.port, reconnectStrategy: false }, RESP, commandOptions: { timeout: 10_000 } });
    client.on('error', () => {
      // surfaced through the rejected commands instead
    });
    await client.connect();
    t.teardown(() => client.destroy());

    t.test('connects with the requested protocol', async (t) => {
      const hello = (await client.sendCommand(['HELLO'])) as unknown;
      const proto = hello instanceof Map ? hello.get('proto') : Array.isArray(hello) ? hello[hello.indexOf('proto') + 1] : (hello as Record<string, unknown>).proto;
      t.equal(proto, RESP);
      t.equal(await client.ping(), 'PONG');
    });

    t.test('strings: get, set, del, incr, append', async (t) => {
      t.equal(await client.set(`${p}k`, 'v'), 'OK');
      t.equal(await client.get(`${p}k`), 'v');
      t.equal(await client.get(`${p}missing`), null);
      t.equal(await client.set(`${p}k`, 'w', { condition: 'NX' }), null);
      t.equal(await client.getSet(`${p}k`, 'w'), 'v');
      t.equal(await client.getDel(`${p}k`), 'w');
      t.equal(await client.get(`${p}k`), null);
      t.equal(await client.incr(`${p}n`), 1);
      t.equal(await client.incrBy(`${p}n`, 9), 10);
      t.equal(await client.decrBy(`${p}n`, 3), 7);
      t.equal(await client.append(`${p}s`, 'ab'), 2);
      t.equal(await client.append(`${p}s`, 'cd'), 4);
      t.equal(await client.getRange(`${p}s`, 1, -1), 'bcd');
      t.equal(await client.setRange(`${p}s`, 1, 'XY'), 4);
      t.equal(await client.get(`${p}s`), 'aXYd');
      t.equal(await client.setNX(`${p}s`, 'zzz'), 0);
      t.equal(await client.strLen(`${p}s`), 4);
    });

    t.test('multi-key commands', async (t) => {
      t.equal(await client.mSet({ [`${p}a`]: '1', [`${p}b`]: '2', [`${p}c`]: '3' }), 'OK');
      t.same(await client.mGet([`${p}a`, `${p}missing`, `${p}b`, `${p}c`]), ['1', null, '2', '3']);
      t.equal(await client.exists([`${p}a`, `${p}b`, `${p}missing`]), 2);
      t.equal(await client.mSetNX({ [`${p}c`]: 'x', [`${p}d`]: 'y' }), 0);
      t.equal(await client.exists(`${p}d`), 0, 'MSETNX wrote nothing');
      t.equal(await client.del([`${p}a`, `${p}b`, `${p}missing`]), 2);
      t.equal(await client.unlink([`${p}c`]), 1);
      t.same(await client.mGet([`${p}a`, `${p}c`]), [null, null]);
    });

    t.test('expiry', async (t) => {
      await client.set(`${p}e`, 'v', { expiration: { type: 'EX', value: 100 } });
      const ttl = await client.ttl(`${p}e`);
      t.ok(ttl >= 99 && ttl <= 100, `ttl ${ttl} in [99, 100]`);
      t.equal(await client.pExpire(`${p}e`, 50_000), 1);
      const pttl = await client.pTTL(`${p}e`);
      t.ok(pttl > 48_000 && pttl <= 50_000, `pttl ${pttl} in (48000, 50000]`);
      const at = Math.floor(Date.now() / 1000) + 1000;
      t.equal(await client.expireAt(`${p}e`, at), 1);
      t.equal(await client.expireTime(`${p}e`), at);
      t.equal(await client.persist(`${p}e`), 1);
      t.equal(await client.ttl(`${p}e`), -1);
      t.equal(await client.ttl(`${p}nothing`), -2);
    });

    t.test('scanIterator', async (t) => {
      const pipe = client.multi();
      for (let i = 0; i < 250; i++) pipe.set(`${p}scan:${i}`, String(i));
      await pipe.execAsPipeline();
      // Its own connection: a SCAN problem then fails this test alone.
      const scanner = client.duplicate();
      scanner.on('error', () => {
        // surfaced through the rejected commands instead
      });
      await scanner.connect();
      t.teardown(() => scanner.destroy());
      const seen = new Set<string>();
      const scan = async (): Promise<void> => {
        for await (const keys of scanner.scanIterator({ MATCH: `${p}scan:*`, COUNT: 40 })) {
          for (const key of keys) seen.add(key);
        }
      };
      await withDeadline(scan(), 15_000, `SCAN MATCH ${p}scan:* COUNT 40 through scanIterator`);
      t.equal(seen.size, 250);
      t.ok(await client.dbSize() >= 250);
      t.same((await client.keys(`${p}scan:1?`)).sort(), Array.from({ length: 10 }, (_, i) => `${p}scan:1${i}`).sort());
    });

    t.test('pipelining', async (t) => {
      const pipe = client.multi();
      for (let i = 0; i < 500; i++) pipe.incr(`${p}ctr`);
      const replies = await pipe.execAsPipeline();
      t.same(replies, Array.from({ length: 500 }, (_, i) => i + 1), 'INCR replies in order');
      // Concurrent commands on one connection are pipelined by the client.
      const many = await Promise.all(Array.from({ length: 200 }, (_, i) => client.set(`${p}conc:${i}`, String(i))));
      t.ok(many.every((r) => r === 'OK'));
      const back = await client.mGet(Array.from({ length: 200 }, (_, i) => `${p}conc:${i}`));
      t.same(back, Array.from({ length: 200 }, (_, i) => String(i)));
    });

    t.test('binary values', async (t) => {
      const bytes = allByteValues();
      t.equal(await client.set(`${p}bin`, bytes), 'OK');
      const buffers = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
      const back = await buffers.get(`${p}bin`);
      t.ok(Buffer.isBuffer(back) && back.equals(bytes), 'all byte values round trip');
      const big = Buffer.alloc(700 * 1024, 0xab);
      await client.set(`${p}big`, big);
      t.ok((await buffers.get(`${p}big`))?.equals(big), '700 KiB value round trip');
    });

    t.test('hashes: hSet with an object, hGetAll', async (t) => {
      const h = `${p}user:1`;
      t.equal(await client.hSet(h, { name: 'ada', lang: 'en', visits: 0 }), 3);
      t.equal(await client.hSet(h, 'email', 'ada@example.com'), 1);
      t.equal(await client.hSet(h, [['lang', 'fr'], ['city', 'paris']]), 1, 'field/value tuples');
      t.equal(await client.hGet(h, 'name'), 'ada');
      t.equal(await client.hGet(h, 'nope'), null);
      t.same(record(await client.hGetAll(h)), { name: 'ada', lang: 'fr', visits: '0', email: 'ada@example.com', city: 'paris' });
      t.same(record(await client.hGetAll(`${p}nouser`)), {});
      t.same(await client.hmGet(h, ['name', 'nope', 'lang']), ['ada', null, 'fr']);
      t.same((await client.hKeys(h)).sort(), ['city', 'email', 'lang', 'name', 'visits']);
      t.same((await client.hVals(h)).sort(), ['0', 'ada', 'ada@example.com', 'fr', 'paris']);
      t.equal(await client.hLen(h), 5);
      t.equal(await client.hExists(h, 'name'), 1);
      t.equal(await client.hExists(h, 'nope'), 0);
      t.equal(await client.hStrLen(h, 'email'), 15);
      t.equal(await client.hSetNX(h, 'name', 'bob'), 0);
      t.equal(await client.hIncrBy(h, 'visits', 5), 5);
      t.equal(Number(await client.hIncrByFloat(h, 'score', 1.5)), 1.5);
      t.equal(await client.hDel(h, ['city', 'nope']), 1);
      const all = record(await client.hGetAll(h));
      const picks = await client.hRandFieldCountWithValues(h, -6);
      t.equal(picks.length, 6);
      t.ok(picks.every(({ field, value }) => all[field] === value), 'HRANDFIELD -6 WITHVALUES: fields with their values');
      const scanned: Record<string, string> = {};
      const scan = async (): Promise<void> => {
        for await (const entries of client.hScanIterator(h, { COUNT: 2 })) for (const { field, value } of entries) scanned[field] = value;
      };
      await withDeadline(scan(), 15_000, `HSCAN ${h} through hScanIterator`);
      t.same(scanned, all, 'hScanIterator sees every field');
      t.equal(await client.type(h), 'hash');
      const wrong = await rejection(client.get(h));
      t.ok(wrong instanceof ErrorReply);
      t.equal(wrong.message, 'WRONGTYPE Operation against a key holding the wrong kind of value');
      const notFloat = await rejection(client.hIncrByFloat(h, 'name', 1));
      t.equal(notFloat.message, 'ERR hash value is not a float');
      t.equal(await client.del([h]), 1);
    });

    t.test('sets: sAdd, sMembers, algebra', async (t) => {
      const s = `${p}tags`;
      t.equal(await client.sAdd(s, ['red', 'green', 'blue', 'red']), 3);
      t.equal(await client.sAdd(s, 'pink'), 1);
      t.same([...(await client.sMembers(s))].sort(), ['blue', 'green', 'pink', 'red']);
      t.same([...(await client.sMembers(`${p}notags`))], []);
      t.equal(await client.sIsMember(s, 'red'), 1);
      t.same(await client.smIsMember(s, ['red', 'nope']), [1, 0]);
      t.equal(await client.sCard(s), 4);
      t.equal(await client.sRem(s, ['pink', 'nope']), 1);
      const picks = await client.sRandMemberCount(s, -7);
      t.equal(picks.length, 7);
      t.ok(picks.every((m) => ['red', 'green', 'blue'].includes(m)), 'SRANDMEMBER -7 picks members');
      const popped = [...(await client.sPopCount(s, 2))];
      t.equal(popped.length, 2);
      const [last] = [...(await client.sMembers(s))];
      t.equal(await client.sMove(s, `${p}moved`, last!), 1);
      t.equal(await client.exists(s), 0, 'the emptied set is gone');
      await client.sAdd(`${p}sa`, ['1', '2', '3']);
      await client.sAdd(`${p}sb`, ['2', '3', '4']);
      t.same([...(await client.sInter([`${p}sa`, `${p}sb`]))].sort(), ['2', '3']);
      t.same([...(await client.sUnion([`${p}sa`, `${p}sb`]))].sort(), ['1', '2', '3', '4']);
      t.same([...(await client.sDiff([`${p}sa`, `${p}sb`]))], ['1']);
      t.equal(await client.sUnionStore(`${p}su`, [`${p}sa`, `${p}sb`]), 4);
      t.equal(await client.sDiffStore(`${p}sd`, [`${p}sa`, `${p}sa`]), 0);
      t.equal(await client.exists(`${p}sd`), 0);
      const seen = new Set<string>();
      const scan = async (): Promise<void> => {
        for await (const members of client.sScanIterator(`${p}su`, { COUNT: 1 })) for (const m of members) seen.add(m);
      };
      await withDeadline(scan(), 15_000, `SSCAN ${p}su through sScanIterator`);
      t.same([...seen].sort(), ['1', '2', '3', '4']);
      t.equal(await client.type(`${p}su`), 'set');
      const typed = new Set<string>();
      for await (const keys of client.scanIterator({ MATCH: `${p}s?`, TYPE: 'set' })) for (const k of keys) typed.add(k);
      t.same([...typed].sort(), [`${p}sa`, `${p}sb`, `${p}su`], 'SCAN TYPE set');
    });

    t.test('hashes and sets in a pipeline and a transaction', async (t) => {
      const pipe = client.multi();
      for (let i = 0; i < 200; i++) pipe.hSet(`${p}cart`, `item:${i}`, i).hIncrBy(`${p}cart`, 'total', i).sAdd(`${p}items`, `item:${i}`);
      const replies = await pipe.execAsPipeline();
      t.equal(replies.length, 600);
      t.equal(await client.hGet(`${p}cart`, 'total'), String((199 * 200) / 2));
      t.equal(await client.hLen(`${p}cart`), 201);
      t.equal(await client.sCard(`${p}items`), 200);
      const tx = await client.multi().hSet(`${p}acct`, { balance: 10 }).hIncrBy(`${p}acct`, 'balance', -3).hGetAll(`${p}acct`).exec();
      t.same([tx[0], tx[1], record(tx[2])], [1, 7, { balance: '7' }]);
    });

    t.test('errors are ErrorReply with Redis text', async (t) => {
      await client.set(`${p}str`, 'abc');
      const notInt = await rejection(client.incr(`${p}str`));
      t.ok(notInt instanceof ErrorReply);
      t.equal(notInt.message, 'ERR value is not an integer or out of range');
      const unknown = await rejection(client.sendCommand(['NOSUCHCMD', 'x']));
      t.equal(unknown.message, "ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' ");
      const arity = await rejection(client.sendCommand(['SET', 'only-key']));
      t.equal(arity.message, "ERR wrong number of arguments for 'set' command");
      const notFloat = await rejection(client.sendCommand(['INCRBYFLOAT', `${p}str`, 'abc']));
      t.equal(notFloat.message, 'ERR value is not a valid float');
      t.equal(await client.sendCommand(['SELECT', '0']), 'OK', 'SELECT 0 is accepted');
      t.equal(await client.ping(), 'PONG', 'connection still works after errors');
    });
  });
}
