import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startNode } from '../../src/server/node.js';
import { startTestNode, tempDir, testConfig } from './node-harness.js';
import { RawClient } from './raw-client.js';

// A node's life: metrics over HTTP, restart on the same data dir, and the
// ways starting can fail (a data dir in use, a port in use, bad settings).

async function fetchText(url: string): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

t.test('metrics over HTTP: command counters after commands, /health, 404', async (t) => {
  const { node, raw } = await startTestNode(t, ['--metrics-port', '0']);
  t.ok(node.metricsPort !== null && node.metricsPort > 0, `metrics on ${node.metricsPort}`);
  const base = `http://127.0.0.1:${node.metricsPort}`;
  const c = await raw();
  t.equal(await c.call('SET', 'm:k', 'v'), '+OK\r\n');
  t.equal(await c.call('GET', 'm:k'), '$1\r\nv\r\n');
  t.equal(await c.call('GET'), "-ERR wrong number of arguments for 'get' command\r\n");
  t.equal(await c.call('INCR', 'm:k'), '-ERR value is not an integer or out of range\r\n');

  const metrics = await fetchText(`${base}/metrics`);
  t.equal(metrics.status, 200);
  t.match(metrics.type, /^text\/plain/);
  const nodeLabel = `node="${node.nodeId}"`;
  t.match(metrics.body, new RegExp(`quorumkv_commands_total\\{command="set",result="ok",${nodeLabel}\\} 1\\n`));
  t.match(metrics.body, new RegExp(`quorumkv_commands_total\\{command="get",result="ok",${nodeLabel}\\} 1\\n`));
  t.match(metrics.body, new RegExp(`quorumkv_commands_total\\{command="incr",result="error",${nodeLabel}\\} 1\\n`));
  t.match(metrics.body, /quorumkv_connected_clients\{[^}]*\} 1\n/);

  const health = await fetchText(`${base}/health`);
  t.same([health.status, health.body], [200, 'ok']);
  t.equal((await fetchText(`${base}/nope`)).status, 404);
});

t.test('restart on the same data dir: the same node id, the data still there', async (t) => {
  const dir = await tempDir(t);
  const first = await startNode(testConfig(dir));
  const id = first.nodeId;
  let c = await RawClient.connect(first.port);
  t.equal(await c.call('SET', 'restart:k', 'kept'), '+OK\r\n');
  t.equal(await c.call('SET', 'restart:gone', 'x'), '+OK\r\n');
  t.equal(await c.call('DEL', 'restart:gone'), ':1\r\n');
  await first.close();
  await c.waitClosed();
  await first.close(); // a second close is harmless
  t.equal((await readFile(join(dir, 'node-id'), 'utf8')).trim(), id, 'the id is kept in the data dir');

  const second = await startNode(testConfig(dir));
  t.teardown(() => second.close());
  t.equal(second.nodeId, id);
  c = await RawClient.connect(second.port);
  t.teardown(() => c.close());
  t.equal(await c.call('GET', 'restart:k'), '$4\r\nkept\r\n');
  t.equal(await c.call('EXISTS', 'restart:gone'), ':0\r\n');
  t.match(await c.call('CONFIG', 'GET', 'node-id'), new RegExp(`\\$${id.length}\\r\\n${id}\\r\\n$`));
});

t.test('a second node on a data dir in use fails to start with a clear error', async (t) => {
  const { node, dataDir } = await startTestNode(t);
  await t.rejects(startNode(testConfig(dataDir)), /data directory .* is in use by another process .*RocksDB lock/);
  const c = await RawClient.connect(node.port);
  t.teardown(() => c.close());
  t.equal(await c.call('PING'), '+PONG\r\n', 'the first node is unaffected');
});

t.test('a port in use: the start fails and releases the data dir', async (t) => {
  const { node } = await startTestNode(t, ['--metrics-port', '0']);
  const dir = await tempDir(t);
  await t.rejects(startNode(testConfig(dir, ['--port', String(node.port)])), /EADDRINUSE/);
  await t.rejects(startNode(testConfig(dir, ['--metrics-port', String(node.metricsPort)])), /EADDRINUSE/);
  const ok = await startNode(testConfig(dir));
  t.teardown(() => ok.close());
  t.ok(ok.port > 0, 'the same data dir opens once the failed starts are gone');
});

t.test('a data dir that belongs to another node id is refused', async (t) => {
  const dir = await tempDir(t);
  const n = await startNode(testConfig(dir, ['--node-id', 'alpha']));
  t.equal(n.nodeId, 'alpha');
  await n.close();
  await t.rejects(startNode(testConfig(dir, ['--node-id', 'beta'])), /belongs to node 'alpha', not 'beta'/);
});
