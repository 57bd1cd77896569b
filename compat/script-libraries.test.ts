import t from 'tap';
import type { Test } from 'tap';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { startCluster } from '../test/support/node-process.js';
import { waitForNormal } from '../test/cluster/helpers.js';
import { runPyChecks } from './support/py-checks.js';
import { PYTHON_REDIS, PYTHON_REDIS_HINT, requireTool } from './support/outside-tool.js';
import { isQuorumKV, startTarget } from './support/target.js';

/**
 * Libraries built on Lua scripts, as applications use them: redlock (lock,
 * extend, unlock, two clients contending), rate-limiter-flexible's
 * RateLimiterRedis (consume until blocked, then blocked with the time left)
 * and redis-py's Lock, against one node and through two nodes of a 3-node
 * cluster (QKV_COMPAT_TARGET=redis runs the single-node part against Redis).
 */

interface Lock {
  readonly value: string;
  extend(ttl: number): Promise<Lock>;
  unlock(): Promise<void>;
}
interface RedlockLike {
  lock(resource: string, ttl: number): Promise<Lock>;
}
type RedlockCtor = new (clients: Redis[], opts: { retryCount: number; retryDelay: number; driftFactor?: number }) => RedlockLike;
const Redlock = createRequire(import.meta.url)('redlock') as RedlockCtor;

function client(t: Test, port: number): Redis {
  const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 20_000 });
  t.teardown(() => c.disconnect());
  return c;
}

async function redlockChecks(t: Test, entry: number, other: number, prefix: string): Promise<void> {
  const a = client(t, entry);
  const b = client(t, other);
  const mine = new Redlock([a], { retryCount: 3, retryDelay: 50 });
  const theirs = new Redlock([b], { retryCount: 3, retryDelay: 50 });
  const resource = `${prefix}:redlock`;
  // TTLs leave room for a slow machine: the lock must outlive the contention attempt below.
  const lock = await mine.lock(resource, 10_000);
  t.equal(await a.get(resource), lock.value, 'the lock key holds the lock value');
  await t.rejects(theirs.lock(resource, 10_000), { name: 'LockError' }, 'a second client cannot take a held lock');
  const extended = await lock.extend(60_000);
  t.ok((await a.pttl(resource)) > 30_000, 'extend() moved the expiry');
  await extended.unlock();
  t.equal(await a.exists(resource), 0, 'unlock() removed the key');
  const next = await theirs.lock(resource, 10_000);
  t.equal(await b.get(resource), next.value, 'the other client takes it once released');
  await next.unlock();
}

/**
 * Six redlock clients spread over every node race for one lock, round after
 * round: at most one wins each round (the lock script's EXISTS-then-SET runs
 * at the key's first replica, one script at a time).
 */
async function redlockRace(t: Test, ports: readonly number[]): Promise<void> {
  const lockers = Array.from({ length: 6 }, (_, i) => new Redlock([client(t, ports[i % ports.length]!)], { retryCount: 0, retryDelay: 10, driftFactor: 0.01 }));
  let rounds = 0;
  let won = 0;
  for (let round = 0; round < 15; round++) {
    const outcomes = await Promise.all(lockers.map((l) => l.lock('race:redlock', 10_000).then((lock) => lock, () => null)));
    const winners = outcomes.filter((l): l is Lock => l !== null);
    if (winners.length > 1) t.fail(`round ${round}: ${winners.length} clients hold the lock at once`);
    rounds++;
    won += winners.length;
    for (const w of winners) await w.unlock();
  }
  t.equal(rounds, 15);
  t.ok(won >= 10, `a client won most rounds (${won} of 15), and never two at once`);
}

async function rateLimiterChecks(t: Test, port: number, prefix: string): Promise<void> {
  const limiter = new RateLimiterRedis({ storeClient: client(t, port), points: 3, duration: 10, keyPrefix: `${prefix}:rl` });
  for (let left = 2; left >= 0; left--) {
    const res = await limiter.consume('user1');
    t.equal(res.remainingPoints, left, `consumed, ${left} left`);
  }
  const blocked = await limiter.consume('user1').then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(blocked instanceof RateLimiterRes, 'the fourth consume is rejected with a RateLimiterRes (blocked), not an error');
  const res = blocked as RateLimiterRes;
  t.equal(res.consumedPoints, 4);
  t.ok(res.msBeforeNext > 5000 && res.msBeforeNext <= 10_000, `msBeforeNext ${res.msBeforeNext} is what is left of the 10 s window`);
  t.equal((await limiter.consume('user2')).remainingPoints, 2, 'another key has its own budget');
}

async function allChecks(t: Test, entry: number, other: number, prefix: string): Promise<void> {
  await t.test('redlock', (t) => redlockChecks(t, entry, other, prefix));
  await t.test('rate-limiter-flexible', (t) => rateLimiterChecks(t, entry, prefix));
  await t.test('redis-py Lock', async (t) => {
    if (requireTool(t, 'redis-py', PYTHON_REDIS, ['-c', 'import redis'], PYTHON_REDIS_HINT)) await runPyChecks(t, 'script_lock.py', entry, other, 3);
  });
}

t.test('one node', async (t) => {
  const server = await startTarget(t);
  await allChecks(t, server.port, server.port, 'single');
});

if (isQuorumKV) {
  t.test('3-node cluster, two entry nodes', async (t) => {
    const nodes = await startCluster({ t });
    const ports = nodes.map((n) => n.port);
    await waitForNormal(ports, ['node1', 'node2', 'node3']);
    await allChecks(t, ports[0]!, ports[1]!, 'cluster');
    await t.test('redlock: six clients on three nodes race for one lock', (t) => redlockRace(t, ports));
    const c = client(t, ports[2]!);
    for (const tag of ['user42', 'order7', 'x']) {
      t.same(await c.call('QKV.REPLICAS', `{${tag}}:a`), await c.call('QKV.REPLICAS', `pre{${tag}}:b`), `keys tagged {${tag}} share their replicas, in order`);
    }
    const untagged = new Set<string>();
    for (let i = 0; i < 20; i++) untagged.add(JSON.stringify(await c.call('QKV.REPLICAS', `user42:${i}`)));
    t.ok(untagged.size > 1, 'keys without a tag are spread (the check above can fail)');
  });
}
