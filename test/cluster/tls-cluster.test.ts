import t from 'tap';
import { makeTlsFiles } from '../support/tls-certs.js';
import { startCluster, startNode } from '../support/node-process.js';
import { call, client, sleep, status, waitForViews } from './helpers.js';

/**
 * Three real processes with --tls-cluster yes: peer TCP is mutual TLS with
 * one CA. Writes and reads go through each node; a node whose certificate
 * is not from the CA, or that speaks plain TCP, cannot join or send a write,
 * even when it knows the cluster secret.
 */
const files = await makeTlsFiles(t);
const SECRET = 'tls-cluster-test-secret';
const tls = { certFile: files.serverCert, keyFile: files.serverKey, caFile: files.caCert, cluster: true };
const nodes = await startCluster({ t, nodes: 3, n: 3, r: 2, w: 2, tls, args: ['--cluster-secret', SECRET] });
const ports = nodes.map((n) => n.port);
const ids = ['node1', 'node2', 'node3'];

t.test('the nodes form a ring over TLS and serve writes and reads through each node', async (t) => {
  await waitForViews(ports, ids);
  const clients = await Promise.all(ports.map((p) => client(t, p)));
  for (let i = 0; i < 3; i++) {
    for (let k = 0; k < 5; k++) t.equal(await call(clients[i]!, 'SET', `k${i}:${k}`, `v${i}:${k}`), 'OK');
  }
  for (let i = 0; i < 3; i++) {
    for (let k = 0; k < 5; k++) t.equal(await call(clients[(i + 1) % 3]!, 'GET', `k${i}:${k}`), `v${i}:${k}`, `k${i}:${k} read through another node`);
  }
  const local = (await call(clients[2]!, 'QLOCAL', 'k0:0')) as [unknown, string[]];
  t.same(local[1], ['v0:0'], 'the write reached the third replica');
});

t.test('a node without a certificate from the CA cannot join or write, even with the cluster secret', async (t) => {
  const seeds = nodes.map((n) => `127.0.0.1:${n.peerPort}`).join(',');
  const intruders = [
    { id: 'other-ca', tls: { certFile: files.otherServerCert, keyFile: files.otherServerKey, caFile: files.caCert, cluster: true } },
    { id: 'plain-tcp', tls: undefined },
  ];
  for (const x of intruders) {
    const node = await startNode({
      t,
      n: 3,
      r: 2,
      w: 2,
      ...(x.tls ? { tls: x.tls } : {}),
      args: ['--node-id', x.id, '--seeds', seeds, '--cluster-secret', SECRET, '--log-level', 'warn'],
    });
    await sleep(4000);
    for (const p of ports) {
      const doc = await status(p);
      t.notOk(doc.members.some((m) => m.id === x.id), `${x.id} is not a member as node on ${p} sees it`);
    }
    const c = await client(t, node.port);
    const reply = await call(c, 'SET', 'intruder-key', 'x');
    t.match(reply, { error: /^(UNAVAILABLE|TRYAGAIN|TIMEOUT)/ }, `${x.id} cannot write through the cluster`);
    const inside = await client(t, ports[0]!);
    t.equal(await call(inside, 'GET', 'intruder-key'), null, 'nothing it sent reached the cluster');
    t.match(node.logs() + nodes[0]!.logs(), /TLS|certificate|peer refused/i, 'the refusal is logged');
    await node.dispose();
  }
});
