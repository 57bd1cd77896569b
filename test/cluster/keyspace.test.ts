import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/server/logger.js';
import { startNode, type RunningNode } from '../../src/server/node.js';
import { freePort, freeTcpUdpPort } from '../support/free-port.js';
import type { Teardown } from '../support/node-process.js';
import { RawClient, encodeCommand } from '../server/raw-client.js';
import { waitForNormal, waitForViews } from './helpers.js';

// Keyspace notifications across three nodes in one process (real sockets):
// a write through one node is announced by that node and heard by
// subscribers on every node, once each; an expired key is announced once
// in the cluster although each of its three replicas sweeps its own copy.

const quiet = createLogger({ level: 'error', write: () => undefined });

async function start(t: Teardown, flags: readonly string[]): Promise<{ node: RunningNode; peerPort: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'qkv-keyspace-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const peerPort = await freeTcpUdpPort();
  const config = loadConfig(
    ['--port', String(await freePort()), '--peer-port', String(peerPort), '--data-dir', dataDir, '--n', '3', '--notify-keyspace-events', 'KEA', ...flags],
    {},
    () => '',
  );
  const node = await startNode(config, quiet);
  t.teardown(() => node.close());
  return { node, peerPort };
}

async function rawClient(t: Teardown, port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  t.teardown(() => c.close());
  return c;
}

const b = (s: string): string => `$${s.length}\r\n${s}\r\n`;
const pmessage = (pattern: string, channel: string, text: string): string => `*4\r\n${b('pmessage')}${b(pattern)}${b(channel)}${b(text)}`;
const keyevent = (event: string, key: string): string => pmessage('__keyevent@0__:*', `__keyevent@0__:${event}`, key);

t.test('three nodes: events of writes through one node reach subscribers on the others, once', async (t) => {
  const a = await start(t, ['--node-id', 'alpha']);
  const seed = `127.0.0.1:${a.peerPort}`;
  const bravo = await start(t, ['--node-id', 'bravo', '--seeds', seed]);
  const c = await start(t, ['--node-id', 'charlie', '--seeds', seed]);
  const ports = [a.node.port, bravo.node.port, c.node.port];
  await waitForViews(ports, ['alpha', 'bravo', 'charlie']);
  await waitForNormal(ports, ['alpha', 'bravo', 'charlie']);

  const subs = await Promise.all([a.node.port, c.node.port].map((p) => rawClient(t, p)));
  for (const s of subs) {
    s.send(encodeCommand('PSUBSCRIBE', '__keyevent@0__:*'));
    await s.read(1);
  }
  const writer = await rawClient(t, bravo.node.port);
  t.equal(await writer.call('CONFIG', 'GET', 'notify-keyspace-events'), `*2\r\n${b('notify-keyspace-events')}${b('AKE')}`, 'set at start, read back in canonical form');
  t.equal(await writer.call('SET', 'cl:s', 'v'), '+OK\r\n');
  t.equal(await writer.call('HSET', 'cl:h', 'f', '1'), ':1\r\n');
  t.equal(await writer.call('SADD', 'cl:set', 'm'), ':1\r\n');
  t.equal(await writer.call('SREM', 'cl:set', 'm'), ':1\r\n');
  t.equal(await writer.call('DEL', 'cl:s', 'cl:h', 'cl:none'), ':2\r\n');
  t.equal(await writer.call('SET', 'cl:t', 'v', 'PX', '200'), '+OK\r\n');
  const expected = [
    keyevent('set', 'cl:s'),
    keyevent('hset', 'cl:h'),
    keyevent('sadd', 'cl:set'),
    keyevent('srem', 'cl:set'),
    keyevent('del', 'cl:set'),
    keyevent('del', 'cl:s'),
    keyevent('del', 'cl:h'),
    keyevent('set', 'cl:t'),
    keyevent('expire', 'cl:t'),
    keyevent('expired', 'cl:t'),
  ];
  for (const [i, s] of subs.entries()) {
    t.same(await s.read(expected.length, 10_000), expected, `subscriber ${i}: every event, in order`);
  }
  // New-key events: the key's first replica says whether it was new, also when the write was forwarded to it.
  t.equal(await writer.call('CONFIG', 'SET', 'notify-keyspace-events', 'En'), '+OK\r\n');
  const keys = ['cl:n0', 'cl:n1', 'cl:n2', 'cl:n3', 'cl:n4'];
  const firsts = new Set<string>();
  for (const k of keys) {
    firsts.add((await writer.call('QKV.REPLICAS', k)).split('\r\n')[2]!);
    t.equal(await writer.call('HINCRBY', k, 'f', '1'), ':1\r\n');
    t.equal(await writer.call('HINCRBY', k, 'f', '1'), ':2\r\n', 'a second write to it is no new key');
  }
  t.ok([...firsts].some((id) => id !== 'bravo'), `some keys are coordinated by another node than the entry (${[...firsts].join(', ')})`);
  for (const [i, s] of subs.entries()) {
    t.same(await s.read(keys.length, 10_000), keys.map((k) => keyevent('new', k)), `subscriber ${i}: one new event per key`);
  }
  // Each replica has swept cl:t by now; only its first replica announced it.
  await new Promise((r) => setTimeout(r, 500));
  for (const [i, s] of subs.entries()) t.same(s.pending(), [], `subscriber ${i}: nothing twice`);
});
