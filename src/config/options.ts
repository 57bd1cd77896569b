import { isValidNodeId } from '../core/ids.js';
import {
  boolOption,
  enumOption,
  formatSize,
  hostPortListOption,
  intOption,
  isHost,
  optionalIntOption,
  optionalStringOption,
  sizeOption,
  stringOption,
  type OptionSpec,
  type RuntimeAccess,
} from './values.js';
import { CLUSTER_OPTIONS } from './cluster-options.js';
import { TLS_OPTIONS } from './tls-options.js';
import { classLimitOption } from './output-limits.js';
import { CONSISTENCY_SETTINGS, dcCountsOption, type ConsistencySetting } from './dc-replicas-option.js';
import { keyspaceEventsOption } from './keyspace-events.js';
import { DEFAULT_MAXMEMORY, MIN_MAXMEMORY } from './memory-budget.js';

/**
 * Every server option, in one declarative list. Each is a command-line flag
 * (--name), an environment variable (QKV_NAME) and a config-file key; the
 * table in docs/configuration.md is rendered from this list (optionsTable
 * below, options-doc.ts; `npm run docs:config`).
 */
const MB = 1024 * 1024;
const GB = 1024 * MB;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const FAULT_DOMAIN_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const FAULT_DOMAIN = "a name of 1 to 64 letters, digits, '_', '.' or '-'";
const ANY_TEXT = (s: string): boolean => s.length <= 4096;

/** Any option of the list, its value type erased. */
export type AnyOption = OptionSpec<unknown>;

