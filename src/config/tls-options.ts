import { boolOption, enumOption, intOption, optionalStringOption, type OptionSpec } from './values.js';

/**
 * TLS options, with Redis 7's names and meanings: a TLS listener for clients
 * beside (or, with --port 0, instead of) the plain one, and mutual TLS on
 * peer TCP with --tls-cluster. The certificate options are settable: CONFIG
 * SET re-reads the files and swaps the listener's context, keeping the old
 * one when the new files do not load.
 */
export const TLS_AUTH_MODES = ['yes', 'no', 'optional'] as const;
export type TlsAuthClients = (typeof TLS_AUTH_MODES)[number];

/** Protocol names as Redis spells them, oldest first (Node takes a min..max range of them). */
export const TLS_PROTOCOL_NAMES = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsProtocolName = (typeof TLS_PROTOCOL_NAMES)[number];

const PATH = 'a file path';
const DIR = 'a directory path';
const isPath = (s: string): boolean => s.length > 0 && s.length <= 4096 && !s.includes('\0');

/** 'TLSv1.2 TLSv1.3' -> the names, each known, listed once; undefined when one is not a protocol Redis names. */
export function parseTlsProtocols(text: string): TlsProtocolName[] | undefined {
  const words = text.split(/[\s,]+/).filter((w) => w.length > 0);
  const out: TlsProtocolName[] = [];
  for (const w of words) {
    const name = TLS_PROTOCOL_NAMES.find((p) => p.toLowerCase() === w.toLowerCase());
    if (name === undefined) return undefined;
    if (!out.includes(name)) out.push(name);
  }
  return out.length > 0 ? out : undefined;
}

/** Cipher lists are passed to OpenSSL as they are; only their shape is checked here. */
const isCipherList = (s: string): boolean => s.length <= 4096 && /^[A-Za-z0-9_:+!@=.,\- ]+$/.test(s);

export const TLS_OPTIONS: ReadonlyArray<OptionSpec<unknown>> = [
  intOption({
    name: 'tls-port',
    default: 0,
    min: 0,
    max: 65535,
    runtime: 'read-only',
    doc: 'RESP over TLS port; 0 (the default) means no TLS listener. With it set, --port 0 turns the plain port off.',
  }),
  optionalStringOption({ name: 'tls-cert-file', runtime: 'settable', defaultDoc: 'none', expected: PATH, check: isPath, doc: 'PEM certificate (chain) this node presents to clients and, with --tls-cluster, to peers both as server and as client. CONFIG SET re-reads it.' }),
  optionalStringOption({ name: 'tls-key-file', runtime: 'settable', defaultDoc: 'none', expected: PATH, check: isPath, doc: 'PEM private key of --tls-cert-file (unencrypted). CONFIG SET re-reads it.' }),
  optionalStringOption({ name: 'tls-ca-cert-file', runtime: 'settable', defaultDoc: 'none', expected: PATH, check: isPath, doc: 'PEM CA certificates that client certificates and, with --tls-cluster, peer certificates must chain to. CONFIG SET re-reads it.' }),
  optionalStringOption({ name: 'tls-ca-cert-dir', runtime: 'settable', defaultDoc: 'none', expected: DIR, check: isPath, doc: 'Directory whose *.pem, *.crt and *.cer files are CA certificates, in addition to --tls-ca-cert-file.' }),
  enumOption({
    name: 'tls-auth-clients',
    default: 'yes' as TlsAuthClients,
    values: TLS_AUTH_MODES,
    runtime: 'settable',
    doc: 'Client certificates on the TLS port: yes requires one signed by the CA; optional checks one when given; no asks for none.',
  }),
  optionalStringOption({
    name: 'tls-protocols',
    runtime: 'settable',
    defaultDoc: 'TLSv1.2 TLSv1.3',
    expected: 'TLS protocol names among TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, separated by spaces',
    check: (s) => parseTlsProtocols(s) !== undefined,
    doc: "TLS versions accepted (Node takes the range from the oldest to the newest listed); '' (as CONFIG GET shows the default, like Redis) means TLSv1.2 TLSv1.3.",
  }),
  optionalStringOption({ name: 'tls-ciphers', runtime: 'settable', defaultDoc: "Node's default", expected: 'an OpenSSL cipher list', check: isCipherList, doc: 'Ciphers allowed for TLSv1.2 and older, in OpenSSL syntax.' }),
  optionalStringOption({ name: 'tls-ciphersuites', runtime: 'settable', defaultDoc: "Node's default", expected: 'an OpenSSL TLSv1.3 ciphersuite list', check: isCipherList, doc: 'TLSv1.3 ciphersuites allowed, in OpenSSL syntax (TLS_AES_256_GCM_SHA384:...).' }),
  boolOption({
    name: 'tls-cluster',
    default: false,
    runtime: 'read-only',
    doc: 'Peer TCP over mutual TLS: each node presents --tls-cert-file and accepts only peers whose certificate chains to the CA. Gossip UDP stays HMAC-authenticated with --cluster-secret.',
  }),
];
