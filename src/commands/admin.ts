import { NULL, OK, array, bulk, double, int, mapOf } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { fail } from './args.js';
import { defineCommand } from './table.js';
import type { ClusterMemberView, ClusterStreamView, ClusterView, CommandContext, CommandSpec } from './types.js';

/**
 * Cluster administration, for operators and `quorumkv status`:
 *
 *   QKV.MEMBERS       -> one map per member: id, address, peer, status, state,
 *                        rack, dc, ownership, replicas, phi, and unhealthy (why
 *                        it steps aside: a failing disk) when it does
 *   QKV.STATUS        -> the cluster as one JSON document (bulk string):
 *                        {"self", "members": [{"id", "address", "status", "state",
 *                        "rack", "dc", "ownership", "phi", "unhealthy"?}], "notServing",
 *                        "hints", "repair", "replicasPerDc"? [{"dc", "count"}]}
 *   QKV.REPLICAS key [WITHDC] -> the ids of key's N replicas, in preference
 *                        order; WITHDC: [id, dc] pairs
 *   QKV.RING          -> n, ranges, pending, and per member: id, state, vnodes,
 *                        ranges, primary, replica, pending-replica
 *   QKV.LEAVE         -> OK once this node started leaving (it hands its ranges
 *                        over, then leaves), or the reason it cannot
 *   QKV.REMOVE id     -> OK once a dead member is removed; the others rebuild its copies
 *   QKV.STREAMS       -> one map per range stream: id, kind, direction, peer, state,
 *                        ranges-done, ranges-total, keys, bytes, keys-total,
 *                        keys-per-sec, bytes-per-sec, eta-seconds, refetched, error
 *
 * `ownership` is the share of the ring a member is the first replica of;
 * `replicas` the share it holds any of the N replicas of.
 */
export const ERR_NO_CLUSTER = 'ERR cluster information is not available on this node';
export const ERR_NO_RING_CHANGES = 'ERR ring changes are not available on this node';

function clusterOf(ctx: CommandContext): ClusterView {
  const cluster = ctx.server.cluster;
  if (!cluster) fail(ERR_NO_CLUSTER);
  return cluster;
}

