import t from 'tap';
import { createClient, ErrorReply, RESP_TYPES } from 'redis';
import { startTarget } from './support/target.js';
import { allByteValues } from './support/values.js';
import { withDeadline } from './support/deadline.js';
import { rejection } from './support/rejection.js';

// node-redis 6 opens with HELLO 3 unless RESP: 2 is given. Both are driven
// through the same operations; the reply shapes they expose are identical.

const server = await startTarget(t);

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
