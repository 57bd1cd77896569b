import type { ClassLimit } from './output-limits.js';
import type { TlsAuthClients } from './tls-options.js';
import { isIP } from 'node:net';
import { OPTIONS, camelName, type LogLevel } from './options.js';
import type { HostPort } from './values.js';
import { MAX_TOTAL_REPLICAS, formatDcCounts, type ConsistencySetting, type DcCount } from './dc-replicas-option.js';

/**
 * The node's settings after loading: one readonly field per option, named
 * by camelCase of the option name. Absent optional values are null.
 */
export interface NodeConfig {
  readonly port: number;
  readonly bind: string;
  readonly dataDir: string;
  /** null: the server generates one and persists it in the data dir. */
  readonly nodeId: string | null;
  /** Resolved: port + 10000 unless set (0 when port is 0). */
  readonly peerPort: number;
  readonly seeds: readonly HostPort[];
  readonly rack: string;
  readonly dc: string;
  readonly vnodes: number;
  readonly n: number;
  /** null: no per-DC placement (the first n owners clockwise). */
  readonly replicasPerDc: readonly DcCount[] | null;
  readonly r: number;
  readonly w: number;
  readonly readConsistency: ConsistencySetting;
  readonly writeConsistency: ConsistencySetting;
  readonly requirepass: string | null;
  /** --aclfile: ACL users in Redis's ACL file format, or null. */
  readonly aclfile: string | null;
  readonly clusterSecret: string | null;
  /** 0: no TLS listener. */
  readonly tlsPort: number;
  readonly tlsCertFile: string | null;
  readonly tlsKeyFile: string | null;
  readonly tlsCaCertFile: string | null;
  readonly tlsCaCertDir: string | null;
  readonly tlsAuthClients: TlsAuthClients;
  /** null: TLSv1.2 and TLSv1.3. */
  readonly tlsProtocols: string | null;
  readonly tlsCiphers: string | null;
  readonly tlsCiphersuites: string | null;
  /** Peer TCP over mutual TLS. */
  readonly tlsCluster: boolean;
  readonly maxValueBytes: number;
  readonly maxCollectionMembers: number;
  readonly maxKeyBytes: number;
  readonly sync: boolean;
  /** null: no metrics HTTP listener. */
  readonly metricsPort: number | null;
  /** The config file that was read, or null. */
  readonly config: string | null;
  readonly maxclients: number;
  /** Idle seconds before an authenticated client is closed; 0 = never. */
  readonly timeout: number;
  /** Seconds an unauthenticated connection may live when requirepass is set; 0 = no limit. */
  readonly unauthTimeout: number;
  /** The whole node's memory budget in bytes (memory-budget.ts splits it). */
  readonly maxmemory: number;
  /** null: the record cache gets its share of maxmemory. */
  readonly cacheMb: number | null;
  /** null: the block cache gets its share of maxmemory. */
  readonly rocksdbCacheMb: number | null;
  readonly clientQueryBufferLimit: number;
  /** Bytes of pending replies before disconnect; 0 = no limit. */
  readonly clientOutputBufferLimit: number;
  /** client-output-buffer-limit's pubsub class, for subscribed clients. */
  readonly clientOutputBufferLimitPubsub: ClassLimit;
  /** Bytes all clients together may hold; 0 = an eighth of maxmemory. */
  readonly maxmemoryClients: number;
  /** Microseconds a command must take to be logged in SLOWLOG; negative: never. */
  readonly slowlogLogSlowerThan: number;
  readonly slowlogMaxLen: number;
  readonly busyReplyThreshold: number;
  readonly logLevel: LogLevel;
  readonly protectedMode: boolean;
  readonly debug: boolean;
  readonly requestTimeoutMs: number;
  /** A read asks its remaining replicas after this long without R answers. */
  readonly readSpeculativeMs: number;
  readonly expirySweepMs: number;
  /** notify-keyspace-events as bits (config/keyspace-events.ts); 0 publishes nothing. */
  readonly notifyKeyspaceEvents: number;
  /** A batch write in flight longer than this marks the disk stalled. */
  readonly storageStallMs: number;
  readonly gossipIntervalMs: number;
  readonly gossipProbeTimeoutMs: number;
  readonly gossipWanProbeTimeoutMs: number;
  readonly gossipSuspicionMult: number;
  readonly gossipPushPullMs: number;
  readonly sloppyQuorum: boolean;
  readonly hintMaxPerTarget: number;
  readonly hintMaxBytesPerTarget: number;
  readonly dcHintMaxBytes: number;
  readonly hintRateKeys: number;
  readonly aeIntervalMs: number;
  readonly aeFullPassMs: number;
  readonly aeMaxKeysPerSec: number;
  readonly aeMaxBytesPerSec: number;
  readonly tombstoneGraceSeconds: number;
  readonly streamMaxKeysPerSec: number;
  readonly streamMaxBytesPerSec: number;
  readonly rangeCleanupGraceSeconds: number;
  readonly rangeCleanupIntervalSeconds: number;
}

/** Room for RESP framing around the largest key and value in one request. */
export const REQUEST_FRAMING_BYTES = 1024;

/** A broken rule between options: name is the option the message is about, related the others it involves. */
export interface ConfigProblem {
  readonly name: string;
  readonly related: readonly string[];
  readonly why: string;
}