export const OPTIONS: readonly AnyOption[] = [
  intOption({ name: 'port', default: 6379, min: 0, max: 65535, runtime: 'read-only', doc: 'RESP (client) TCP port; 0 picks a free port, or with --tls-port set turns the plain port off (as in Redis).' }),
  stringOption({
    name: 'bind',
    default: '127.0.0.1',
    runtime: 'read-only',
    expected: 'an IPv4/IPv6 address or a host name',
    check: isHost,
    doc: 'Address for RESP, peer TCP and gossip UDP; a non-loopback address requires --cluster-secret.',
  }),
  stringOption({
    name: 'data-dir',
    default: './data/node',
    runtime: 'read-only',
    expected: 'a directory path',
    check: (s) => s.length > 0 && s.length <= 4096 && !s.includes('\0'),
    doc: 'Directory for RocksDB, hints and the persisted node id (relative to the working directory).',
  }),
  optionalStringOption({
    name: 'node-id',
    runtime: 'read-only',
    defaultDoc: 'random, persisted in the data dir',
    expected: "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit",
    check: isValidNodeId,
    doc: 'Stable node identity; when absent the node generates one and keeps it in the data dir.',
  }),
  optionalIntOption({
    name: 'peer-port',
    min: 0,
    max: 65535,
    runtime: 'read-only',
    defaultDoc: 'port + 10000',
    doc: 'Inter-node TCP and SWIM gossip UDP port (the same number); 0 picks a free port.',
  }),
  hostPortListOption({ name: 'seeds', runtime: 'read-only', defaultDoc: 'none', doc: 'Peers to join, as host:peerport,... (the peer port of each seed).' }),
  stringOption({ name: 'rack', default: 'rack1', runtime: 'read-only', expected: FAULT_DOMAIN, check: (s) => FAULT_DOMAIN_RE.test(s), doc: 'Rack of this node; replicas are spread over distinct racks.' }),
  stringOption({ name: 'dc', default: 'dc1', runtime: 'read-only', expected: FAULT_DOMAIN, check: (s) => FAULT_DOMAIN_RE.test(s), doc: 'Data center of this node (a fault domain above the rack).' }),
  intOption({ name: 'vnodes', default: 256, min: 1, max: 4096, runtime: 'read-only', doc: 'Virtual nodes (ring tokens) per physical node.' }),
  intOption({ name: 'n', default: 3, min: 1, max: 64, runtime: 'read-only', doc: 'Replication factor: replicas per key, on distinct nodes (with --replicas-per-dc: their sum, which it defaults to).' }),
  dcCountsOption({
    name: 'replicas-per-dc',
    runtime: 'read-only',
    defaultDoc: 'none (the first n owners clockwise, in any DC)',
    doc: 'Replicas per key in each DC, as dc1:3,dc2:3: distinct nodes, on distinct racks where the DC has enough; a DC not named holds none. Every node of a cluster must give the same list (a node with another is refused at join).',
  }),
  intOption({ name: 'r', default: 2, min: 1, max: 64, runtime: 'settable', doc: 'Default read quorum (1..n): replies a read waits for.' }),
  intOption({ name: 'w', default: 2, min: 1, max: 64, runtime: 'settable', doc: 'Default write quorum (1..n): acknowledgements a write waits for.' }),
  enumOption({
    name: 'read-consistency',
    default: 'auto' as ConsistencySetting,
    values: CONSISTENCY_SETTINGS,
    runtime: 'settable',
    doc: 'Level of reads that name neither R nor CL: one, local_one, quorum, local_quorum, each_quorum, all; numeric: --r; auto: local_quorum when --replicas-per-dc names more than one DC, else --r.',
  }),
  enumOption({
    name: 'write-consistency',
    default: 'auto' as ConsistencySetting,
    values: CONSISTENCY_SETTINGS,
    runtime: 'settable',
    doc: 'Level of writes that name neither W, PW nor CL, as read-consistency (auto: local_quorum with more than one DC, else --w). Every replica still gets every write.',
  }),
  optionalStringOption({
    name: 'requirepass',
    runtime: 'settable',
    defaultDoc: 'none',
    expected: 'a password of at most 4096 bytes',
    check: ANY_TEXT,
    secret: true,
    doc: "AUTH password; without one only loopback clients are served (protected mode). '' removes it.",
  }),
  optionalStringOption({
    name: 'cluster-secret',
    runtime: 'hidden',
    defaultDoc: 'none',
    expected: 'a secret of at most 4096 bytes',
    check: ANY_TEXT,
    secret: true,
    doc: 'Shared secret that authenticates peer TCP and gossip; required to bind a non-loopback address.',
  }),
  ...TLS_OPTIONS,
  sizeOption({ name: 'max-value-bytes', default: MB, defaultDoc: '1048576', min: 1, max: 512 * MB, runtime: 'settable', doc: 'Largest value a write accepts; larger ones get an error and nothing is stored.' }),
  intOption({
    name: 'max-collection-members',
    default: 10000,
    min: 1,
    max: 1_000_000,
    runtime: 'settable',
    doc: 'Most fields of a hash or members of a set; a write that would pass it gets an error and nothing is stored (each write rewrites the whole collection).',
  }),
  sizeOption({ name: 'max-key-bytes', default: 256, min: 1, max: 64 * 1024, runtime: 'settable', doc: 'Largest key a command accepts; larger ones get an error and nothing is stored.' }),
  boolOption({ name: 'sync', default: false, runtime: 'read-only', doc: 'fsync the WAL before acknowledging a write (group commit): survives power loss, costs latency.' }),
  optionalIntOption({ name: 'metrics-port', min: 0, max: 65535, runtime: 'read-only', defaultDoc: 'off', doc: 'HTTP port for Prometheus /metrics and /health; 0 picks a free port.' }),
  optionalStringOption({
    name: 'aclfile',
    runtime: 'read-only',
    defaultDoc: 'none',
    expected: 'a file path',
    check: (s) => s.length <= 4096 && !s.includes('\0'),
    doc: 'ACL users in Redis 7 ACL file format: loaded at start (the node does not start when a line is wrong), written by ACL SAVE, read again by ACL LOAD.',
  }),
  optionalStringOption({ name: 'config', runtime: 'hidden', defaultDoc: 'none', expected: 'a file path', check: (s) => s.length <= 4096 && !s.includes('\0'), doc: 'Config file: redis.conf style (name value per line) or JSON (.json).' }),
  intOption({ name: 'maxclients', default: 10000, min: 1, max: 1_000_000, runtime: 'settable', doc: 'Most client connections at once; more are refused with an error.' }),
  intOption({ name: 'timeout', default: 0, min: 0, max: 2_000_000, runtime: 'settable', doc: 'Seconds an idle authenticated client stays connected; 0 = forever (as in Redis).' }),
  intOption({
    name: 'unauth-timeout',
    default: 10,
    min: 0,
    max: 86_400,
    runtime: 'settable',
    doc: 'Seconds a connection may stay unauthenticated when requirepass is set; 0 = no limit.',
  }),
  sizeOption({
    name: 'maxmemory',
    default: DEFAULT_MAXMEMORY,
    defaultDoc: formatSize(DEFAULT_MAXMEMORY),
    min: MIN_MAXMEMORY,
    max: 1024 * GB,
    runtime: 'settable',
    doc: 'Memory budget of the whole node (Redis size syntax): the record cache, RocksDB block cache and memtables, and client buffers are sized from it (docs/architecture.md, "One memory budget"). RSS exceeds it by an overhead of about 130-400 MB (measured in docs/benchmarks.md). CONFIG SET resizes the record cache and the client bound at once; RocksDB keeps its sizes until a restart.',
  }),
  optionalIntOption({
    name: 'cache-mb',
    min: 0,
    max: 1_048_576,
    runtime: 'read-only',
    defaultDoc: 'from maxmemory',
    doc: 'Record cache in front of RocksDB, in MiB, instead of its share of maxmemory; 0 turns it off.',
  }),
  optionalIntOption({ name: 'rocksdb-cache-mb', min: 1, max: 1_048_576, runtime: 'read-only', defaultDoc: 'from maxmemory', doc: 'RocksDB block cache, in MiB, instead of its share of maxmemory.' }),
  sizeOption({
    name: 'client-query-buffer-limit',
    default: GB,
    defaultDoc: formatSize(GB),
    min: MB,
    max: 4 * GB,
    runtime: 'settable',
    doc: 'Largest unparsed request a client may send (Redis size syntax); beyond it the connection is closed.',
  }),
  sizeOption({
    name: 'client-output-buffer-limit',
    default: 256 * MB,
    defaultDoc: formatSize(256 * MB),
    min: 0,
    max: 64 * GB,
    runtime: 'settable',
    doc: "Bytes of pending replies after which a client is disconnected (Redis's normal class hard limit, as a plain size); 0 = no limit. CONFIG SET also takes Redis's class syntax ('normal 0 0 0 pubsub 32mb 8mb 60'): normal sets this, pubsub sets client-output-buffer-limit-pubsub, replica is checked and ignored.",
  }),
  classLimitOption({
    name: 'client-output-buffer-limit-pubsub',
    default: { hard: 32 * MB, soft: 8 * MB, softSeconds: 60 },
    runtime: 'settable',
    doc: "Redis's pubsub class of client-output-buffer-limit for subscribed clients: hard limit, soft limit, soft seconds. A subscriber with more pending messages than the hard limit, or than the soft limit for longer than the seconds, is disconnected. CONFIG SET client-output-buffer-limit 'pubsub 32mb 8mb 60' sets it too.",
  }),
  sizeOption({
    name: 'maxmemory-clients',
    default: 0,
    defaultDoc: '0 (an eighth of maxmemory)',
    min: 0,
    max: 64 * GB,
    runtime: 'settable',
    doc: 'Bytes all clients together may hold in requests being read and replies not yet sent; past it the client holding the most is closed. 0: an eighth of maxmemory (there is no unbounded setting: past the heap the process dies).',
  }),
  intOption({
    name: 'slowlog-log-slower-than',
    default: 10_000,
    min: -(2 ** 31),
    max: 2 ** 31 - 1,
    runtime: 'settable',
    doc: 'Microseconds a command must take to enter the SLOWLOG; 0 logs every command, a negative value none.',
  }),
  intOption({
    name: 'busy-reply-threshold',
    default: 5000,
    min: 0,
    max: 2 ** 31 - 1,
    runtime: 'settable',
    doc: 'Milliseconds a Lua script runs before other clients are answered BUSY and SCRIPT KILL may stop it. Redis\'s older name lua-time-limit is accepted as an alias.',
  }),
  intOption({ name: 'slowlog-max-len', default: 128, min: 0, max: 1_000_000, runtime: 'settable', doc: 'Entries the SLOWLOG keeps; the oldest go first.' }),
  enumOption({ name: 'log-level', default: 'info' as LogLevel, values: LOG_LEVELS, runtime: 'settable', doc: 'Least severe log level written: debug, info, warn or error.' }),
  boolOption({ name: 'protected-mode', default: true, runtime: 'settable', doc: 'Without requirepass, refuse clients that are not on loopback (as Redis does).' }),
  boolOption({ name: 'debug', default: false, runtime: 'read-only', doc: 'Enable the QKV.DEBUG fault-injection commands (dropped or delayed peer traffic, clock skew, a failing disk) for tests; never in production.' }),
  intOption({ name: 'request-timeout-ms', default: 5000, min: 1, max: 600_000, runtime: 'settable', doc: 'Milliseconds a quorum request waits for replicas before -TIMEOUT.' }),
  intOption({
    name: 'read-speculative-ms',
    default: 5,
    min: 0,
    max: 600_000,
    runtime: 'settable',
    doc: 'Milliseconds a read waits for its first R replicas (this node and R-1 peers asked for a digest) before it also asks the remaining replicas.',
  }),
  keyspaceEventsOption({
    name: 'notify-keyspace-events',
    runtime: 'settable',
    doc: "Keyspace notifications, in Redis's letters: K publishes to `__keyspace@0__:<key>`, E to `__keyevent@0__:<event>`; g $ s h x (or A for all) choose the classes of events. Published by the node the client sent the write to, to subscribers on every node; set it on every node.",
  }),
  intOption({ name: 'expiry-sweep-ms', default: 100, min: 1, max: 3_600_000, runtime: 'settable', doc: 'Milliseconds between sweeps that delete expired keys.' }),
  intOption({
    name: 'storage-stall-ms',
    default: 2000,
    min: 10,
    max: 600_000,
    runtime: 'read-only',
    doc: 'Milliseconds a storage batch write may take before the node counts its disk as stalled and steps aside (/health 503, peers route around it).',
  }),
  ...CLUSTER_OPTIONS,
];

