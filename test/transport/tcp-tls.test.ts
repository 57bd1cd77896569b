import t from 'tap';
import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import type { PeerTls } from '../../src/transport/peer-tls.js';
import { makeTlsFiles } from '../support/tls-certs.js';
import { CountingObserver, tcpNode, tcpPair } from './helpers.js';

/** Peer TCP over mutual TLS: only a certificate from the CA gets through, in either direction. */
const files = await makeTlsFiles(t);

function peerTls(cert: string, key: string, ca = files.caCert): PeerTls {
  const options: SecureContextOptions = { cert: readFileSync(cert), key: readFileSync(key), ca: readFileSync(ca) };
  return { options: () => options };
}
const good = peerTls(files.serverCert, files.serverKey);

t.test('two peers with certificates from the CA talk both ways, with the secret handshake inside', async (t) => {
  const [a, b] = await tcpPair({ tls: good, secret: 's' }, { tls: good, secret: 's' });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  a.onRequest((from) => `a hears ${from}`);
  b.onRequest((from) => `b hears ${from}`);
  t.equal(await a.request('b', 1), 'b hears a');
  t.equal(await b.request('a', 1), 'a hears b');
  t.equal(await a.identify(b.address), 'b');
});

t.test('a peer with a certificate from another CA, none, or plain TCP cannot connect', async (t) => {
  const obs = new CountingObserver();
  const b = await tcpNode('b', { tls: good, observer: obs });
  t.teardown(() => b.close());
  b.onRequest(() => 'served');
  const intruders = [
    await tcpNode('other-ca', { tls: peerTls(files.otherServerCert, files.otherServerKey, files.caCert) }),
    await tcpNode('plain'),
  ];
  for (const x of intruders) {
    t.teardown(() => x.close());
    x.setPeerAddress('b', b.address);
    await t.rejects(x.request('b', 1, { timeoutMs: 2000 }), { code: 'UNAVAILABLE' }, `${x.nodeId} is refused`);
  }
  t.equal(obs.auth.length, 2, 'both refusals are reported');
  t.ok(obs.auth.every(([, why]) => why.startsWith('TLS: ')));
  t.equal(b.inboundConnections, 0, 'no connection is served');
});

t.test('the dialer refuses a listener whose certificate is not from its CA', async (t) => {
  const rogue = await tcpNode('rogue', { tls: peerTls(files.otherServerCert, files.otherServerKey, files.otherCaCert) });
  const a = await tcpNode('a', { tls: good });
  t.teardown(async () => {
    await a.close();
    await rogue.close();
  });
  rogue.onRequest(() => 'stolen');
  a.setPeerAddress('rogue', rogue.address);
  await t.rejects(a.request('rogue', 1, { timeoutMs: 2000 }), { code: 'UNAVAILABLE' });
});
