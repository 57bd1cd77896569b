import { clusterPlugins } from './plugins/cluster-plugins.js';
import { World } from './world.js';

/**
 * A started five-node world of the cluster profile (N=3, R=W=2, history
 * kept) for tests that script their own history instead of a seed's clients.
 */
export async function scriptedWorld(seed: number): Promise<World> {
  const world = new World({
    seed,
    nodes: 5,
    settings: { n: 3, r: 2, w: 2, timeoutMs: 60 },
    vnodes: 8,
    minDelayMs: 1,
    maxDelayMs: 8,
    maxWriteDelayMs: 4,
    plugins: clusterPlugins(),
    tickMs: 50,
    keepHistory: true,
    verboseNetwork: false,
  });
  await world.start();
  return world;
}
