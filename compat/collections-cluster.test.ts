import t from 'tap';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startCluster } from '../test/support/node-process.js';
import { waitForNormal } from '../test/cluster/helpers.js';
import { runPyChecks } from './support/py-checks.js';
import { PYTHON_REDIS, PYTHON_REDIS_HINT, requireTool } from './support/outside-tool.js';
import { isQuorumKV } from './support/target.js';

// Hashes and sets through the clients applications use, against a 3-node
// cluster (N=3 R=2 W=2): what is written through one node is read through
// another, and increments of one field and adds of distinct fields and
// members through several nodes at once all count.

if (isQuorumKV) {
  const nodes = await startCluster({ t });
  const ports = nodes.map((n) => n.port);
  await waitForNormal(ports, ['node1', 'node2', 'node3']);
  const [a, b, c] = ports as [number, number, number];

  const io = (port: number): Redis => {
    const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 20_000 });
    t.teardown(() => r.disconnect());
    return r;
  };

  t.test('ioredis: hset with an object through one node, hgetall through another; increments and adds through all three', async (t) => {
    const [ia, ib, ic] = [io(a), io(b), io(c)];
    await Promise.all([ia.connect(), ib.connect(), ic.connect()]);
    t.equal(await ia.hset('iocoll:user', { name: 'ada', lang: 'en' }), 2);
    t.same(await ib.hgetall('iocoll:user'), { name: 'ada', lang: 'en' });
    await Promise.all(
      [ia, ib, ic].map(async (r, i) => {
        const pipe = r.pipeline();
        for (let k = 0; k < 100; k++) pipe.hincrby('iocoll:user', 'visits', 1).hset('iocoll:user', `f:${i}:${k}`, k).sadd('iocoll:tags', `m:${i}:${k}`);
        const res = (await pipe.exec()) ?? [];
        t.ok(
          res.every(([err]) => err === null),
          `no error through node ${i + 1}`,
        );
      }),
    );
    for (const r of [ia, ib, ic]) {
      t.equal(await r.hget('iocoll:user', 'visits'), '300', 'every increment counted');
      t.equal(await r.hlen('iocoll:user'), 303, 'every field there');
      t.equal(await r.scard('iocoll:tags'), 300, 'every member there');
    }
    t.same((await ic.smembers('iocoll:tags')).sort(), [0, 1, 2].flatMap((i) => Array.from({ length: 100 }, (_, k) => `m:${i}:${k}`)).sort());
    const tx = await ia.multi().hincrby('iocoll:acct', 'balance', 10).srem('iocoll:tags', 'm:0:0').exec();
    t.same(tx, [[null, 10], [null, 1]]);
    t.equal(await ib.sismember('iocoll:tags', 'm:0:0'), 0, 'the removal is seen through another node');
  });

  t.test('node-redis: hSet/hGetAll and sAdd/sMembers through different nodes', async (t) => {
    const clients = [a, b, c].map((port) => {
      const cl = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false }, commandOptions: { timeout: 20_000 } });
      cl.on('error', () => undefined);
      return cl;
    });
    await Promise.all(clients.map((cl) => cl.connect()));
    t.teardown(() => clients.forEach((cl) => cl.destroy()));
    const [na, nb, nc] = clients as [(typeof clients)[0], (typeof clients)[0], (typeof clients)[0]];
    t.equal(await na.hSet('nrcoll:user', { name: 'ada', visits: 0 }), 2);
    t.same({ ...(await nb.hGetAll('nrcoll:user')) }, { name: 'ada', visits: '0' });
    await Promise.all(
      clients.map(async (cl, i) => {
        for (let k = 0; k < 50; k++) {
          await cl.hIncrBy('nrcoll:user', 'visits', 2);
          await cl.sAdd('nrcoll:tags', `m:${i}:${k}`);
        }
      }),
    );
    t.equal(await nc.hGet('nrcoll:user', 'visits'), '300');
    t.equal(await na.sCard('nrcoll:tags'), 150);
    t.equal(await nb.sIsMember('nrcoll:tags', 'm:2:49'), 1);
    t.equal(await nc.sMove('nrcoll:tags', 'nrcoll:done', 'm:1:0'), 1);
    t.same([...(await na.sMembers('nrcoll:done'))], ['m:1:0'], 'SMOVE seen through another node');
    t.equal(await nb.type('nrcoll:user'), 'hash');
  });

  if (requireTool(t, 'redis-py', PYTHON_REDIS, ['-c', 'import redis'], PYTHON_REDIS_HINT)) {
    t.test('redis-py hashes and sets through different nodes (compat/py/cluster_collections.py)', async (t) => {
      await runPyChecks(t, 'cluster_collections.py', a, c, 8);
    });
  }
}
