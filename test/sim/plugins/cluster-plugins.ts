import type { NodePlugins } from '../node-services.js';
import { assembledSimNode, CLUSTER_PLUGIN_OPTIONS, type ClusterPluginOptions } from './assembled-node.js';

export { CLUSTER_PLUGIN_OPTIONS, type ClusterPluginOptions } from './assembled-node.js';

/**
 * The cluster profile's nodes: each incarnation is the server's own
 * assembly of a node (src/server/node-assembly.ts) over the in-memory
 * network: SWIM membership, hinted handoff with sloppy quorum,
 * anti-entropy with tombstone collection, range streaming.
 */
export function clusterPlugins(opts: ClusterPluginOptions = CLUSTER_PLUGIN_OPTIONS): NodePlugins {
  return { assemble: (ctx) => assembledSimNode(ctx, opts) };
}