/** True for addresses only this host can reach. */
export function isLoopback(address: string): boolean {
  const a = address.toLowerCase();
  if (a === 'localhost' || a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** Options by name -> the NodeConfig, with peer-port resolved. */
export function toNodeConfig(values: ReadonlyMap<string, unknown>): NodeConfig {
  const out: Record<string, unknown> = {};
  for (const o of OPTIONS) out[camelName(o.name)] = values.has(o.name) ? values.get(o.name) : o.default;
  // Without a plain port (--port 0 beside --tls-port) the peer port follows the TLS port.
  const clientPort = out.port === 0 ? (out.tlsPort as number) : (out.port as number);
  if (out.peerPort === null) out.peerPort = clientPort === 0 ? 0 : clientPort + 10000;
  // With replicas per DC, N is their sum unless given (checkNodeConfig refuses a different one).
  const perDc = out.replicasPerDc as readonly DcCount[] | null;
  if (perDc !== null && !values.has('n')) out.n = perDc.reduce((sum, e) => sum + e.count, 0);
  return Object.freeze(out) as unknown as NodeConfig;
}

/** NodeConfig -> options by name (the inverse of toNodeConfig). */
export function toOptionValues(config: NodeConfig): Map<string, unknown> {
  const fields = config as unknown as Record<string, unknown>;
  return new Map(OPTIONS.map((o) => [o.name, fields[camelName(o.name)]]));
}

/** The rules between options: the first one broken, or undefined. */
export function checkNodeConfig(c: NodeConfig): ConfigProblem | undefined {
  if (c.replicasPerDc !== null) {
    const total = c.replicasPerDc.reduce((sum, e) => sum + e.count, 0);
    if (total > MAX_TOTAL_REPLICAS) return { name: 'replicas-per-dc', related: [], why: `the counts add up to ${total}, more than ${MAX_TOTAL_REPLICAS}` };
    if (c.n !== total) return { name: 'n', related: ['replicas-per-dc'], why: `must be the sum of replicas-per-dc '${formatDcCounts(c.replicasPerDc)}' (${total}) or be left out, got ${c.n}` };
  }
  if (c.r > c.n) return { name: 'r', related: ['n'], why: `expected an integer from 1 to n (${c.n}), got ${c.r}` };
  if (c.w > c.n) return { name: 'w', related: ['n'], why: `expected an integer from 1 to n (${c.n}), got ${c.w}` };
  if (!isLoopback(c.bind) && c.clusterSecret === null) {
    return { name: 'bind', related: ['cluster-secret'], why: `binding the non-loopback address '${c.bind}' requires --cluster-secret, so that peers authenticate each other` };
  }
  if (c.peerPort > 65535) {
    return { name: 'peer-port', related: ['port'], why: `the default port + 10000 = ${c.peerPort} is above 65535; set --peer-port` };
  }
  const tls = tlsProblem(c);
  if (tls) return tls;
  if (c.port !== 0 && c.peerPort === c.port) {
    return { name: 'peer-port', related: ['port'], why: `must differ from port (${c.port})` };
  }
  if (c.metricsPort !== null && c.metricsPort !== 0 && (c.metricsPort === c.port || c.metricsPort === c.peerPort)) {
    return { name: 'metrics-port', related: ['port', 'peer-port'], why: `must differ from port (${c.port}) and peer-port (${c.peerPort})` };
  }
  const needed = c.maxValueBytes + c.maxKeyBytes + REQUEST_FRAMING_BYTES;
  if (c.clientQueryBufferLimit < needed) {
    return {
      name: 'client-query-buffer-limit',
      related: ['max-value-bytes', 'max-key-bytes'],
      why: `must be at least max-value-bytes + max-key-bytes + ${REQUEST_FRAMING_BYTES} (${needed}) so that the largest allowed write fits, got ${c.clientQueryBufferLimit}`,
    };
  }
  return undefined;
}

/** What TLS needs: a certificate and key for a TLS port, and a CA besides for mutual TLS between peers. */
function tlsProblem(c: NodeConfig): ConfigProblem | undefined {
  const needsCert = c.tlsPort !== 0 || c.tlsCluster;
  const reason = c.tlsPort !== 0 ? 'tls-port' : 'tls-cluster';
  if (needsCert && c.tlsCertFile === null) return { name: 'tls-cert-file', related: [reason], why: `${reason} needs a certificate (--tls-cert-file)` };
  if (needsCert && c.tlsKeyFile === null) return { name: 'tls-key-file', related: [reason], why: `${reason} needs the certificate's key (--tls-key-file)` };
  // As Redis: checking peers or clients needs a CA to check them against.
  const noCa = c.tlsCaCertFile === null && c.tlsCaCertDir === null;
  if (noCa && c.tlsCluster) {
    return { name: 'tls-ca-cert-file', related: ['tls-cluster', 'tls-ca-cert-dir'], why: 'tls-cluster needs the CA peers are checked against (--tls-ca-cert-file or --tls-ca-cert-dir)' };
  }
  if (noCa && c.tlsPort !== 0 && c.tlsAuthClients !== 'no') {
    return { name: 'tls-ca-cert-file', related: ['tls-auth-clients', 'tls-ca-cert-dir'], why: `tls-auth-clients ${c.tlsAuthClients} needs the CA client certificates are checked against (--tls-ca-cert-file or --tls-ca-cert-dir)` };
  }
  if (c.tlsPort !== 0 && (c.tlsPort === c.port || c.tlsPort === c.peerPort || c.tlsPort === c.metricsPort)) {
    return { name: 'tls-port', related: ['port', 'peer-port', 'metrics-port'], why: `must differ from port (${c.port}), peer-port (${c.peerPort}) and metrics-port` };
  }
  return undefined;
}
