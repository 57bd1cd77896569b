import t from 'tap';
import { startCluster } from '../support/node-process.js';
import { call, client, waitForViews } from './helpers.js';

// Counters that merge, on three real server processes (N=3 R=2 W=2): three
// clients increment one counter through three different nodes at once.

const nodes = await startCluster({ t, nodes: 3, n: 3, r: 2, w: 2 });
const ports = nodes.map((n) => n.port);

t.test('3 x 1,000 INCRs of one key through three nodes at once end at exactly 3,000, with no error reply', async (t) => {
  await waitForViews(ports, ['node1', 'node2', 'node3']);
  const clients = await Promise.all(ports.map((p) => client(t, p)));
  const errors: unknown[] = [];
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < 1000; i++) {
        const r = await call(c, 'INCR', 'hits');
        if (typeof r !== 'number') errors.push(r);
      }
    }),
  );
  t.same(errors, [], 'every INCR answered an integer');
  for (const c of clients) t.equal(await call(c, 'GET', 'hits'), '3000', 'every node reads the total');
  t.equal(await call(clients[0]!, 'TYPE', 'hits'), 'string');
});

t.test('INCRBY and DECRBY through different nodes at once, then SET replaces the counter', async (t) => {
  const clients = await Promise.all(ports.map((p) => client(t, p)));
  await Promise.all(
    clients.map(async (c, i) => {
      for (let k = 0; k < 100; k++) await call(c, i === 2 ? 'DECRBY' : 'INCRBY', 'mixed', String(i + 1));
    }),
  );
  t.equal(await call(clients[1]!, 'GET', 'mixed'), String(100 * 1 + 100 * 2 - 100 * 3));
  t.equal(await call(clients[2]!, 'SET', 'mixed', '40'), 'OK');
  t.equal(await call(clients[0]!, 'INCR', 'mixed'), 41, 'counts on from the SET');
  t.equal(await call(clients[1]!, 'SET', 'mixed', 'text'), 'OK');
  t.same(await call(clients[2]!, 'INCR', 'mixed'), { error: 'ERR value is not an integer or out of range' });
  t.equal(await call(clients[0]!, 'GET', 'mixed'), 'text', 'nothing written by the refused INCR');
});
