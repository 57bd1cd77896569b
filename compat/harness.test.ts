import t from 'tap';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { freePort, freePortRange, freeTcpUdpPort } from '../test/support/free-port.js';
import { startRedisServer, type ServerProcess } from '../test/support/node-process.js';
import { requireTool } from './support/outside-tool.js';

// The process harness every compat test stands on, checked against a real
// redis-server so it is known good independently of the server under test.

function canBindTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function canBindUdp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

t.test('free ports', async (t) => {
  const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
  t.equal(new Set(ports).size, 20, 'never the same port twice');
  t.ok(await canBindTcp(ports[0] ?? 0), 'a handed-out port can be bound');
  const peer = await freeTcpUdpPort();
  t.ok((await canBindTcp(peer)) && (await canBindUdp(peer)), 'a peer port is free for TCP and UDP');
  const base = await freePortRange(3, true);
  for (let p = base; p < base + 3; p++) t.ok((await canBindTcp(p)) && (await canBindUdp(p)), `port ${p} of the range is free`);
  t.notOk(ports.includes(base), 'ranges do not overlap ports already handed out');
});

if (requireTool(t, 'redis-server', 'redis-server', ['--version'], 'apt-get install -y redis-server')) {
  t.test('start, ready, stop, crash, restart', async (t) => {
    const server = await startRedisServer({ t, requirepass: 'pw' });
    t.ok(alive(server.pid), 'running after start');
    t.ok(existsSync(server.dataDir), 'has its own data dir');
    t.match(await server.waitForLine(/Ready to accept connections/), /Ready to accept/);
    t.match(server.commandLine(), /^redis-server --port \d+ /);
    const firstPid = server.pid;

    const crash = await server.kill9();
    t.same(crash, { code: null, signal: 'SIGKILL' });
    t.notOk(server.running);
    t.throws(() => server.pid, /not running/);
    await t.rejects(server.ready(1000), /exited before answering PING/);

    await server.restart();
    t.not(server.pid, firstPid, 'a new process');
    const stopped = await server.stop();
    t.same(stopped, { code: 0, signal: null }, 'SIGTERM stops it cleanly');
    t.same(server.exit, stopped);
    t.same(await server.stop(), stopped, 'stopping twice is harmless');
    await server.dispose();
    t.notOk(existsSync(server.dataDir), 'data dir removed on dispose');
    t.throws(() => server.spawn(), /disposed/);
  });

  t.test('a server that dies at start is reported with its output', async (t) => {
    const err = await startRedisServer({ t, args: ['--no-such-option', 'x'] }).then(
      () => null,
      (e: unknown) => e,
    );
    t.ok(err instanceof Error);
    t.match((err as Error).message, /exited before answering PING/);
    t.match((err as Error).message, /no-such-option/, 'the message carries the last output');
  });

  let pid = 0;
  let proc: ServerProcess | undefined;
  t.test('teardown stops what the test started', async (t) => {
    proc = await startRedisServer({ t });
    pid = proc.pid;
    t.ok(alive(pid));
  });
  t.test('after the previous test ended', async (t) => {
    t.notOk(alive(pid), 'its server is gone');
    t.equal(proc?.running, false);
  });
}
