import { NULL, array, bulk, double, mapOf } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { fail } from './args.js';
import { defineCommand } from './table.js';
import type { ClusterMemberView, ClusterView, CommandContext, CommandSpec } from './types.js';

/**
 * Cluster administration, for operators and `quorumkv status`:
 *
 *   QKV.MEMBERS       -> one map per member: id, address, peer, status, state,
 *                        rack, dc, ownership, replicas, phi
 *   QKV.STATUS        -> the cluster as one JSON document (bulk string):
 *                        {"self", "members": [{"id", "address", "status", "state",
 *                        "rack", "dc", "ownership", "phi"}], "hints", "repair"}
 *   QKV.REPLICAS key  -> the ids of key's N replicas, in preference order
 *
 * `ownership` is the share of the ring a member is the first replica of;
 * `replicas` the share it holds any of the N replicas of.
 */
export const ERR_NO_CLUSTER = 'ERR cluster information is not available on this node';

function clusterOf(ctx: CommandContext): ClusterView {
  const cluster = ctx.server.cluster;
  if (!cluster) fail(ERR_NO_CLUSTER);
  return cluster;
}

/** Fractions to six places: enough to compare nodes, short enough to read. */
function share(x: number): number {
  return Math.round(x * 1e6) / 1e6;
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
    })),
    hints: cluster.hints(),
    repair: cluster.repair(),
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
    arity: 2,
    firstKey: 1,
    lastKey: 1,
    step: 1,
    summary: 'Returns the nodes that hold the replicas of a key, in preference order.',
    handler: (ctx, args) => array(clusterOf(ctx).replicasOf(args[0]!).map((id) => bulk(id))),
  }),
];
