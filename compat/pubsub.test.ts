import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { startCluster } from '../test/support/node-process.js';
import { waitForNormal } from '../test/cluster/helpers.js';
import type { Teardown } from '../test/support/node-process.js';
import { runPyChecks } from './support/py-checks.js';
import { PYTHON_REDIS, PYTHON_REDIS_HINT, requireTool } from './support/outside-tool.js';
import { isQuorumKV, startTarget } from './support/target.js';

// Pub/Sub through ioredis and redis-py: on one server (QuorumKV or, with
// QKV_COMPAT_TARGET=redis, redis-server), and across two nodes of a 3-node
// cluster: subscribed through one node, published through another.

function client(t: Teardown, port: number, protocol?: 2 | 3): Redis {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 10_000, ...(protocol ? { protocol } : {}) });
  t.teardown(() => redis.disconnect());
  return redis;
}

/** The next `n` (p)message events, or a rejection after timeoutMs. */
function messages(sub: Redis, n: number, timeoutMs = 10_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const got: string[] = [];
    const timer = setTimeout(() => reject(new Error(`got ${got.length} of ${n} messages: ${JSON.stringify(got)}`)), timeoutMs);
    const take = (line: string): void => {
      got.push(line);
      if (got.length < n) return;
      clearTimeout(timer);
      sub.off('message', onMessage);
      sub.off('pmessage', onPmessage);
      resolve(got);
    };
    const onMessage = (channel: string, message: string): void => take(`message ${channel} ${message}`);
    const onPmessage = (pattern: string, channel: string, message: string): void => take(`pmessage ${pattern} ${channel} ${message}`);
    sub.on('message', onMessage);
    sub.on('pmessage', onPmessage);
  });
}

/** Publishes until the subscriber hears it (a cluster's members learn of each other by gossip), then waits for stragglers. */
async function publishUntilHeard(pub: Redis, sub: Redis, channel: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const heard = messages(sub, 1, 500).then(
      () => true,
      () => false,
    );
    await pub.publish(channel, 'probe');
    if (await heard) {
      await new Promise((r) => setTimeout(r, 300));
      return;
    }
  }
  throw new Error(`no message on ${channel} reached the subscriber`);
}

async function ioredisChecks(t: Test, subPort: number, pubPort: number, protocol: 2 | 3 | undefined, p: string): Promise<void> {
  const sub = client(t, subPort, protocol);
  const pub = client(t, pubPort, protocol);
  await sub.connect();
  await pub.connect();
  t.equal(await sub.subscribe(`${p}news`), 1);
  await publishUntilHeard(pub, sub, `${p}news`);
  t.equal(await sub.psubscribe(`${p}ev.*`), 2);
  const got = messages(sub, 3);
  await pub.publish(`${p}news`, 'hello');
  await pub.publish(`${p}ev.created`, 'one');
  await pub.publish(`${p}news`, 'bye');
  t.same(await got, [`message ${p}news hello`, `pmessage ${p}ev.* ${p}ev.created one`, `message ${p}news bye`], 'in publish order, each once');
  const burst = messages(sub, 50);
  for (let i = 0; i < 50; i++) void pub.publish(`${p}news`, String(i));
  t.same(await burst, Array.from({ length: 50 }, (_, i) => `message ${p}news ${i}`), 'a pipelined burst arrives in order');
  t.equal(await sub.unsubscribe(`${p}news`), 1);
  t.equal(await sub.punsubscribe(), 0);
  t.equal(await sub.ping(), 'PONG', 'out of subscribed mode');
}

t.test('one server', async (t) => {
  const server = await startTarget(t);
  for (const protocol of [undefined, 2] as const) {
    t.test(`ioredis ${protocol === undefined ? 'default protocol' : 'protocol 2'}`, async (t) => {
      await ioredisChecks(t, server.port, server.port, protocol, `io${protocol ?? 'd'}:`);
    });
  }
  if (requireTool(t, 'redis-py', PYTHON_REDIS, ['-c', 'import redis'], PYTHON_REDIS_HINT)) {
    t.test('redis-py pubsub()', async (t) => {
      await runPyChecks(t, 'pubsub_checks.py', server.port, server.port, 10);
    });
  }
});

if (isQuorumKV) {
  t.test('two nodes of a 3-node cluster', async (t) => {
    const nodes = await startCluster({ t });
    const ports = nodes.map((n) => n.port);
    await waitForNormal(ports, ['node1', 'node2', 'node3']);
    const [a, b, c] = ports as [number, number, number];
    t.test('ioredis: subscribed on one node, published on another', async (t) => {
      await ioredisChecks(t, a, b, undefined, 'ioc:');
    });
    t.test('PUBLISH answers the receivers on the node that got it', async (t) => {
      const sub = client(t, a);
      const pub = client(t, c);
      await sub.connect();
      await pub.connect();
      await sub.subscribe('ioc:count');
      await publishUntilHeard(pub, sub, 'ioc:count');
      t.equal(await pub.publish('ioc:count', 'x'), 0, 'no subscriber on the publishing node');
      t.equal(await client(t, a).publish('ioc:count', 'x'), 1);
    });
    if (requireTool(t, 'redis-py', PYTHON_REDIS, ['-c', 'import redis'], PYTHON_REDIS_HINT)) {
      t.test('redis-py pubsub(): subscribed on one node, published on another', async (t) => {
        await runPyChecks(t, 'pubsub_checks.py', c, a, 10);
      });
    }
  });
}
