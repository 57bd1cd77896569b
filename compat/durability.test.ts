import t from 'tap';
import { Redis } from 'ioredis';
import { startTarget } from './support/target.js';

// Acknowledged writes survive kill -9: 10,000 keys written through a
// pipelined client (half with a one-hour TTL), the process killed, restarted
// on the same data dir and ports, every key read back with its value and TTL.

const KEYS = 10_000;
const TTL_SECONDS = 3600;
const key = (i: number): string => `dur:${i}`;
const value = (i: number): string => `value-${i}-${'x'.repeat(i % 50)}`;

t.test('10,000 keys survive kill -9 and restart', async (t) => {
  const server = await startTarget(t, { durable: true });
  const connect = async (): Promise<Redis> => {
    const redis = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 30_000 });
    await redis.connect();
    return redis;
  };

  const writer = await connect();
  const writtenAt = Date.now();
  for (let start = 0; start < KEYS; start += 1000) {
    const pipe = writer.pipeline();
    for (let i = start; i < start + 1000; i++) {
      if (i % 2 === 0) pipe.set(key(i), value(i), 'EX', TTL_SECONDS);
      else pipe.set(key(i), value(i));
    }
    const results = (await pipe.exec()) ?? [];
    const failed = results.filter(([err, reply]) => err !== null || reply !== 'OK');
    t.equal(failed.length, 0, `batch at ${start} acknowledged`, { first: failed[0] });
  }
  writer.disconnect();

  const crash = await server.kill9();
  t.equal(crash.signal, 'SIGKILL', 'the server was killed, not stopped');
  await server.restart();

  const reader = await connect();
  t.teardown(() => reader.disconnect());
  t.equal(await reader.dbsize(), KEYS, 'DBSIZE counts every key');

  const pipe = reader.pipeline();
  for (let i = 0; i < KEYS; i++) pipe.get(key(i)).pttl(key(i));
  const replies = (await pipe.exec()) ?? [];
  const elapsedMs = Date.now() - writtenAt;
  const wrongValues: string[] = [];
  const wrongTtls: string[] = [];
  for (let i = 0; i < KEYS; i++) {
    const [getErr, got] = replies[2 * i] ?? [];
    const [ttlErr, pttl] = replies[2 * i + 1] ?? [];
    if (getErr !== null || got !== value(i)) wrongValues.push(`${key(i)}: ${String(getErr ?? got)}`);
    const ttlOk =
      ttlErr === null &&
      (i % 2 === 0
        ? typeof pttl === 'number' && pttl <= TTL_SECONDS * 1000 && pttl >= TTL_SECONDS * 1000 - elapsedMs - 1000
        : pttl === -1);
    if (!ttlOk) wrongTtls.push(`${key(i)}: ${String(ttlErr ?? pttl)}`);
  }
  t.same(wrongValues.slice(0, 10), [], `all ${KEYS} values came back (${wrongValues.length} wrong)`);
  t.same(wrongTtls.slice(0, 10), [], `all TTLs came back (${wrongTtls.length} wrong)`);
});
