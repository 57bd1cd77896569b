import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { RuntimeConfig } from '../../src/config/runtime.js';
import { parseTlsProtocols } from '../../src/config/tls-options.js';

/** The TLS options' rules between each other, and secrets never echoed in errors. */
const load = (argv: string[]) => loadConfig(argv, {}, () => {
  throw new Error('no file');
});
function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}

const CERT = ['--tls-cert-file', '/c.crt', '--tls-key-file', '/c.key'];

t.test('a TLS port or tls-cluster needs a certificate, a key and (to check others) a CA', async (t) => {
  t.match(errorOf(() => load(['--tls-port', '6380'])).message, /--tls-cert-file: tls-port needs a certificate/);
  t.match(errorOf(() => load(['--tls-port', '6380', '--tls-cert-file', '/c'])).message, /--tls-key-file: tls-port needs the certificate's key/);
  t.match(errorOf(() => load(['--tls-port', '6380', ...CERT])).message, /tls-auth-clients yes needs the CA/);
  t.equal(load(['--tls-port', '6380', ...CERT, '--tls-auth-clients', 'no']).tlsPort, 6380, 'no CA needed when clients are not checked');
  t.match(errorOf(() => load(['--tls-cluster', 'yes', ...CERT, '--tls-auth-clients', 'no'])).message, /tls-cluster needs the CA/);
  t.equal(load(['--tls-cluster', 'yes', ...CERT, '--tls-ca-cert-dir', '/cas']).tlsCluster, true);
  t.match(errorOf(() => load(['--tls-port', '6379', ...CERT, '--tls-auth-clients', 'no'])).message, /--tls-port: must differ from port/);
});

t.test('--port 0 beside --tls-port: the peer port follows the TLS port', async (t) => {
  const c = load(['--port', '0', '--tls-port', '6380', ...CERT, '--tls-auth-clients', 'no']);
  t.equal(c.port, 0);
  t.equal(c.peerPort, 16380);
});

t.test('tls-protocols takes Redis names', async (t) => {
  t.same(parseTlsProtocols('TLSv1.2 TLSv1.3'), ['TLSv1.2', 'TLSv1.3']);
  t.same(parseTlsProtocols('tlsv1.3'), ['TLSv1.3']);
  t.equal(parseTlsProtocols('SSLv3'), undefined);
  t.equal(parseTlsProtocols(''), undefined);
  t.match(errorOf(() => load(['--tls-protocols', 'SSLv3'])).message, /--tls-protocols: expected TLS protocol names/);
});

t.test('a refused secret is described by its length, never echoed', async (t) => {
  const secret = 'S3cr3t-' + 'x'.repeat(5000);
  for (const name of ['requirepass', 'cluster-secret']) {
    const message = errorOf(() => load([`--${name}`, secret])).message;
    t.notMatch(message, /S3cr3t/, `--${name}: the value is not in the message`);
    t.match(message, /got a value of 5007 bytes/);
  }
  const runtime = new RuntimeConfig(load([]));
  const message = errorOf(() => runtime.set('requirepass', secret)).message;
  t.notMatch(message, /S3cr3t/, 'CONFIG SET requirepass does not echo it either');
});

t.test("CONFIG GET tls-* prints the defaults redis-server 7.0 prints for the same names", async (t) => {
  // From `redis-cli CONFIG GET 'tls-*'` against redis-server 7.0.15 with no TLS options.
  const redis: Record<string, string> = {
    'tls-port': '0',
    'tls-cert-file': '',
    'tls-key-file': '',
    'tls-ca-cert-file': '',
    'tls-ca-cert-dir': '',
    'tls-auth-clients': 'yes',
    'tls-protocols': '',
    'tls-ciphers': '',
    'tls-ciphersuites': '',
    'tls-cluster': 'no',
  };
  t.same(Object.fromEntries(new RuntimeConfig(load([])).matching('tls-*')), redis);
});
