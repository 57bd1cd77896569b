import { freeTcpUdpPort } from '../support/free-port.js';
import { startNode, type NodeProcess, type Teardown } from '../support/node-process.js';

/**
 * Six real --debug processes in two DCs of three (the first three in dc1),
 * --replicas-per-dc dc1:3,dc2:3, each seeded with all six: the setup the
 * two-DC process tests share. Started at once, so each may take up to a
 * minute on a shared machine.
 */
export async function startTwoDcs(t: Teardown, ids: readonly string[], opts: { metricsPort?: boolean; args?: readonly string[] } = {}): Promise<NodeProcess[]> {
  const peers: number[] = [];
  for (let i = 0; i < ids.length; i++) peers.push(await freeTcpUdpPort());
  const seeds = peers.map((p) => `127.0.0.1:${p}`).join(',');
  return Promise.all(
    ids.map((id, i) =>
      startNode({
        t,
        n: 6,
        r: 2,
        w: 2,
        peerPort: peers[i]!,
        metricsPort: opts.metricsPort ?? false,
        readyTimeoutMs: 60_000,
        args: ['--node-id', id, '--dc', i < 3 ? 'dc1' : 'dc2', '--seeds', seeds, '--replicas-per-dc', 'dc1:3,dc2:3', '--debug', ...(opts.args ?? [])],
      }),
    ),
  );
}