/** Fractions to six places: enough to compare nodes, short enough to read. */
function share(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** The optional ClusterView method a ring-change command needs, or the error when this node has none. */
function need<T>(v: T | undefined): T {
  if (v === undefined) fail(ERR_NO_RING_CHANGES);
  return v;
}

function orNull(x: number | null): Reply {
  return x === null ? NULL : double(x);
}

function streamReply(s: ClusterStreamView): Reply {
  return mapOf([
    ['id', bulk(s.id)],
    ['kind', bulk(s.kind)],
    ['direction', bulk(s.direction)],
    ['peer', s.peer === null ? NULL : bulk(s.peer)],
    ['state', bulk(s.state)],
    ['ranges-done', int(s.rangesDone)],
    ['ranges-total', int(s.rangesTotal)],
    ['keys', int(s.keys)],
    ['bytes', int(s.bytes)],
    ['keys-total', s.keysTotal === null ? NULL : int(s.keysTotal)],
    ['keys-per-sec', double(s.keysPerSec)],
    ['bytes-per-sec', double(s.bytesPerSec)],
    ['eta-seconds', orNull(s.etaSeconds)],
    ['refetched', int(s.refetched)],
    ['error', s.error === null ? NULL : bulk(s.error)],
  ]);
}

function ringReply(cluster: ClusterView): Reply {
  const ring = need(cluster.ring).call(cluster);
  return mapOf([
    ['n', int(ring.n)],
    ['ranges', int(ring.ranges)],
    ['pending', int(ring.pending ? 1 : 0)],
    [
      'members',
      array(
        ring.members.map((m) =>
          mapOf([
            ['id', bulk(m.id)],
            ['state', bulk(m.state)],
            ['vnodes', int(m.vnodes)],
            ['ranges', int(m.ranges)],
            ['primary', double(share(m.primary))],
            ['replica', double(share(m.replica))],
            ['pending-replica', double(share(m.pendingReplica))],
          ]),
        ),
      ),
    ],
  ]);
}

function memberReply(m: ClusterMemberView): Reply {
  return mapOf([
    ['id', bulk(m.id)],
    ['address', bulk(m.address)],
    ['peer', bulk(m.peerAddress)],
    ['status', bulk(m.status)],
    ['state', bulk(m.state)],
    ['rack', bulk(m.rack)],
    ['dc', bulk(m.dc)],
    ['ownership', double(share(m.ownership))],
    ['replicas', double(share(m.replicaOwnership))],
    ['phi', m.phi === null ? NULL : double(m.phi)],
    ...(m.keys === undefined ? [] : [['keys', int(m.keys)] as const]),
    ...(m.bytes === undefined ? [] : [['bytes', int(m.bytes)] as const]),
    ...(m.unhealthy === undefined ? [] : [['unhealthy', bulk(m.unhealthy)] as const]),
  ]);
}

/** The document `quorumkv status --json` prints, in the product contract's shape. */
export function statusDocument(cluster: ClusterView): Record<string, unknown> {
  return {
    self: cluster.self,
    members: cluster.members().map((m) => ({
      id: m.id,
      address: m.address,
      status: m.status,
      state: m.state,
      rack: m.rack,
      dc: m.dc,
      ownership: share(m.ownership),
      phi: m.phi,
      ...(m.keys === undefined ? {} : { keys: m.keys }),
      ...(m.bytes === undefined ? {} : { bytes: m.bytes }),
      ...(m.unhealthy === undefined ? {} : { unhealthy: m.unhealthy }),
    })),
    // Why this node does not serve now (a failing disk, a ring still forming); [] when it does.
    ...(cluster.notServing ? { notServing: cluster.notServing() } : {}),
    hints: cluster.hints(),
    repair: cluster.repair(),
    ...(cluster.replicasPerDc?.() ? { replicasPerDc: cluster.replicasPerDc() } : {}),
    ...(cluster.dcs?.() ? { dcs: cluster.dcs() } : {}),
    ...(cluster.streams ? { streams: cluster.streams() } : {}),
  };
}

const ADMIN = { flags: ['loading', 'stale'], categories: ['slow', 'admin'], group: 'server', since: '0.1.0' } as const;

export const adminCommands: readonly CommandSpec[] = [
  defineCommand({
    ...ADMIN,
    flags: [...ADMIN.flags],
    categories: [...ADMIN.categories],
    name: 'qkv.members',
    arity: 1,
    summary: 'Returns the members of the cluster with their status, fault domains and ring ownership.',
    handler: (ctx) => array(clusterOf(ctx).members().map(memberReply)),
  }),
  defineCommand({
    ...ADMIN,
    flags: [...ADMIN.flags],
    categories: [...ADMIN.categories],
    name: 'qkv.status',
    arity: 1,
    summary: 'Returns the cluster status (members, hints, repair) as a JSON document.',
    handler: (ctx) => bulk(JSON.stringify(statusDocument(clusterOf(ctx)))),
  }),
  defineCommand({
    ...ADMIN,
    flags: ['readonly', 'fast', 'loading', 'stale'],
    categories: ['fast', 'admin'],
    name: 'qkv.replicas',
    arity: -2,
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary: 'Returns the nodes that hold the replicas of a key, in preference order (WITHDC: with the DC of each).',
    handler: (ctx, args) => {
      if (args.length > 2 || (args.length === 2 && args[1]!.toString('latin1').toUpperCase() !== 'WITHDC')) fail('ERR syntax error');
      const cluster = clusterOf(ctx);
      const ids = cluster.replicasOf(args[0]!);
      if (args.length === 1) return array(ids.map((id) => bulk(id)));
      const dcs = new Map(cluster.members().map((m) => [m.id, m.dc]));
      return array(ids.map((id) => array([bulk(id), bulk(dcs.get(id) ?? '')])));
    },
  }),
  defineCommand({
    ...ADMIN,
    flags: [...ADMIN.flags],
    categories: [...ADMIN.categories],
    name: 'qkv.ring',
    arity: 1,
    summary: 'Returns the ring: its ranges and each member\'s ownership, now and once pending joins and leaves complete.',
    handler: (ctx) => ringReply(clusterOf(ctx)),
  }),
  defineCommand({
    ...ADMIN,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    categories: [...ADMIN.categories, 'dangerous'],
    name: 'qkv.leave',
    arity: 1,
    summary: 'Starts a graceful leave: this node hands its ranges to the nodes that gain them, then leaves the cluster.',
    handler: async (ctx) => {
      const cluster = clusterOf(ctx);
      await need(cluster.leave).call(cluster);
      return OK;
    },
  }),
  defineCommand({
    ...ADMIN,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    categories: [...ADMIN.categories, 'dangerous'],
    name: 'qkv.remove',
    arity: 2,
    summary: 'Removes a dead member from the ring; the nodes that gain its ranges rebuild them from the other replicas.',
    handler: async (ctx, args) => {
      const cluster = clusterOf(ctx);
      await need(cluster.remove).call(cluster, args[0]!.toString());
      return OK;
    },
  }),
  defineCommand({
    ...ADMIN,
    flags: [...ADMIN.flags],
    categories: [...ADMIN.categories],
    name: 'qkv.streams',
    arity: 1,
    summary: 'Returns the progress of every range stream (joins, leaves, rebuilds) in flight or recently finished.',
    handler: (ctx) => {
      const cluster = clusterOf(ctx);
      return array(need(cluster.streams).call(cluster).map(streamReply));
    },
  }),
];
