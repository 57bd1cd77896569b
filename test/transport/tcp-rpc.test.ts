import t from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../../src/transport/types.js';
import { CountingObserver, tcpNode, tcpPair, waitFor } from './helpers.js';

t.test('a request gets its reply, with the sender known to the handler', async (t) => {
  const obs = new CountingObserver();
  const [a, b] = await tcpPair({ observer: obs });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  b.onRequest((from, msg) => ({ from, echo: msg }));
  t.notOk(a.isConnected('b'));
  const msg = { type: 'read', key: Buffer.from([0, 1, 255]), big: 1n << 62n, list: [1, 'x', null] };
  t.same(await a.request('b', msg), { from: 'a', echo: msg });
  t.ok(a.isConnected('b'));
  t.notOk(b.isConnected('a'), 'each direction has its own connection');
  t.same(obs.latencies.length, 1);
  t.same(obs.inflights, [['b', 1], ['b', 0]]);
  t.equal(a.address.host, '127.0.0.1');
  t.ok(a.address.port > 0);
});

t.test('many concurrent requests share one connection and each gets its own reply', async (t) => {
  const [a, b] = await tcpPair({ maxInFlightPerPeer: 10_000 }, { maxInFlightPerPeer: 10_000 });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  // Replies finish out of order: later requests are answered first.
  b.onRequest(async (_from, msg) => {
    const n = msg as number;
    await new Promise((r) => setTimeout(r, (2000 - n) % 7));
    return n * 2;
  });
  const n = 2000;
  const replies = await Promise.all(Array.from({ length: n }, (_, i) => a.request('b', i)));
  t.same(replies, Array.from({ length: n }, (_, i) => i * 2));
  t.equal(a.inFlight('b'), 0);
  t.equal(b.inboundConnections, 1, 'all of them over one connection');
  t.equal(a.requestsSent, n, 'each request counted once, as one frame');
});

t.test('large messages go through whole, alongside small ones', async (t) => {
  const [a, b] = await tcpPair();
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  b.onRequest((_f, m) => m);
  const big = Buffer.alloc(3 * 1024 * 1024, 7);
  const replies = await Promise.all([a.request('b', big), a.request('b', 'small'), a.request('b', { big })]);
  t.ok((replies[0] as Buffer).equals(big));
  t.equal(replies[1], 'small');
  t.ok((replies[2] as { big: Buffer }).big.equals(big));
});

t.test('errors thrown by the remote handler come back with their code and message', async (t) => {
  const obs = new CountingObserver();
  const [a, b] = await tcpPair({ observer: obs });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  await t.rejects(a.request('b', 'x'), { code: 'UNAVAILABLE', message: 'b is not serving requests yet' });
  b.onRequest((_from, msg) => {
    if (msg === 'conflict') throw new QkvError('CONFLICT', 'version changed');
    if (msg === 'async') return Promise.reject(new QkvError('TIMEOUT', 'replicas slow'));
    if (msg === 'plain') throw new TypeError('oops');
    if (msg === 'unencodable') return { f: 1n << 90n };
    if (msg === 'huge') return Buffer.alloc(DEFAULT_MAX_FRAME_BYTES + 1);
    return 'fine';
  });
  const err = await a.request('b', 'conflict').catch((e: unknown) => e);
  t.ok(err instanceof QkvError);
  t.match(err, { code: 'CONFLICT', message: 'version changed' });
  await t.rejects(a.request('b', 'async'), { code: 'TIMEOUT', message: 'replicas slow' });
  await t.rejects(a.request('b', 'plain'), { code: 'ERR', message: 'oops' });
  await t.rejects(a.request('b', 'unencodable'), { code: 'ERR', message: /cannot be encoded/ });
  await t.rejects(a.request('b', 'huge'), { code: 'ERR', message: /exceeds the maximum frame/ });
  t.equal(await a.request('b', 'other'), 'fine', 'the connection survives every error');
  t.ok(obs.errors.filter(([, k]) => k === 'remote').length >= 5);
});

t.test('a request that cannot be sent fails alone', async (t) => {
  const [a, b] = await tcpPair({ maxFrameBytes: 1000 }, { maxFrameBytes: 1000 });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  b.onRequest((_f, m) => m);
  t.equal(await a.request('b', 'warm'), 'warm');
  await t.rejects(a.request('b', Buffer.alloc(2000)), { code: 'ERR', message: /exceeds the maximum frame of 1000/ });
  await t.rejects(a.request('b', { x: 1n << 70n }), { code: 'ERR', message: /cannot be encoded/ });
  t.equal(await a.request('b', 'after'), 'after');
  // The first request of a new connection too.
  const c = await tcpNode('c', { maxFrameBytes: 1000 });
  t.teardown(() => c.close());
  c.setPeerAddress('b', b.address);
  await t.rejects(c.request('b', Buffer.alloc(2000)), { code: 'ERR' });
});

t.test('a request with no reply times out; its late reply is ignored', async (t) => {
  const obs = new CountingObserver();
  const [a, b] = await tcpPair({ observer: obs, requestTimeoutMs: 80 });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  b.onRequest(async (_f, m) => {
    if (m === 'slow') await gate;
    return m;
  });
  await t.rejects(a.request('b', 'slow'), { code: 'TIMEOUT', message: 'request to b timed out after 80 ms' });
  await t.rejects(a.request('b', 'slow', { timeoutMs: 20 }), { code: 'TIMEOUT', message: /after 20 ms/ });
  release();
  t.equal(await a.request('b', 'fast'), 'fast');
  t.same(obs.errors.filter(([, k]) => k === 'timeout').length, 2);
});

