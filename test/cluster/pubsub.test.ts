import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/server/logger.js';
import { startNode, type RunningNode } from '../../src/server/node.js';
import { freePort, freeTcpUdpPort } from '../support/free-port.js';
import type { Teardown } from '../support/node-process.js';
import { RawClient, encodeCommand, encodePipeline } from '../server/raw-client.js';
import { waitForViews } from './helpers.js';

// Pub/Sub across three nodes in one process (real sockets): a message
// published through any node reaches subscribers on every node, once each,
// in publish order per publisher; a node that is down misses messages and
// the others go on.

const quiet = createLogger({ level: 'error', write: () => undefined });

async function start(t: Teardown, flags: readonly string[]): Promise<{ node: RunningNode; peerPort: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'qkv-pubsub-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const peerPort = await freeTcpUdpPort();
  const config = loadConfig(['--port', String(await freePort()), '--peer-port', String(peerPort), '--data-dir', dataDir, ...flags], {}, () => '');
  const node = await startNode(config, quiet);
  t.teardown(() => node.close());
  return { node, peerPort };
}

async function rawClient(t: Teardown, port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  t.teardown(() => c.close());
  return c;
}

const message = (channel: string, text: string): string => `*3\r\n$7\r\nmessage\r\n$${channel.length}\r\n${channel}\r\n$${text.length}\r\n${text}\r\n`;

t.test('three nodes: every subscriber hears every message once, in order', async (t) => {
  const a = await start(t, ['--node-id', 'alpha']);
  const seed = `127.0.0.1:${a.peerPort}`;
  const b = await start(t, ['--node-id', 'bravo', '--seeds', seed]);
  const c = await start(t, ['--node-id', 'charlie', '--seeds', seed]);
  const ports = [a.node.port, b.node.port, c.node.port];
  await waitForViews(ports, ['alpha', 'bravo', 'charlie']);

  const subs = await Promise.all(ports.map((p) => rawClient(t, p)));
  for (const s of subs) {
    s.send(encodeCommand('SUBSCRIBE', 'cl:ch'));
    s.send(encodeCommand('PSUBSCRIBE', 'cl:*'));
    await s.read(2);
  }
  const pub = await rawClient(t, b.node.port);
  // PUBLISH counts the receivers on the node that got it: the one subscriber there, by channel and by pattern.
  t.equal(await pub.call('PUBLISH', 'cl:ch', 'first'), ':2\r\n');
  pub.send(encodePipeline(Array.from({ length: 200 }, (_, i) => ['PUBLISH', 'cl:ch', `m${i}`])));
  await pub.read(200);
  for (const [i, s] of subs.entries()) {
    const got = await s.read(2 * 201, 10_000);
    const plain = got.filter((r) => r.startsWith('*3'));
    t.same(plain, [message('cl:ch', 'first'), ...Array.from({ length: 200 }, (_, k) => message('cl:ch', `m${k}`))], `node ${i}: each message once, in publish order`);
    t.equal(got.length - plain.length, 201, `node ${i}: each pattern message once`);
  }
  t.equal(await pub.call('SPUBLISH', 'cl:shard', 'x'), ':0\r\n');

  // charlie stops: the others keep publishing to each other, and charlie's subscriber is gone with it.
  await c.node.close();
  const pubA = await rawClient(t, a.node.port);
  t.equal(await pubA.call('PUBLISH', 'cl:ch', 'after'), ':2\r\n');
  t.same(await subs[1]!.read(2), [message('cl:ch', 'after'), '*4\r\n$8\r\npmessage\r\n$4\r\ncl:*\r\n$5\r\ncl:ch\r\n$5\r\nafter\r\n']);
  t.same(await subs[0]!.read(1), [message('cl:ch', 'after')]);
});
