import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CIPHERS, createSecureContext, type SecureContextOptions, type SecureVersion } from 'node:tls';
import type { NodeConfig } from '../config/node-config.js';
import { parseTlsProtocols } from '../config/tls-options.js';

/**
 * The TLS material of a node, read from the files its options name: the
 * certificate and key it presents, the CA it checks clients and peers
 * against, and the protocol range and ciphers it allows. Reading is
 * synchronous and all-or-nothing, so a CONFIG SET either swaps in a
 * complete, validated context or leaves the old one in place.
 */
export type TlsFiles = Pick<
  NodeConfig,
  'tlsCertFile' | 'tlsKeyFile' | 'tlsCaCertFile' | 'tlsCaCertDir' | 'tlsProtocols' | 'tlsCiphers' | 'tlsCiphersuites'
>;

/** The tls-* options whose change re-reads the material. */
export const TLS_MATERIAL_OPTIONS = ['tls-cert-file', 'tls-key-file', 'tls-ca-cert-file', 'tls-ca-cert-dir', 'tls-protocols', 'tls-ciphers', 'tls-ciphersuites'] as const;

/** A file that cannot be read or does not hold what it should; the message names the option and the file. */
export class TlsMaterialError extends Error {}

function read(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TlsMaterialError(`--${option} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The CA certificates of a directory: its *.pem, *.crt and *.cer files. */
function readCaDir(dir: string): Buffer[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new TlsMaterialError(`--tls-ca-cert-dir '${dir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return names.filter((n) => /\.(pem|crt|cer)$/i.test(n)).sort().map((n) => read('tls-ca-cert-dir', join(dir, n)));
}

/** Node's default TLSv1.3 suites and older ciphers, apart, so that setting one list keeps the other's default. */
const DEFAULT_TLS13 = DEFAULT_CIPHERS.split(':').filter((c) => c.startsWith('TLS_')).join(':');
const DEFAULT_TLS12 = DEFAULT_CIPHERS.split(':').filter((c) => !c.startsWith('TLS_')).join(':');

function versionRange(protocols: string | null): { minVersion: SecureVersion; maxVersion: SecureVersion } {
  const names = (protocols === null ? undefined : parseTlsProtocols(protocols)) ?? ['TLSv1.2', 'TLSv1.3'];
  const sorted = [...names].sort();
  return { minVersion: sorted[0] as SecureVersion, maxVersion: sorted[sorted.length - 1] as SecureVersion };
}

/** Reads and checks the material; throws TlsMaterialError naming what is wrong. */
export function loadTlsMaterial(files: TlsFiles): SecureContextOptions {
  if (files.tlsCertFile === null || files.tlsKeyFile === null) throw new TlsMaterialError('TLS needs --tls-cert-file and --tls-key-file');
  const ca = [
    ...(files.tlsCaCertFile !== null ? [read('tls-ca-cert-file', files.tlsCaCertFile)] : []),
    ...(files.tlsCaCertDir !== null ? readCaDir(files.tlsCaCertDir) : []),
  ];
  const options: SecureContextOptions = {
    cert: read('tls-cert-file', files.tlsCertFile),
    key: read('tls-key-file', files.tlsKeyFile),
    ...(ca.length > 0 ? { ca } : {}),
    ...versionRange(files.tlsProtocols),
    ciphers: `${files.tlsCiphersuites ?? DEFAULT_TLS13}:${files.tlsCiphers ?? DEFAULT_TLS12}`,
  };
  try {
    // Parses every PEM and checks that the key matches the certificate.
    createSecureContext(options);
  } catch (e) {
    throw new TlsMaterialError(`the TLS files do not load (${files.tlsCertFile}, ${files.tlsKeyFile}): ${(e as Error).message}`);
  }
  return options;
}

/** True when the node needs TLS material at all. */
export function usesTls(config: Pick<NodeConfig, 'tlsPort' | 'tlsCluster'>): boolean {
  return config.tlsPort !== 0 || config.tlsCluster;
}