t.test('in-flight requests are bounded: callers queue, then fail fast', async (t) => {
  const obs = new CountingObserver();
  const [a, b] = await tcpPair({ observer: obs, maxInFlightPerPeer: 2, maxQueuedPerPeer: 3 });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  let inHandler = 0;
  let maxInHandler = 0;
  const gates: Array<() => void> = [];
  b.onRequest(async (_f, m) => {
    inHandler++;
    maxInHandler = Math.max(maxInHandler, inHandler);
    await new Promise<void>((r) => gates.push(r));
    inHandler--;
    return m;
  });
  const accepted = [1, 2, 3, 4, 5].map((i) => a.request('b', i));
  await t.rejects(a.request('b', 6), { code: 'UNAVAILABLE', message: 'too many requests in flight to b' });
  t.same(obs.errors, [['b', 'overloaded']]);
  await waitFor(() => gates.length === 2);
  t.equal(a.inFlight('b'), 2);
  for (let released = 0; released < 5; released++) {
    await waitFor(() => gates.length > released);
    gates[released]!();
  }
  t.same(await Promise.all(accepted), [1, 2, 3, 4, 5]);
  t.equal(maxInHandler, 2, 'the peer never saw more than two at once');
});

t.test('a peer serving too many requests from one connection refuses the excess', async (t) => {
  const [a, b] = await tcpPair({ maxInFlightPerPeer: 10 }, { maxInFlightPerPeer: 2 });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const gates: Array<() => void> = [];
  b.onRequest(async (_f, m) => {
    await new Promise<void>((r) => gates.push(r));
    return m;
  });
  const results = [1, 2, 3].map((i) => a.request('b', i).catch((e: QkvError) => e.message));
  await waitFor(() => gates.length === 2);
  gates.forEach((g) => g());
  t.same(await Promise.all(results), [1, 2, 'too many requests in flight from a']);
});

t.test('requests to unknown peers, to itself, and after close', async (t) => {
  const obs = new CountingObserver();
  const a = await tcpNode('a', { observer: obs });
  a.onRequest((from, m) => {
    if (m === 'fail') throw new QkvError('CONFLICT', 'local');
    return { from, m };
  });
  await t.rejects(a.request('zz', 1), { code: 'UNAVAILABLE', message: 'no address for zz' });
  t.same(obs.errors, [['zz', 'unavailable']]);
  t.notOk(a.isConnected('zz'));
  t.equal(a.inFlight('zz'), 0);
  const m = { k: Buffer.from('v') };
  const reply = (await a.request('a', m)) as { from: string; m: typeof m };
  t.same(reply, { from: 'a', m });
  t.not(reply.m, m, 'a request to itself is copied as if it crossed the network');
  await t.rejects(a.request('a', 'fail'), { code: 'CONFLICT', message: 'local' });
  a.setPeerAddress('a', { host: '127.0.0.1', port: 1 });
  await a.close();
  await a.close();
  await t.rejects(a.request('a', 1), { code: 'UNAVAILABLE', message: 'transport closed' });
  a.setPeerAddress('b', { host: '127.0.0.1', port: 1 });
  t.notOk(a.isConnected('b'));
  const fresh = await tcpNode('fresh');
  await t.rejects(fresh.request('fresh', 1), { code: 'UNAVAILABLE', message: 'fresh is not serving requests yet' });
  await fresh.close();
  t.throws(() => fresh.address, { code: 'ERR' });
});

t.test('close rejects pending requests on both sides and stops serving', async (t) => {
  const [a, b] = await tcpPair();
  const never = new Promise(() => {});
  b.onRequest(() => never);
  a.onRequest(() => never);
  const pendingAtoB = a.request('b', 1);
  const pendingBtoA = b.request('a', 1);
  await waitFor(() => a.isConnected('b') && b.isConnected('a'));
  await a.close();
  await t.rejects(pendingAtoB, { code: 'UNAVAILABLE', message: 'transport closed' });
  await t.rejects(pendingBtoA, { code: 'UNAVAILABLE', message: /connection to a lost/ });
  await waitFor(() => !b.isConnected('a'));
  await t.rejects(b.request('a', 2), { code: 'UNAVAILABLE', message: /cannot connect to a at 127\.0\.0\.1:\d+: ECONNREFUSED/ });
  await b.close();
});

t.test('forgetting a peer fails its requests; a new address moves the connection', async (t) => {
  const [a, b] = await tcpPair();
  const c = await tcpNode('b2');
  t.teardown(async () => {
    await a.close();
    await b.close();
    await c.close();
  });
  b.onRequest(() => new Promise(() => {}));
  const pending = a.request('b', 1);
  await waitFor(() => a.isConnected('b'));
  a.setPeerAddress('b', { ...b.address });
  t.ok(a.isConnected('b'), 'the same address keeps the connection');
  a.setPeerAddress('b', null);
  await t.rejects(pending, { code: 'UNAVAILABLE', message: 'b is no longer a peer' });
  await t.rejects(a.request('b', 1), { message: 'no address for b' });

  // b's address now answers as b2: the handshake notices the wrong node.
  a.setPeerAddress('b', c.address);
  await t.rejects(a.request('b', 1), { code: 'UNAVAILABLE', message: /expected node b but b2 answered/ });
  a.setPeerAddress('b', b.address);
  b.onRequest(() => 'moved back');
  t.equal(await a.request('b', 1), 'moved back', 'a new address forgets the failures of the old one');
  const p = a.request('b', 'x', { timeoutMs: 1000 });
  b.onRequest(() => new Promise(() => {}));
  a.setPeerAddress('b', c.address);
  await t.rejects(p, { code: 'UNAVAILABLE', message: /connection to b lost: b moved/ });
});
