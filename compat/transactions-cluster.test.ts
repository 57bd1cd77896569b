import t from 'tap';
import { Redis } from 'ioredis';
import { createClient, WatchError } from 'redis';
import { startCluster } from '../test/support/node-process.js';
import { waitForNormal } from '../test/cluster/helpers.js';
import { runPyChecks } from './support/py-checks.js';
import { PYTHON_REDIS, PYTHON_REDIS_HINT, requireTool } from './support/outside-tool.js';
import { isQuorumKV } from './support/target.js';

// MULTI/EXEC and WATCH through the clients applications use, against a
// 3-node cluster (N=3 R=2 W=2): a key watched through one node and changed
// through another must abort EXEC, since WATCH reads the key's version from
// a quorum of its replicas.

if (isQuorumKV) {
  const nodes = await startCluster({ t });
  const ports = nodes.map((n) => n.port);
  await waitForNormal(ports, ['node1', 'node2', 'node3']);
  const [a, b, c] = ports as [number, number, number];

  t.test('ioredis multi() and watch() through different nodes', async (t) => {
    const io = new Redis({ host: '127.0.0.1', port: b, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 20_000 });
    const elsewhere = new Redis({ host: '127.0.0.1', port: c, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 20_000 });
    t.teardown(() => {
      io.disconnect();
      elsewhere.disconnect();
    });
    await io.connect();
    await elsewhere.connect();
    const res = await io.multi().set('iotx:a', '1').incr('iotx:a').hset('iotx:h', 'f', 'v').sadd('iotx:s', 'x').exec();
    t.same(res, [[null, 'OK'], [null, 2], [null, 1], [null, 1]]);
    t.equal(await elsewhere.get('iotx:a'), '2', 'seen through another node');
    await io.watch('iotx:w');
    await elsewhere.set('iotx:w', 'theirs');
    t.equal(await io.multi().set('iotx:w', 'mine').exec(), null, 'EXEC answers null: the watched key changed');
    t.equal(await io.get('iotx:w'), 'theirs');
    await io.watch('iotx:w2');
    t.same(await io.multi().set('iotx:w2', 'mine').exec(), [[null, 'OK']], 'an unchanged watched key lets EXEC run');
  });

  t.test('node-redis multi() and watch() through different nodes', async (t) => {
    const nr = createClient({ socket: { host: '127.0.0.1', port: a, reconnectStrategy: false }, commandOptions: { timeout: 20_000 } });
    const elsewhere = createClient({ socket: { host: '127.0.0.1', port: b, reconnectStrategy: false }, commandOptions: { timeout: 20_000 } });
    nr.on('error', () => undefined);
    elsewhere.on('error', () => undefined);
    await nr.connect();
    await elsewhere.connect();
    t.teardown(() => {
      nr.destroy();
      elsewhere.destroy();
    });
    t.same(await nr.multi().set('nrtx:a', '5').incrBy('nrtx:a', 5).get('nrtx:a').exec(), ['OK', 10, '10']);
    await nr.watch('nrtx:w');
    await elsewhere.set('nrtx:w', 'theirs');
    const iso = await nr
      .multi()
      .set('nrtx:w', 'mine')
      .exec()
      .then(
        () => 'executed',
        (e: unknown) => (e instanceof WatchError ? 'WatchError' : String(e)),
      );
    t.equal(iso, 'WatchError');
    t.equal(await nr.get('nrtx:w'), 'theirs');
  });

  if (requireTool(t, 'redis-py', PYTHON_REDIS, ['-c', 'import redis'], PYTHON_REDIS_HINT)) {
    t.test('redis-py pipeline(), transaction() and WatchError through different nodes', async (t) => {
      await runPyChecks(t, 'cluster_tx.py', a, c, 6);
    });
  }
}
