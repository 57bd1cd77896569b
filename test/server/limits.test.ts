import t from 'tap';
import { connect } from 'node:net';
import { isLoopback } from '../../src/server/resp-server.js';
import { encodeCommand, encodePipeline } from './raw-client.js';
import type { RawClient } from './raw-client.js';
import { captureLog, eventually, sleep, startTestNode } from './node-harness.js';

// Connection limits of a running node: maxclients, the idle timeout, the
// output buffer limit, protected mode's loopback test.

const log = captureLog('warn');
const { raw } = await startTestNode(t, ['--client-output-buffer-limit', '100000'], { log: log.logger });

async function clientIds(c: RawClient): Promise<number[]> {
  const reply = await c.call('CLIENT', 'LIST');
  return [...reply.matchAll(/(?:^|\n|\r\n)id=(\d+) /g)].map((m) => Number(m[1]));
}

async function idOf(c: RawClient): Promise<number> {
  return Number((await c.call('CLIENT', 'ID')).slice(1, -2));
}

t.test('maxclients: one more client gets the error and is closed', async (t) => {
  const only = await raw();
  t.equal(await only.call('CONFIG', 'SET', 'maxclients', '1'), '+OK\r\n');
  const rejectedBefore = /rejected_connections:(\d+)/.exec(await only.call('INFO', 'stats'))![1];

  const extra = await raw();
  await extra.waitClosed();
  t.same(await extra.read(1), ['-ERR max number of clients reached\r\n']);
  t.equal(await only.call('PING'), '+PONG\r\n', 'the client already in is served');
  t.equal(/rejected_connections:(\d+)/.exec(await only.call('INFO', 'stats'))![1], String(Number(rejectedBefore) + 1));

  t.equal(await only.call('CONFIG', 'SET', 'maxclients', '10000'), '+OK\r\n');
  const again = await raw();
  t.equal(await again.call('PING'), '+PONG\r\n', 'admitted once the limit is raised');
});

t.test('a refused client that never closes does not hold up the shutdown', async (t) => {
  const small = await startTestNode(t, ['--maxclients', '1']);
  const inside = await small.raw();
  t.equal(await inside.call('PING'), '+PONG\r\n');
  // Half-open: it keeps its side open after the node's error and FIN.
  const stubborn = connect({ port: small.node.port, host: '127.0.0.1', allowHalfOpen: true });
  t.teardown(() => stubborn.destroy());
  let got = '';
  stubborn.on('data', (d: Buffer) => (got += d.toString()));
  await new Promise<void>((resolve) => stubborn.once('end', () => resolve()));
  t.equal(got, '-ERR max number of clients reached\r\n');
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([
    small.node.close().then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 5000))),
  ]);
  clearTimeout(timer);
  t.ok(stopped, 'close() finished');
});

t.test('timeout: an idle client is closed within a few seconds, an active one stays', async (t) => {
  const idle = await raw();
  const active = await raw();
  t.equal(await idle.call('PING'), '+PONG\r\n');
  const lastUsed = Date.now();
  t.equal(await active.call('CONFIG', 'SET', 'timeout', '1'), '+OK\r\n');

  let stop = false;
  const keepBusy = (async () => {
    while (!stop) {
      if ((await active.call('PING')) !== '+PONG\r\n') throw new Error('active client not served');
      await sleep(200);
    }
  })();
  await idle.waitClosed(4000);
  const quiet = Date.now() - lastUsed;
  t.ok(quiet >= 900, `idle for about the timeout first (${quiet} ms)`);
  t.same(await idle.read(1), [], 'closed without a reply, as Redis does');
  stop = true;
  await keepBusy;
  t.notOk(active.closed, 'the active client survived');
  t.equal(await active.call('CONFIG', 'SET', 'timeout', '0'), '+OK\r\n');
});

t.test('output buffer limit: a client that does not read is closed; the node stays healthy', async (t) => {
  const admin = await raw();
  t.equal(await admin.call('CONFIG', 'GET', 'client-output-buffer-limit'), '*2\r\n$26\r\nclient-output-buffer-limit\r\n$6\r\n100000\r\n');
  const value = Buffer.alloc(256 * 1024, 'v');
  t.equal(await admin.call('SET', 'obl:big', value), '+OK\r\n');

  const slow = await raw();
  const slowId = await idOf(slow);
  slow.socket.pause(); // reads nothing from here on
  slow.send(encodePipeline(Array.from({ length: 200 }, () => ['GET', 'obl:big'])));
  await eventually(async () => !(await clientIds(admin)).includes(slowId), 10_000, 'the slow client is closed');
  t.ok(
    log.lines.some((l) => l.msg === 'client output buffer limit reached, closing' && l.client === slowId),
    'the node says why',
  );
  slow.socket.resume();
  await slow.waitClosed();

  t.equal(await admin.call('PING'), '+PONG\r\n', 'another client is served');
  const fresh = await raw();
  t.equal(await fresh.call('STRLEN', 'obl:big'), `:${value.length}\r\n`, 'a new client is served');
});

t.test('an output buffer of 0 means no limit', async (t) => {
  const admin = await raw();
  t.equal(await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', '0'), '+OK\r\n');
  t.teardown(() => admin.call('CONFIG', 'SET', 'client-output-buffer-limit', '100000'));
  const value = Buffer.alloc(128 * 1024, 'w');
  t.equal(await admin.call('SET', 'obl:zero', value), '+OK\r\n');
  const c = await raw();
  c.send(encodePipeline(Array.from({ length: 40 }, () => ['GET', 'obl:zero'])));
  const replies = await c.read(40, 20_000);
  t.equal(replies.length, 40);
  t.notOk(c.closed);
  c.send(encodeCommand('PING'));
  t.same(await c.read(1), ['+PONG\r\n']);
});

t.test('protected mode: which addresses count as loopback', async (t) => {
  // A non-loopback client cannot be made on a test machine that has only
  // loopback to connect from, so the rule itself is checked here.
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) t.ok(isLoopback(a), a);
  for (const a of ['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', '128.0.0.1', 'fe80::1', '', undefined]) t.notOk(isLoopback(a), String(a));
});
