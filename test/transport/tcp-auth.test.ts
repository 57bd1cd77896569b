import t from 'tap';
import { CountingObserver, tcpPair, tcpNode } from './helpers.js';

t.test('nodes with the same secret authenticate each other', async (t) => {
  const obs = new CountingObserver();
  const [a, b] = await tcpPair({ secret: 'shared', observer: obs }, { secret: Buffer.from('shared'), observer: obs });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  b.onRequest((from) => `hello ${from}`);
  a.onRequest((from) => `hello ${from}`);
  t.equal(await a.request('b', 1), 'hello a');
  t.equal(await b.request('a', 1), 'hello b');
  t.same(obs.auth, []);
});

t.test('a wrong secret is refused and counted, both as dialer and as acceptor', async (t) => {
  const obsA = new CountingObserver();
  const obsB = new CountingObserver();
  const [a, b] = await tcpPair({ secret: 'one', observer: obsA }, { secret: 'two', observer: obsB });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  b.onRequest(() => 'secret stuff');
  a.onRequest(() => 'secret stuff');
  // a dials b: b's proof does not verify under a's secret, so a refuses and counts.
  await t.rejects(a.request('b', 1), { code: 'UNAVAILABLE', message: /cannot connect to b at .*: authentication failed/ });
  t.same(obsA.auth.map(([, r]) => r), ['authentication failed']);
  t.notOk(a.isConnected('b'));
  // A dialer without the secret: the acceptor sees no valid proof and counts.
  const intruder = await tcpNode('intruder');
  t.teardown(() => intruder.close());
  intruder.setPeerAddress('b', b.address);
  await t.rejects(intruder.request('b', 1), { message: /refused: authentication required/ });
  t.same(obsB.auth.map(([, r]) => r), ['authentication required']);
  t.match(obsB.auth[0]![0], /^127\.0\.0\.1:\d+$/);
  // A dialer with a wrong secret that reached the acceptor's check.
  const liar = await tcpNode('liar', { secret: 'two-ish' });
  t.teardown(() => liar.close());
  liar.setPeerAddress('a', a.address);
  await t.rejects(liar.request('a', 1), { message: /authentication failed/ });
});

t.test('a node with a secret refuses a peer that does not prove one', async (t) => {
  const obs = new CountingObserver();
  const [a, b] = await tcpPair({ secret: 'mine', observer: obs }, {});
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  b.onRequest(() => 1);
  await t.rejects(a.request('b', 1), { message: /peer did not authenticate/ });
  t.same(obs.auth.map(([, r]) => r), ['peer did not authenticate']);
});

t.test('without secrets, node ids, cluster names and versions are still exchanged', async (t) => {
  const obs = new CountingObserver();
  const [a, b] = await tcpPair({ clusterName: 'east', observer: obs }, { clusterName: 'west', observer: obs });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  b.onRequest(() => 1);
  await t.rejects(a.request('b', 1), { message: /refused: cluster 'east' is not 'west'/ });
  t.equal(obs.auth.length, 1);
  const twin = await tcpNode('b', { clusterName: 'west' });
  t.teardown(() => twin.close());
  twin.setPeerAddress('b2', b.address);
  await t.rejects(twin.request('b2', 1), { message: /refused: peer claims this node id/ });
});
