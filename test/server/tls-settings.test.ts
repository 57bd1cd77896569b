import t from 'tap';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';
import { makeTlsFiles } from '../support/tls-certs.js';
import { RawClient } from './raw-client.js';
import { startTestNode } from './node-harness.js';

/**
 * The TLS settings beyond the certificate: a CA directory, the protocol
 * range and cipher lists, each settable; and a node with --tls-cluster
 * re-reading its peer certificate on CONFIG SET.
 */
const files = await makeTlsFiles(t);
const caDir = join(files.dir, 'cas');
await mkdir(caDir);
await copyFile(files.caCert, join(caDir, 'ca.pem'));

const ERR_TLS = (name: string): string => `-ERR CONFIG SET failed (possibly related to argument '${name}') - Unable to update TLS configuration. Check server logs.\r\n`;

async function node(extra: string[]): Promise<{ admin: RawClient; tlsPort: number }> {
  const tlsPort = await freePort();
  const n = await startTestNode(t, [
    '--port', String(await freePort()),
    '--tls-port', String(tlsPort),
    '--tls-cert-file', files.serverCert,
    '--tls-key-file', files.serverKey,
    '--tls-ca-cert-dir', caDir,
    ...extra,
  ]);
  return { admin: await n.raw(), tlsPort };
}

async function connects(port: number, options: Record<string, unknown>): Promise<boolean> {
  try {
    const c = await RawClient.connectTls(port, { ca: await readFile(files.caCert), cert: await readFile(files.clientCert), key: await readFile(files.clientKey), servername: 'localhost', ...options });
    const ok = (await c.call('PING')) === '+PONG\r\n';
    c.close();
    return ok;
  } catch {
    return false;
  }
}

t.test('client certificates are checked against the CAs of --tls-ca-cert-dir', async (t) => {
  const { admin, tlsPort } = await node([]);
  t.ok(await connects(tlsPort, {}), 'a client certificate from the CA in the directory');
  t.equal(await admin.call('CONFIG', 'SET', 'tls-ca-cert-dir', join(files.dir, 'missing')), ERR_TLS('tls-ca-cert-dir'), 'a missing directory is refused');
  t.ok(await connects(tlsPort, {}), 'the CAs in force stay');
});

t.test('tls-protocols and the cipher lists limit what a client may negotiate', async (t) => {
  const { admin, tlsPort } = await node([]);
  t.ok(await connects(tlsPort, { maxVersion: 'TLSv1.2' }), 'TLSv1.2 by default');
  t.equal(await admin.call('CONFIG', 'SET', 'tls-protocols', 'TLSv1.3'), '+OK\r\n');
  t.notOk(await connects(tlsPort, { maxVersion: 'TLSv1.2' }), 'TLSv1.2 refused once only TLSv1.3 is allowed');
  t.ok(await connects(tlsPort, {}), 'TLSv1.3 still served');
  t.equal(await admin.call('CONFIG', 'SET', 'tls-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256'), '+OK\r\n');
  t.ok(await connects(tlsPort, { ciphers: 'TLS_CHACHA20_POLY1305_SHA256' }), 'the allowed suite');
  t.notOk(await connects(tlsPort, { ciphers: 'TLS_AES_128_GCM_SHA256' }), 'another suite is refused');
  t.equal(await admin.call('CONFIG', 'SET', 'tls-ciphers', 'NO-SUCH-CIPHER'), ERR_TLS('tls-ciphers'), 'a cipher list OpenSSL cannot use is refused');
  t.equal(await admin.call('CONFIG', 'SET', 'tls-protocols', 'SSLv3'), "-ERR CONFIG SET failed (possibly related to argument 'tls-protocols') - expected TLS protocol names among TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, separated by spaces, got 'SSLv3'\r\n");
});

t.test('with --tls-cluster, CONFIG SET re-reads the peer certificate too', async (t) => {
  const { admin, tlsPort } = await node(['--tls-cluster', 'yes', '--n', '2', '--cluster-secret', 's']);
  t.equal(await admin.call('CONFIG', 'SET', 'tls-cert-file', files.otherServerCert, 'tls-key-file', files.otherServerKey), '+OK\r\n');
  t.notOk(await connects(tlsPort, {}), 'clients that trust only the first CA no longer accept the node');
  t.equal(await admin.call('CONFIG', 'SET', 'tls-key-file', files.serverKey), ERR_TLS('tls-key-file'), 'a key that does not match the certificate is refused');
});
