import { boolOption, formatSize, intOption, sizeOption, type OptionSpec } from './values.js';

const MB = 1024 * 1024;
const DAY_SECONDS = 86_400;

/**
 * The hint defaults a node runs with, in one place: the options below take
 * them, and the hint store and delivery have none of their own (their
 * callers pass the node's configuration, tests these or their own).
 */
export const HINT_DEFAULTS = {
  /** --hint-max-per-target: most hints kept for one target node. */
  maxPerTarget: 1_000_000,
  /** --hint-max-bytes-per-target: most bytes (hint keys and values) kept for one target node. */
  maxBytesPerTarget: 1024 * MB,
  /** --hint-rate-keys: hints delivered per second, all targets together. */
  rateKeys: 5_000,
  /** --dc-hint-max-bytes: most bytes of hints kept for the replicas of one remote DC together. */
  maxBytesPerDc: 2048 * MB,
} as const;

/**
 * Options of the cluster's background work: gossip, sloppy quorum and hinted
 * handoff, anti-entropy with tombstone collection, and range streaming.
 * Rates bound each kind of work so that it never starves client traffic.
 */
export const CLUSTER_OPTIONS: ReadonlyArray<OptionSpec<unknown>> = [
  intOption({ name: 'gossip-interval-ms', default: 1000, min: 10, max: 60_000, runtime: 'read-only', doc: 'SWIM protocol period: one member is probed per period.' }),
  intOption({
    name: 'gossip-probe-timeout-ms',
    default: 500,
    min: 5,
    max: 60_000,
    runtime: 'read-only',
    doc: 'Milliseconds to wait for a probe ack before asking other members to probe indirectly (stretched while this node is itself slow).',
  }),
  intOption({
    name: 'gossip-wan-probe-timeout-ms',
    default: 1500,
    min: 5,
    max: 60_000,
    runtime: 'read-only',
    doc: 'With members in several DCs: milliseconds to wait for a probe ack from a member in another DC (or four measured WAN round trips, if longer) before asking members of its DC to probe it; such a probe fails only after twice this, and one at a time is under way.',
  }),
  intOption({
    name: 'gossip-suspicion-mult',
    default: 4,
    min: 1,
    max: 100,
    runtime: 'read-only',
    doc: 'A suspected member is declared dead after about mult * log10(members) protocol periods unless it refutes (shorter as more members confirm).',
  }),
  intOption({ name: 'gossip-push-pull-ms', default: 30_000, min: 100, max: 3_600_000, runtime: 'read-only', doc: 'Milliseconds between member-table syncs over TCP with a random member (table hashes first, then only the records that differ).' }),
  boolOption({
    name: 'sloppy-quorum',
    default: true,
    runtime: 'settable',
    doc: 'Count writes stored as hints on stand-in nodes toward W when home replicas are down; no: only home replicas count.',
  }),
  intOption({
    name: 'hint-max-per-target',
    default: HINT_DEFAULTS.maxPerTarget,
    min: 1,
    max: 1_000_000_000,
    runtime: 'read-only',
    doc: 'Most hints kept for one target node; at the bound new hints are refused (never old ones dropped), the write tries another stand-in, and anti-entropy repairs the target first.',
  }),
  sizeOption({
    name: 'hint-max-bytes-per-target',
    default: HINT_DEFAULTS.maxBytesPerTarget,
    defaultDoc: formatSize(HINT_DEFAULTS.maxBytesPerTarget),
    min: 1024,
    max: 1024 * 1024 * MB,
    runtime: 'read-only',
    doc: 'Most bytes of hints kept for one target node; at the bound new hints are refused, as for hint-max-per-target.',
  }),
  sizeOption({
    name: 'dc-hint-max-bytes',
    default: HINT_DEFAULTS.maxBytesPerDc,
    defaultDoc: formatSize(HINT_DEFAULTS.maxBytesPerDc),
    min: 1024,
    max: 1024 * 1024 * MB,
    runtime: 'read-only',
    doc: 'With replicas per DC: most bytes of hints kept for all the replicas of one remote DC together (a DC cut off fills this, not the local hints\' room); at the bound new hints for that DC are refused and anti-entropy closes the gap once it is back.',
  }),
  intOption({ name: 'hint-rate-keys', default: HINT_DEFAULTS.rateKeys, min: 1, max: 10_000_000, runtime: 'read-only', doc: 'Hints delivered per second to a returning node, at most.' }),
  intOption({ name: 'ae-interval-ms', default: 1000, min: 10, max: 86_400_000, runtime: 'read-only', doc: 'Milliseconds between anti-entropy rounds (each compares a share of the ranges with their replicas).' }),
  intOption({ name: 'ae-full-pass-ms', default: 600_000, min: 100, max: 86_400_000 * 7, runtime: 'read-only', doc: 'Anti-entropy compares every range with every replica about once per this many milliseconds.' }),
  intOption({ name: 'ae-max-keys-per-sec', default: 2_000, min: 1, max: 10_000_000, runtime: 'read-only', doc: 'Keys anti-entropy repairs per second, at most.' }),
  sizeOption({
    name: 'ae-max-bytes-per-sec',
    default: 8 * MB,
    defaultDoc: formatSize(8 * MB),
    min: 1024,
    max: 1024 * 1024 * MB,
    runtime: 'read-only',
    doc: 'Bytes of records anti-entropy repairs per second, at most.',
  }),
  intOption({
    name: 'tombstone-grace-seconds',
    default: 10 * DAY_SECONDS,
    min: 0,
    max: 3650 * DAY_SECONDS,
    runtime: 'read-only',
    doc: 'Tombstones and expired records are collected once every replica agrees, each on its own clock, that they have been dead this many seconds.',
  }),
  intOption({ name: 'stream-max-keys-per-sec', default: 20_000, min: 1, max: 10_000_000, runtime: 'read-only', doc: 'Records streamed per second to or from this node during joins, leaves and removals, at most.' }),
  sizeOption({
    name: 'stream-max-bytes-per-sec',
    default: 64 * MB,
    defaultDoc: formatSize(64 * MB),
    min: 1024,
    max: 1024 * 1024 * MB,
    runtime: 'read-only',
    doc: 'Bytes of records streamed per second during joins, leaves and removals, at most.',
  }),
  intOption({
    name: 'range-cleanup-grace-seconds',
    default: 60,
    min: 0,
    max: 30 * DAY_SECONDS,
    runtime: 'read-only',
    doc: 'Seconds the ring must stay settled after a join, leave or removal before a node deletes the ranges it no longer replicates (in-flight writes routed by an older view land meanwhile).',
  }),
  intOption({
    name: 'range-cleanup-interval-seconds',
    default: 600,
    min: 1,
    max: 30 * DAY_SECONDS,
    runtime: 'read-only',
    doc: 'Seconds between checks, while the ring stays settled, for records left in ranges this node does not replicate (a write routed by a stale view).',
  }),
];
