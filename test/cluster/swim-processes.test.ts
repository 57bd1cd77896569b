import t from 'tap';
import { startCluster } from '../support/node-process.js';
import { status, waitForStatus, waitForViews } from './helpers.js';

// Three real processes gossiping over UDP on loopback: one is killed with SIGKILL, then restarted on its data dir.

const nodes = await startCluster({ t, nodes: 3, n: 3, r: 2, w: 2 });
const ids = ['node1', 'node2', 'node3'];

t.test('a killed node is declared dead by the others, and alive again at once after a restart', async (t) => {
  await waitForViews(
    nodes.map((n) => n.port),
    ids,
  );
  const victim = nodes[2]!;
  const others = [nodes[0]!.port, nodes[1]!.port];
  const killedAt = Date.now();
  await victim.kill9();
  await waitForStatus(others, 'node3', 'dead', 30_000);
  const deadMs = Date.now() - killedAt;
  t.comment(`killed node declared dead by both others after ${deadMs} ms`);
  t.ok(deadMs < 20_000, 'within the bound');
  const doc = await status(others[0]!);
  t.equal(doc.members.length, 3, 'a dead node keeps its place');

  const restartedAt = Date.now();
  await victim.restart();
  await waitForStatus(others, 'node3', 'alive', 10_000);
  const aliveMs = Date.now() - restartedAt;
  t.comment(`restarted node alive to both others ${aliveMs} ms after it was spawned`);
  await waitForViews(
    nodes.map((n) => n.port),
    ids,
  );
});
