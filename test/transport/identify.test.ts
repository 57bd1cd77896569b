import { createServer, type Socket } from 'node:net';
import t from 'tap';
import { freePort } from '../support/free-port.js';
import { tcpNode } from './helpers.js';
import { memoryNet, outcome, run } from './memory-helpers.js';

t.test('TCP: identify returns the id of the node listening at an address', async (t) => {
  const a = await tcpNode('a');
  const b = await tcpNode('b-node');
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  t.equal(await a.identify(b.address), 'b-node');
  // The identifying connection is closed at once; the peer is not a link of a.
  t.notOk(a.isConnected('b-node'));
  // Knowing the id, a can now send requests.
  b.onRequest((from) => `hi ${from}`);
  a.setPeerAddress('b-node', b.address);
  t.equal(await a.request('b-node', 1), 'hi a');
});

t.test('TCP: identify authenticates with the cluster secret', async (t) => {
  const a = await tcpNode('a', { secret: 's3cret' });
  const b = await tcpNode('b', { secret: 's3cret' });
  const stranger = await tcpNode('stranger', { secret: 'other' });
  t.teardown(async () => {
    await a.close();
    await b.close();
    await stranger.close();
  });
  t.equal(await a.identify(b.address), 'b');
  await t.rejects(stranger.identify(b.address), { code: 'UNAVAILABLE', message: /cannot identify the node at 127\.0\.0\.1:\d+: .*authentication failed/ });
});

t.test('TCP: identify fails with UNAVAILABLE when nothing listens, for itself, and once closed', async (t) => {
  const a = await tcpNode('a');
  const port = await freePort();
  await t.rejects(a.identify({ host: '127.0.0.1', port }), { code: 'UNAVAILABLE', message: /ECONNREFUSED/ });
  await t.rejects(a.identify(a.address), { code: 'UNAVAILABLE', message: /peer claims this node id/ });
  await a.close();
  await t.rejects(a.identify({ host: '127.0.0.1', port }), { code: 'UNAVAILABLE', message: 'transport closed' });
});

t.test('TCP: identify gives up after the timeout when the handshake never comes', async (t) => {
  // A listener that accepts and says nothing.
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const a = await tcpNode('a');
  t.teardown(async () => {
    await a.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });
  const addr = silent.address() as { port: number };
  await t.rejects(a.identify({ host: '127.0.0.1', port: addr.port }, { timeoutMs: 50 }), { code: 'UNAVAILABLE', message: /no handshake within 50 ms/ });
});

t.test('memory: identify answers after a round trip, refuses nothing or itself, and hangs across a partition', async (t) => {
  const { clock, net } = memoryNet(3, { minDelayMs: 5, maxDelayMs: 5 });
  const a = net.attach('a', { requestTimeoutMs: 100 });
  const b = net.attach('b', { requestTimeoutMs: 100 });
  let got: unknown;
  void outcome(a.rpc.identify(b.address)).then((v) => (got = v));
  await run(clock, 9);
  t.equal(got, undefined, 'not before the round trip');
  await run(clock, 1);
  t.equal(got, 'b');

  const nowhere = outcome(a.rpc.identify({ host: '10.9.9.9', port: 1 }));
  const self = outcome(a.rpc.identify(a.address));
  await run(clock, 10);
  t.equal(await nowhere, 'UNAVAILABLE cannot identify the node at 10.9.9.9:1: ECONNREFUSED');
  t.equal(await self, `UNAVAILABLE cannot identify the node at ${a.address.host}:7000: refused: peer claims this node id`);

  net.partition(['a'], ['b']);
  let cut: unknown;
  void outcome(a.rpc.identify(b.address, { timeoutMs: 30 })).then((v) => (cut = v));
  await run(clock, 29);
  t.equal(cut, undefined);
  await run(clock, 1);
  t.match(cut, /UNAVAILABLE .*no handshake within 30 ms/);
  // The default timeout is the endpoint's request timeout.
  let cutDefault: unknown;
  void outcome(a.rpc.identify(b.address)).then((v) => (cutDefault = v));
  await run(clock, 100);
  t.match(cutDefault, /no handshake within 100 ms/);
  net.heal();

  await b.close();
  const closedTarget = outcome(a.rpc.identify(b.address));
  await run(clock, 10);
  t.match(await closedTarget, /ECONNREFUSED/);
  await a.close();
  t.equal(await outcome(a.rpc.identify(b.address)), 'UNAVAILABLE transport closed');
});
