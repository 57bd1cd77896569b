import { SimCluster } from '../support/sim-cluster.js';

// Two DCs of three simulated nodes (n0-n2 in dc1, n3-n5 in dc2), three replicas in each: every node holds every key.
export const DC1 = ['n0', 'n1', 'n2'];
export const DC2 = ['n3', 'n4', 'n5'];

export async function twoDcs(): Promise<SimCluster> {
  return SimCluster.start({
    nodes: 6,
    n: 6,
    r: 2,
    w: 2,
    timeoutMs: 200,
    hints: true,
    dcOf: (i) => (i < 3 ? 'dc1' : 'dc2'),
    replicasPerDc: [
      { dc: 'dc1', count: 3 },
      { dc: 'dc2', count: 3 },
    ],
  });
}