/** Redis's older names that still work, as they do in Redis 7 (CONFIG GET shows both). */
export const OPTION_ALIASES: ReadonlyMap<string, string> = new Map([['lua-time-limit', 'busy-reply-threshold']]);

const BY_NAME = new Map<string, AnyOption>(OPTIONS.map((o) => [o.name, o]));
for (const [alias, name] of OPTION_ALIASES) BY_NAME.set(alias, BY_NAME.get(name)!);

export function optionNames(): string[] {
  return OPTIONS.map((o) => o.name);
}

/** The option called name or an alias of it (case-insensitive), or undefined. */
export function findOption(name: string): AnyOption | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** 'max-value-bytes' -> 'maxValueBytes', the NodeConfig field name. */
export function camelName(name: string): string {
  return name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** 'max-value-bytes' -> 'QKV_MAX_VALUE_BYTES'. */
export function envName(name: string): string {
  return 'QKV_' + name.toUpperCase().replace(/-/g, '_');
}

export interface OptionRow {
  readonly name: string;
  readonly flag: string;
  readonly type: string;
  readonly default: string;
  readonly env: string;
  /** settable: CONFIG SET and GET; read-only: CONFIG GET only; hidden: neither. */
  readonly runtime: RuntimeAccess;
  readonly doc: string;
}

/** One row per option, in list order, for the configuration docs. */
export function optionsTable(): OptionRow[] {
  return OPTIONS.map((o) => ({
    name: o.name,
    flag: `--${o.name}`,
    type: o.type,
    default: o.defaultDoc ?? o.format(o.default),
    env: envName(o.name),
    runtime: o.runtime,
    doc: o.doc,
  }));
}
