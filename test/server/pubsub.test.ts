import t from 'tap';
import { connect } from 'node:net';
import { encodeCommand, encodePipeline } from './raw-client.js';
import { captureLog, eventually, startTestNode } from './node-harness.js';

/**
 * Pub/Sub on a running node: subscriptions end with the connection, CLIENT
 * LIST and INFO show them, client-output-buffer-limit's pubsub class is set
 * as in Redis, and a subscriber that never reads is disconnected while the
 * node stays responsive and its memory bounded.
 */

const configReply = (name: string, value: string): string => `*2\r\n$${name.length}\r\n${name}\r\n$${value.length}\r\n${value}\r\n`;

const log = captureLog('warn');
const { raw, node } = await startTestNode(t, ['--client-output-buffer-limit-pubsub', '1mb 0 0'], { log: log.logger });

t.test('a closed subscriber leaves no subscription behind; CLIENT LIST and INFO count subscriptions', async (t) => {
  const admin = await raw();
  const sub = await raw();
  sub.send(encodePipeline([['SUBSCRIBE', 'srv:a', 'srv:b'], ['PSUBSCRIBE', 'srv:*'], ['SSUBSCRIBE', 'srv:s']]));
  await sub.read(4);
  t.match(await admin.call('CLIENT', 'LIST'), /flags=P db=0 sub=2 psub=1 ssub=1 .*cmd=ssubscribe/);
  const listed = await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub');
  t.equal(listed.match(/id=/g)?.length, 1, 'CLIENT LIST TYPE pubsub: the subscriber only');
  t.match(listed, /flags=P/);
  t.notMatch(await admin.call('CLIENT', 'LIST', 'TYPE', 'normal'), /flags=P/);
  const info = await admin.call('INFO', 'stats');
  t.match(info, /pubsub_channels:2\r\n/);
  t.match(info, /pubsub_patterns:1\r\n/);
  t.match(info, /pubsubshard_channels:1\r\n/);
  sub.close();
  await eventually(async () => (await admin.call('PUBSUB', 'NUMSUB', 'srv:a')) === '*2\r\n$5\r\nsrv:a\r\n:0\r\n', 3000, 'the subscription ended');
  t.equal(await admin.call('PUBSUB', 'NUMPAT'), ':0\r\n');
  t.equal(await admin.call('PUBLISH', 'srv:a', 'x'), ':0\r\n');
});

t.test('CLIENT KILL TYPE pubsub closes subscribers only', async (t) => {
  const admin = await raw();
  const normal = await raw();
  const sub = await raw();
  await sub.call('SUBSCRIBE', 'srv:kill');
  t.equal(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub'), ':1\r\n');
  await sub.waitClosed();
  t.equal(await normal.call('PING'), '+PONG\r\n', 'a normal client stays');
  t.equal(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub'), ':0\r\n');
});

t.test("a message waits behind replies already owed to the subscriber, in RESP3 too", async (t) => {
  const sub = await raw();
  const pub = await raw();
  await sub.call('HELLO', '3');
  sub.send(encodeCommand('SUBSCRIBE', 'srv:order'));
  await sub.read(1);
  sub.send(encodePipeline([['SET', 'srv:k', 'v'], ['GET', 'srv:k']]));
  t.equal(await pub.call('PUBLISH', 'srv:order', 'm'), ':1\r\n');
  t.same(await sub.read(3), ['+OK\r\n', '$1\r\nv\r\n', '>3\r\n$7\r\nmessage\r\n$9\r\nsrv:order\r\n$1\r\nm\r\n']);
});

t.test("CONFIG SET client-output-buffer-limit takes Redis's class syntax", async (t) => {
  const admin = await raw();
  t.equal(await admin.call('CONFIG', 'GET', 'client-output-buffer-limit-pubsub'), configReply('client-output-buffer-limit-pubsub', '1048576 0 0'));
  t.equal(await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0 slave 256mb 64mb 60 pubsub 2mb 1mb 30'), '+OK\r\n');
  t.equal(await admin.call('CONFIG', 'GET', 'client-output-buffer-limit-pubsub'), configReply('client-output-buffer-limit-pubsub', '2097152 1048576 30'));
  t.equal(await admin.call('CONFIG', 'GET', 'client-output-buffer-limit'), configReply('client-output-buffer-limit', '0'));
  const failed = (why: string): string => `-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - ${why}\r\n`;
  t.equal(await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb 0'), failed('Wrong number of arguments in buffer limit configuration.'));
  t.equal(await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'master 1mb 0 0'), failed('Invalid client class specified in buffer limit configuration.'));
  t.equal(await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb 0 x'), failed('Error in hard, soft or soft_seconds setting in buffer limit configuration.'));
  t.equal(await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 256mb 0 0 pubsub 1mb 0 0'), '+OK\r\n');
});

t.test('a subscriber that never reads is disconnected; the node stays responsive with bounded memory', async (t) => {
  const pub = await raw();
  // A raw socket that subscribes and then never reads a byte.
  const slow = connect(node.port, '127.0.0.1');
  slow.on('error', () => undefined);
  await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
  let closed = false;
  slow.on('close', () => (closed = true));
  // The node's side of it: the subscription is gone once the node has closed the connection.
  const dropped = async (): Promise<boolean> => (await pub.call('PUBSUB', 'NUMSUB', 'srv:flood')).endsWith(':0\r\n');
  slow.write(encodeCommand('SUBSCRIBE', 'srv:flood'));
  await eventually(async () => (await pub.call('PUBSUB', 'NUMSUB', 'srv:flood')).endsWith(':1\r\n'), 3000, 'subscribed');
  slow.pause();
  t.teardown(() => slow.destroy());
  const message = Buffer.alloc(64 * 1024, 'm');
  const rssBefore = process.memoryUsage.rss();
  let delivered = 0;
  // 200 MB published in pipelines of 100: far past the 1 MB hard limit and the socket buffers.
  for (let round = 0; round < 32 && !(await dropped()); round++) {
    pub.send(encodePipeline(Array.from({ length: 100 }, () => ['PUBLISH', 'srv:flood', message])));
    const replies = await pub.read(100, 10_000);
    delivered += replies.filter((r) => r === ':1\r\n').length;
  }
  await eventually(dropped, 5000, 'the slow subscriber disconnected');
  t.ok(delivered < 3200, `messages stopped reaching it (${delivered} delivered)`);
  t.ok(process.memoryUsage.rss() - rssBefore < 150 * 1024 * 1024, 'memory did not grow with what was published');
  t.match(log.lines.find((l) => l.msg === 'client output buffer limit reached, closing'), { why: /hard limit of 1048576/ });
  const started = Date.now();
  t.equal(await pub.call('PING'), '+PONG\r\n');
  t.ok(Date.now() - started < 1000, 'the node answers at once');
  t.equal(await pub.call('PUBLISH', 'srv:flood', 'x'), ':0\r\n');
  // Reading what it had been sent, the client finds the connection closed.
  slow.resume();
  await eventually(() => closed, 5000, 'the client sees the close');
});
