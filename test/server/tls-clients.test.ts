import t from 'tap';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { freePort } from '../support/free-port.js';
import { makeTlsFiles, tlsServerArgs, type TlsFiles } from '../support/tls-certs.js';
import { RawClient } from './raw-client.js';
import { runStatus } from '../../src/server/status-cli.js';
import { startTestNode, eventually, type TestNode } from './node-harness.js';

/**
 * The client TLS port (--tls-port): the same RESP handling as the plain port,
 * tls-auth-clients yes/optional/no, certificates re-read by CONFIG SET, and
 * plain text on the TLS port dropped without harm.
 */
const files = await makeTlsFiles(t);

function withCert(f: TlsFiles, ca = f.caCert): ConnectionOptions {
  return { ca: readFileSync(ca), cert: readFileSync(f.clientCert), key: readFileSync(f.clientKey), servername: 'localhost' };
}
function noCert(ca: string): ConnectionOptions {
  return { ca: readFileSync(ca), servername: 'localhost' };
}

async function tlsNode(mode: 'yes' | 'no' | 'optional', extra: string[] = []): Promise<TestNode & { tlsPort: number }> {
  // The harness's --port 0 would turn the plain port off beside --tls-port: give it a port.
  const n = await startTestNode(t, [...tlsServerArgs(files, await freePort(), mode), '--port', String(await freePort()), ...extra]);
  return Object.assign(n, { tlsPort: n.node.tlsPort! });
}

/** Served: PING answers PONG over the connection. */
async function served(port: number, options: ConnectionOptions): Promise<boolean> {
  const c = await RawClient.connectTls(port, options);
  try {
    return (await c.call('PING')) === '+PONG\r\n';
  } catch {
    return false;
  } finally {
    c.close();
  }
}

function info(raw: RawClient, field: string): Promise<number> {
  return raw.call('INFO', 'stats', 'clients').then((text) => Number(new RegExp(`${field}:(\\d+)`).exec(text)?.[1]));
}

t.test('tls-auth-clients yes: a client certificate from the CA is required', async (t) => {
  const n = await tlsNode('yes');
  t.ok(await served(n.tlsPort, withCert(files)), 'client with a certificate from the CA is served');
  t.notOk(await served(n.tlsPort, noCert(files.caCert)), 'client without a certificate is closed');
  const other = { ...withCert(files), cert: readFileSync(files.otherClientCert), key: readFileSync(files.otherClientKey) };
  t.notOk(await served(n.tlsPort, other), 'client with a certificate from another CA is closed');
  const plain = await n.raw();
  t.equal(await info(plain, 'rejected_connections'), 2, 'both refusals counted');
});

t.test('tls-auth-clients optional and no', async (t) => {
  const opt = await tlsNode('optional');
  const other = { ...withCert(files), cert: readFileSync(files.otherClientCert), key: readFileSync(files.otherClientKey) };
  t.ok(await served(opt.tlsPort, noCert(files.caCert)), 'optional: no certificate is fine');
  t.ok(await served(opt.tlsPort, withCert(files)), 'optional: a valid certificate is fine');
  t.notOk(await served(opt.tlsPort, other), 'optional: a certificate from another CA is refused');
  const no = await tlsNode('no');
  t.ok(await served(no.tlsPort, noCert(files.caCert)), 'no: no certificate');
  t.ok(await served(no.tlsPort, other), 'no: any certificate');
  const raw = await opt.raw();
  t.equal(await raw.call('CONFIG', 'SET', 'tls-auth-clients', 'yes'), '+OK\r\n', 'tls-auth-clients is settable');
  t.notOk(await served(opt.tlsPort, noCert(files.caCert)), 'after CONFIG SET yes a client without certificate is refused');
});

