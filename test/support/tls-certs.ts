import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Certificates for TLS tests, made at test time with the openssl CLI in a
 * temp dir: a CA, a server certificate for 127.0.0.1 and localhost signed
 * by it (nodes present it to clients and to each other), a client
 * certificate from the same CA, and a second, unrelated CA with its own
 * server and client certificates for the wrong-CA cases.
 */
export interface TlsFiles {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA that signed none of the above. */
  readonly otherCaCert: string;
  /** A server certificate and a client certificate from the other CA. */
  readonly otherServerCert: string;
  readonly otherServerKey: string;
  readonly otherClientCert: string;
  readonly otherClientKey: string;
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync('openssl', [...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`]);
}

async function makeSigned(dir: string, ca: string, name: string, extensions: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
}

const SERVER_EXT = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n';
const CLIENT_EXT = 'extendedKeyUsage=clientAuth\n';

/** True when the openssl CLI runs. */
export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Makes the certificates; the dir is removed when the test ends. */
export async function makeTlsFiles(t?: { teardown(fn: () => unknown): void }): Promise<TlsFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'qkv-tls-'));
  t?.teardown(() => rm(dir, { recursive: true, force: true }));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  // The node's certificate is used both as server and as client certificate (peers dial each other).
  await makeSigned(dir, 'ca', 'server', SERVER_EXT);
  await makeSigned(dir, 'ca', 'client', CLIENT_EXT);
  await makeSigned(dir, 'other-ca', 'other-server', SERVER_EXT);
  await makeSigned(dir, 'other-ca', 'other-client', CLIENT_EXT);
  const f = (name: string): string => join(dir, name);
  return {
    dir,
    caCert: f('ca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    clientCert: f('client.crt'),
    clientKey: f('client.key'),
    otherCaCert: f('other-ca.crt'),
    otherServerCert: f('other-server.crt'),
    otherServerKey: f('other-server.key'),
    otherClientCert: f('other-client.crt'),
    otherClientKey: f('other-client.key'),
  };
}

/** The server options that turn TLS on for clients with these files (plus tls-auth-clients). */
export function tlsServerArgs(files: TlsFiles, tlsPort: number, authClients: 'yes' | 'no' | 'optional' = 'yes'): string[] {
  return [
    '--tls-port', String(tlsPort),
    '--tls-cert-file', files.serverCert,
    '--tls-key-file', files.serverKey,
    '--tls-ca-cert-file', files.caCert,
    '--tls-auth-clients', authClients,
  ];
}
