import { hostname } from 'node:os';
import type { NodeConfig } from '../config/node-config.js';
import type { MemberState } from '../ring/types.js';
import { advertisedHost } from './cluster-node.js';

/**
 * Whether this node is one of its own seeds. As with Cassandra's seed
 * nodes, seeds form a new cluster without streaming: a fresh seed starts
 * 'normal', owning its ranges at once, while any other fresh node starts
 * 'joining' and first pulls the ranges it will own from their replicas.
 * A seed entry names this node when its port is the peer port and its host
 * is the bind or advertised address, localhost, this host's name, or a
 * DNS name whose first label is this host's name (a StatefulSet pod
 * `quorumkv-0` listed as `quorumkv-0.quorumkv-peers`).
 */
export function isOwnSeed(config: Pick<NodeConfig, 'seeds' | 'bind' | 'peerPort'>, host = hostname()): boolean {
  const names = new Set([config.bind, advertisedHost(config.bind), 'localhost', host].map((h) => h.toLowerCase()));
  return config.seeds.some((s) => {
    if (s.port !== config.peerPort) return false;
    const h = s.host.toLowerCase();
    return names.has(h) || (host.length > 0 && h.startsWith(`${host.toLowerCase()}.`));
  });
}

/** The ring state of a node with none stored: 'normal' for a seed or a node without seeds, else 'joining'. */
export function initialRingState(config: Pick<NodeConfig, 'seeds' | 'bind' | 'peerPort'>, host = hostname()): MemberState {
  return config.seeds.length === 0 || isOwnSeed(config, host) ? 'normal' : 'joining';
}