t.test('a wrong CA on the client side fails the handshake with a clear error', async (t) => {
  const n = await tlsNode('no');
  await t.rejects(RawClient.connectTls(n.tlsPort, noCert(files.otherCaCert)), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
});

t.test('TLS clients get the same handling as plain ones: client list, limits, info', async (t) => {
  const n = await tlsNode('yes');
  const secure = await RawClient.connectTls(n.tlsPort, withCert(files));
  t.teardown(() => secure.close());
  t.equal(await secure.call('CLIENT', 'SETNAME', 'over-tls'), '+OK\r\n');
  const plain = await n.raw();
  t.match(await plain.call('CLIENT', 'LIST'), /name=over-tls/, 'the TLS client is in the plain client\'s CLIENT LIST');
  t.equal(await secure.call('SET', 'k', 'v'), '+OK\r\n');
  t.equal(await plain.call('GET', 'k'), '$1\r\nv\r\n');
  t.equal(await info(plain, 'connected_clients'), 2);
  // The parser limits hold on TLS too: an oversized bulk length is a protocol error, then close.
  secure.send('*1\r\n$9999999999\r\n');
  t.match((await secure.read(1))[0], /^-ERR Protocol error: invalid bulk length/);
  await secure.waitClosed();
});

t.test('plain text on the TLS port is dropped; the node keeps serving and holds no socket for it', async (t) => {
  const n = await tlsNode('yes');
  const plain = await n.raw();
  const before = await info(plain, 'connected_clients');
  for (let i = 0; i < 20; i++) {
    await new Promise<void>((resolve) => {
      const s = connect(n.tlsPort, '127.0.0.1', () => s.write('PING\r\n*1\r\n$4\r\nPING\r\n'));
      s.on('error', () => undefined);
      s.on('close', () => resolve());
    });
  }
  t.equal(await info(plain, 'connected_clients'), before, 'no RESP connection was made for them');
  t.ok(await served(n.tlsPort, withCert(files)), 'TLS clients are still served');
  t.equal(await plain.call('PING'), '+PONG\r\n', 'plain clients are still served');
  await eventually(async () => (await info(plain, 'rejected_connections')) >= 20, 5000, 'handshake failures counted');
});

t.test('CONFIG SET tls-cert-file/tls-key-file re-reads the certificate; a bad file keeps the old one', async (t) => {
  const n = await tlsNode('no', ['--log-level', 'error']);
  const admin = await n.raw();
  t.ok(await served(n.tlsPort, noCert(files.caCert)), 'first certificate, from the CA');
  t.equal(
    await admin.call('CONFIG', 'SET', 'tls-cert-file', files.otherServerCert, 'tls-key-file', files.otherServerKey),
    '+OK\r\n',
  );
  t.ok(await served(n.tlsPort, noCert(files.otherCaCert)), 'new clients get the new certificate');
  await t.rejects(RawClient.connectTls(n.tlsPort, noCert(files.caCert)), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'the old one is gone');
  t.equal(
    await admin.call('CONFIG', 'SET', 'tls-cert-file', files.caCert),
    "-ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs.\r\n",
    'a certificate that does not match the key is refused',
  );
  t.equal(
    await admin.call('CONFIG', 'SET', 'tls-ca-cert-file', `${files.dir}/missing.crt`),
    "-ERR CONFIG SET failed (possibly related to argument 'tls-ca-cert-file') - Unable to update TLS configuration. Check server logs.\r\n",
    'a missing file is refused',
  );
  t.equal(await admin.call('CONFIG', 'GET', 'tls-cert-file'), `*2\r\n$13\r\ntls-cert-file\r\n$${files.otherServerCert.length}\r\n${files.otherServerCert}\r\n`, 'the setting stays');
  t.ok(await served(n.tlsPort, noCert(files.otherCaCert)), 'the context in force stays');
});

t.test('--port 0 beside --tls-port turns the plain port off', async (t) => {
  const tlsPort = await freePort();
  const n = await startTestNode(t, [...tlsServerArgs(files, tlsPort, 'yes'), '--port', '0']);
  t.equal(n.node.port, tlsPort, 'the node reports the TLS port as its client port');
  t.equal(n.node.tlsPort, tlsPort);
  t.ok(await served(tlsPort, withCert(files)));
  let out = '';
  const tlsArgs = ['--tls', '--cacert', files.caCert, '--cert', files.clientCert, '--key', files.clientKey];
  t.equal(await runStatus(['-p', String(tlsPort), ...tlsArgs, '--json'], { out: (s) => (out += s), err: (s) => (out += s) }, {}), 0, 'quorumkv status --tls reaches a TLS-only node');
  t.equal((JSON.parse(out) as { self: string }).self, n.node.nodeId);
  const plainText = await RawClient.connect(tlsPort);
  plainText.send('PING\r\n');
  await plainText.waitClosed();
  t.pass('the only port is the TLS one: plain text there is closed');
});
