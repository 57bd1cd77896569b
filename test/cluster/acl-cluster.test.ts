import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/server/logger.js';
import { startNode, type RunningNode } from '../../src/server/node.js';
import { freePort, freeTcpUdpPort } from '../support/free-port.js';
import type { Teardown } from '../support/node-process.js';
import { RawClient } from '../server/raw-client.js';
import { eventually } from '../server/node-harness.js';
import { waitForViews } from './helpers.js';

// ACL changes reach every node of a three-node cluster (one process, real
// sockets): a user made through one node can log in through any other, a
// deletion and requirepass travel the same way, and a node that was down
// catches up when it is back.

const quiet = createLogger({ level: 'error', write: () => undefined });

interface Started {
  node: RunningNode;
  readonly flags: string[];
}

async function start(t: Teardown, id: string, seed?: string): Promise<Started> {
  const dataDir = await mkdtemp(join(tmpdir(), 'qkv-acl-cluster-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const peerPort = await freeTcpUdpPort();
  const flags = ['--port', String(await freePort()), '--peer-port', String(peerPort), '--data-dir', dataDir, '--node-id', id, '--seeds', seed ?? `127.0.0.1:${peerPort}`];
  const node = await startNode(loadConfig(flags, {}, () => ''), quiet);
  const s: Started = { node, flags };
  t.teardown(() => s.node.close());
  return s;
}

async function callOnce(port: number, ...cmds: string[][]): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    const out: string[] = [];
    for (const cmd of cmds) out.push(await c.call(...cmd));
    return out;
  } finally {
    c.close();
  }
}

t.test('three nodes share their ACL users', async (t) => {
  const a = await start(t, 'alpha');
  const seed = a.flags[a.flags.indexOf('--seeds') + 1]!;
  const b = await start(t, 'bravo', seed);
  const c = await start(t, 'charlie', seed);
  const ports = () => [a.node.port, b.node.port, c.node.port];
  await waitForViews(ports(), ['alpha', 'bravo', 'charlie']);

  t.same(await callOnce(b.node.port, ['ACL', 'SETUSER', 'alice', 'on', '>pw', '~a*', '+get', '+set', '+acl|whoami']), ['+OK\r\n']);
  for (const port of [a.node.port, c.node.port]) {
    await eventually(async () => (await callOnce(port, ['AUTH', 'alice', 'pw']))[0] === '+OK\r\n', 10_000, `alice known on ${port}`);
    t.same(await callOnce(port, ['AUTH', 'alice', 'pw'], ['ACL', 'WHOAMI'], ['GET', 'b1'], ['DEL', 'a1']), [
      '+OK\r\n',
      '$5\r\nalice\r\n',
      '-NOPERM this user has no permissions to access one of the keys used as arguments\r\n',
      "-NOPERM this user has no permissions to run the 'del' command\r\n",
    ]);
  }

  // A deletion through another node travels too.
  t.same(await callOnce(c.node.port, ['ACL', 'DELUSER', 'alice']), [':1\r\n']);
  for (const port of ports()) {
    await eventually(async () => (await callOnce(port, ['ACL', 'USERS']))[0] === '*1\r\n$7\r\ndefault\r\n', 10_000, `alice gone on ${port}`);
  }

  // requirepass is the default user's password, everywhere.
  t.same(await callOnce(a.node.port, ['CONFIG', 'SET', 'requirepass', 'sekret']), ['+OK\r\n']);
  for (const port of [b.node.port, c.node.port]) {
    await eventually(async () => (await callOnce(port, ['PING']))[0]!.startsWith('-NOAUTH'), 10_000, `password required on ${port}`);
    t.same(await callOnce(port, ['AUTH', 'sekret'], ['PING']), ['+OK\r\n', '+PONG\r\n']);
  }
  t.same(await callOnce(b.node.port, ['AUTH', 'sekret'], ['ACL', 'SETUSER', 'default', 'nopass']), ['+OK\r\n', '+OK\r\n']);
  for (const port of ports()) await eventually(async () => (await callOnce(port, ['PING']))[0] === '+PONG\r\n', 10_000, `open again on ${port}`);

  // A node that was down when a change was made catches up once it is back.
  await c.node.close();
  t.same(await callOnce(a.node.port, ['ACL', 'SETUSER', 'late', 'on', 'nopass', '+@all', '~*']), ['+OK\r\n']);
  c.node = await startNode(loadConfig(c.flags, {}, () => ''), quiet);
  await eventually(async () => (await callOnce(c.node.port, ['AUTH', 'late', 'x']))[0] === '+OK\r\n', 20_000, 'charlie caught up');
  t.pass('charlie has the user made while it was down');
});
