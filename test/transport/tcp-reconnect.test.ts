import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { CountingObserver, tcpNode, waitFor } from './helpers.js';
import type { TcpRpcTransport } from '../../src/transport/tcp-rpc.js';

/** Listens as nodeId on exactly this port, retrying briefly if the OS has not freed it yet. */
async function listenOn(nodeId: string, port: number): Promise<TcpRpcTransport> {
  for (let i = 0; ; i++) {
    try {
      return await tcpNode(nodeId, { port });
    } catch (err) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

t.test('after the peer restarts, requests reconnect on their own', async (t) => {
  const obs = new CountingObserver();
  // Time for backoff is the manual clock's: the test decides when a retry is due, not the machine's speed.
  const clock = new ManualClock();
  const a = await tcpNode('a', { observer: obs, clock, backoff: { initialMs: 20, maxMs: 80 } });
  let b = await tcpNode('b');
  const port = b.address.port;
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  a.setPeerAddress('b', b.address);
  b.onRequest(() => 'first life');
  t.equal(await a.request('b', 1), 'first life');

  const pending = a.request('b', 'never answered');
  b.onRequest(() => new Promise(() => {}));
  await new Promise((r) => setTimeout(r, 20));
  await b.close();
  await t.rejects(pending, { code: 'UNAVAILABLE', message: /connection to b lost/, reason: undefined }, 'a lost request may have been handled: no reason');
  t.notOk(a.isConnected('b'));
  t.notOk(a.isFailing('b'), 'a lost connection alone is not a failing peer');

  // While b is down: the first attempt is refused, then attempts wait out a backoff and fail fast.
  // Both never left this node, and say so in a typed reason.
  await t.rejects(a.request('b', 2), { code: 'UNAVAILABLE', message: /cannot connect to b at .*ECONNREFUSED/, reason: 'not-sent' });
  await t.rejects(a.request('b', 3), { code: 'UNAVAILABLE', message: /b is unreachable \(ECONNREFUSED\); next attempt in \d+ ms/, reason: 'not-sent' });

  b = await listenOn('b', port);
  b.onRequest(() => 'second life');
  await t.rejects(a.request('b', 4), { message: /unreachable/ }, 'still backing off');
  t.ok(a.isFailing('b'), 'failing while the backoff lasts');
  a.clearBackoff('b');
  t.notOk(a.isFailing('b'), 'gossip heard b: the backoff is forgotten');
  a.clearBackoff('nobody');
  t.equal(await a.request('b', 4.5), 'second life', 'and the next request connects at once');
  t.notOk(a.isFailing('nobody'));
  clock.advance(80);
  t.notOk(a.isFailing('b'), 'not failing once the next attempt is due');
  t.equal(await a.request('b', 5), 'second life');
  t.ok(a.isConnected('b'));
  t.ok(obs.errors.some(([, k]) => k === 'unavailable'));
});

t.test('consecutive failures back off exponentially; a success starts over', async (t) => {
  const clock = new ManualClock();
  const a = await tcpNode('a', { clock, backoff: { initialMs: 40, maxMs: 10_000 } });
  let b = await tcpNode('b');
  const port = b.address.port;
  await b.close();
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  a.setPeerAddress('b', { host: '127.0.0.1', port });
  const nextWait = async (): Promise<number> => {
    await t.rejects(a.request('b', 0), { message: /cannot connect/ });
    const err = (await a.request('b', 0).catch((e: Error) => e)) as Error;
    return Number(/next attempt in (\d+) ms/.exec(err.message)?.[1]);
  };
  const waits: number[] = [];
  for (let i = 0; i < 3; i++) {
    const ms = await nextWait();
    waits.push(ms);
    clock.advance(ms);
  }
  t.ok(waits[0]! >= 20 && waits[0]! <= 40, `first wait ${waits[0]}`);
  t.ok(waits[1]! >= 40 && waits[1]! <= 80, `second wait ${waits[1]}`);
  t.ok(waits[2]! >= 80 && waits[2]! <= 160, `third wait ${waits[2]}`);

  b = await listenOn('b', port);
  b.onRequest(() => 'up');
  t.equal(await a.request('b', 1), 'up');
  await b.close();
  await waitFor(() => !a.isConnected('b'));
  t.ok((await nextWait()) <= 40, 'the count of failures starts over after a success');
});

t.test('a dial that never completes its handshake times out', async (t) => {
  const { createServer } = await import('node:net');
  const silent = createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as { port: number }).port;
  const a = await tcpNode('a', { connectTimeoutMs: 50 });
  t.teardown(async () => {
    await a.close();
    silent.close();
  });
  a.setPeerAddress('b', { host: '127.0.0.1', port });
  await t.rejects(a.request('b', 1), { code: 'UNAVAILABLE', message: /no handshake within 50 ms/ });
});

t.test('closing while a dial is under way abandons it', async (t) => {
  const b = await tcpNode('b');
  const a = await tcpNode('a');
  t.teardown(() => b.close());
  b.onRequest(() => 1);
  a.setPeerAddress('b', b.address);
  const p = a.request('b', 1);
  await a.close();
  await t.rejects(p, { code: 'UNAVAILABLE', message: 'transport closed' });
  const c = await tcpNode('c');
  t.teardown(() => c.close());
  c.setPeerAddress('b', b.address);
  const q = c.request('b', 1);
  c.setPeerAddress('b', { host: '127.0.0.1', port: 1 });
  await t.rejects(q, { code: 'UNAVAILABLE', message: 'connection to b abandoned' });
  await t.rejects(c.request('b', 1), { code: 'UNAVAILABLE', message: /cannot connect to b at 127\.0\.0\.1:1/ });
});
