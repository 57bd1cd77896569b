import t from 'tap';
import { freeTcpUdpPort } from '../support/free-port.js';
import { startNode } from '../support/node-process.js';
import { sleep, status, waitForViews } from './helpers.js';

// Two real processes with --n 2, and a third started with --n 3 and the same
// seeds. Nodes with different N would ask different replica sets for one key
// (a read could miss an acknowledged write), so the seeds refuse it at the
// handshake and it never becomes a member.

const peers = [await freeTcpUdpPort(), await freeTcpUdpPort()];
const seeds = peers.map((p) => `127.0.0.1:${p}`).join(',');
const nodes = await Promise.all(
  ['node1', 'node2'].map((id, i) => startNode({ t, n: 2, r: 1, w: 2, peerPort: peers[i]!, args: ['--node-id', id, '--seeds', seeds] })),
);
const ports = nodes.map((n) => n.port);

t.test('a node started with another --n is refused at join, with the reason, and never becomes a member', async (t) => {
  await waitForViews(ports, ['node1', 'node2']);
  const odd = await startNode({ t, n: 3, r: 2, w: 2, args: ['--node-id', 'odd', '--seeds', seeds] });
  const line = await odd.waitForLine(/a seed refused this node/, 15_000);
  t.match(line, /replication factor differs: node odd has --n 3, node node\d has --n 2 \(every node must give the same --n\)/);
  await sleep(1500);
  for (const port of ports) {
    const doc = await status(port);
    t.same(
      doc.members.map((m) => m.id).sort(),
      ['node1', 'node2'],
      'the cluster never took it in',
    );
  }
});
