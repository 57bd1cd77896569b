import t from 'tap';
import { bulkReply, encodeCommand, encodePipeline } from './raw-client.js';
import type { RawClient } from './raw-client.js';
import { sleep, startTestNode } from './node-harness.js';

// Pipelining and protocol errors: replies in request order, keyless commands
// as barriers, the protocol switch of HELLO mid-pipeline, and what a bad
// frame does to its connection (and nothing else).

const { raw } = await startTestNode(t);

const INVALID_BULK = '-ERR Protocol error: invalid bulk length\r\n';

async function infoField(c: RawClient, section: string, name: string): Promise<string> {
  const reply = await c.call('INFO', section);
  const m = new RegExp(`\\r\\n${name}:([^\\r]*)\\r\\n`).exec(reply);
  if (!m) throw new Error(`no ${name} in INFO ${section}`);
  return m[1]!;
}

t.test('a bad frame: the error, then the close; another connection is unaffected', async (t) => {
  const other = await raw();
  t.equal(await other.call('SET', 'proto:k', 'v'), '+OK\r\n');
  const errorsBefore = Number(await infoField(other, 'stats', 'protocol_errors'));

  const bad = await raw();
  bad.send('*1\r\n$x\r\n');
  await bad.waitClosed();
  t.same(await bad.read(2), [INVALID_BULK]);
  t.equal(bad.partial, '');

  t.equal(await other.call('GET', 'proto:k'), '$1\r\nv\r\n', 'the other connection carries on');
  t.equal(Number(await infoField(other, 'stats', 'protocol_errors')), errorsBefore + 1, 'counted in INFO');
});

t.test('each kind of bad frame gets its Redis text', async (t) => {
  const cases: Array<[string, string]> = [
    ['*x\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
    ['*1\r\nx\r\n', "-ERR Protocol error: expected '$', got 'x'\r\n"],
    ['"PING\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n'],
    ['*1\r\n$-5\r\n', INVALID_BULK],
  ];
  for (const [input, expected] of cases) {
    const c = await raw();
    c.send(input);
    await c.waitClosed();
    t.same(await c.read(2), [expected], JSON.stringify(input));
  }
});

t.test('requests before the bad frame in the same write are run and answered first', async (t) => {
  const c = await raw();
  c.send(Buffer.concat([encodePipeline([['PING'], ['SET', 'proto:before', '1'], ['INCR', 'proto:before'], ['GET', 'proto:before']]), Buffer.from('*1\r\n$x\r\nPING\r\n')]));
  await c.waitClosed();
  t.same(await c.read(6), ['+PONG\r\n', '+OK\r\n', ':2\r\n', '$1\r\n2\r\n', INVALID_BULK]);
  const check = await raw();
  t.equal(await check.call('GET', 'proto:before'), '$1\r\n2\r\n');
});

t.test('a command past the query buffer limit closes the connection without a word', async (t) => {
  const admin = await raw();
  // The limit must leave room for the largest value, so that comes down too.
  t.equal(await admin.call('CONFIG', 'SET', 'client-query-buffer-limit', '1mb', 'max-value-bytes', '60000'), '+OK\r\n');
  t.teardown(() => admin.call('CONFIG', 'SET', 'client-query-buffer-limit', '1gb', 'max-value-bytes', '1mb'));
  const c = await raw(); // limits are read when a client connects
  const chunk = Buffer.alloc(50_000, 'a');
  c.send(encodeCommand('MSET', ...Array.from({ length: 24 }, () => chunk)));
  await c.waitClosed();
  t.same(await c.read(1), [], 'no reply');
  t.equal(await admin.call('PING'), '+PONG\r\n');
});

t.test('a client that half-closes after sending still gets every reply, then the close', async (t) => {
  const c = await raw();
  c.socket.end(encodePipeline([['SET', 'half:k', '1'], ['INCR', 'half:k'], ['GET', 'half:k'], ['DBSIZE'], ['PING']]));
  await c.waitClosed();
  const replies = await c.read(5);
  t.same(replies.slice(0, 3), ['+OK\r\n', ':2\r\n', '$1\r\n2\r\n']);
  t.match(replies[3], /^:\d+\r\n$/);
  t.equal(replies[4], '+PONG\r\n');

  const quiet = await raw();
  quiet.socket.end();
  await quiet.waitClosed();
  t.same(await quiet.read(1), [], 'nothing sent, nothing answered, closed');
});

t.test('pipelined commands in one write: every reply, in order', async (t) => {
  const c = await raw();
  c.send(
    encodePipeline([
      ['SET', 'pl:k', '1'],
      ['INCR', 'pl:k'],
      ['INCR', 'pl:k'],
      ['GET', 'pl:k'],
      ['DEL', 'pl:k'],
      ['GET', 'pl:k'],
      ['PING'],
      ['MSET', 'pl:a', '1', 'pl:b', '2'],
      ['MGET', 'pl:a', 'pl:b'],
    ]),
  );
  t.same(await c.read(9), ['+OK\r\n', ':2\r\n', ':3\r\n', '$1\r\n3\r\n', ':1\r\n', '$-1\r\n', '+PONG\r\n', '+OK\r\n', '*2\r\n$1\r\n1\r\n$1\r\n2\r\n']);
});

t.test('the same pipeline fed one byte at a time', async (t) => {
  const c = await raw();
  const bytes = Buffer.concat([encodePipeline([['SET', 'pl:byte', 'x'], ['APPEND', 'pl:byte', 'yz'], ['GET', 'pl:byte']]), Buffer.from('PING\r\n')]);
  for (const b of bytes) {
    c.send(Buffer.from([b]));
    await sleep(0);
  }
  t.same(await c.read(4), ['+OK\r\n', ':3\r\n', '$3\r\nxyz\r\n', '+PONG\r\n']);
});

t.test('10,000 commands over many keys in one write: all answered, in order, right values', async (t) => {
  const c = await raw();
  const keysBefore = Number((await c.call('DBSIZE')).slice(1, -2));
  const commands: string[][] = [];
  const expected: string[] = [];
  for (let i = 0; commands.length < 10_000; i++) {
    commands.push(['SET', `big:${i}`, `v${i}`]);
    expected.push('+OK\r\n');
    commands.push(['GET', `big:${i}`]);
    expected.push(bulkReply(`v${i}`));
    // The next key's SET comes later in the pipeline: this GET must not see it.
    commands.push(['GET', `big:${i + 1}`]);
    expected.push('$-1\r\n');
    if (i % 100 === 99) {
      commands.push(['INCR', 'big:counter']);
      expected.push(`:${(i + 1) / 100}\r\n`);
    }
  }
  c.send(encodePipeline(commands));
  const replies = await c.read(commands.length, 30_000);
  t.equal(replies.length, commands.length);
  const firstWrong = replies.findIndex((r, i) => r !== expected[i]);
  t.equal(firstWrong, -1, firstWrong < 0 ? 'all match' : `reply ${firstWrong} to ${commands[firstWrong]!.join(' ')}: ${replies[firstWrong]}`);
  t.equal(await c.call('DBSIZE'), `:${keysBefore + commands.filter((x) => x[0] === 'SET').length + 1}\r\n`);
});

t.test('keyless commands between writes are barriers: CLIENT SETNAME, CLIENT GETNAME, FLUSHALL', async (t) => {
  const c = await raw();
  c.send(
    encodePipeline([
      ['SET', 'bar:a', '1'],
      ['CLIENT', 'SETNAME', 'first'],
      ['GET', 'bar:a'],
      ['CLIENT', 'GETNAME'],
      ['SET', 'bar:a', '2'],
      ['CLIENT', 'SETNAME', 'second'],
      ['INCR', 'bar:a'],
      ['CLIENT', 'GETNAME'],
      ['FLUSHALL'],
      ['GET', 'bar:a'],
      ['SET', 'bar:a', 'after'],
      ['DBSIZE'],
      ['GET', 'bar:a'],
    ]),
  );
  t.same(await c.read(13), [
    '+OK\r\n',
    '+OK\r\n',
    '$1\r\n1\r\n',
    bulkReply('first'),
    '+OK\r\n',
    '+OK\r\n',
    ':3\r\n',
    bulkReply('second'),
    '+OK\r\n',
    '$-1\r\n',
    '+OK\r\n',
    ':1\r\n',
    bulkReply('after'),
  ]);
});

t.test('a keyless command after an async keyless one, in a later write, is answered', async (t) => {
  const c = await raw();
  t.match(await c.call('DBSIZE'), /^:\d+\r\n$/);
  t.equal(await c.call('PING'), '+PONG\r\n');
  t.match(await c.call('DBSIZE'), /^:\d+\r\n$/);
  t.equal(await c.call('CLIENT', 'SETNAME', 'later'), '+OK\r\n');
  c.send('DBSIZE\r\nPING\r\nDBSIZE\r\nECHO x\r\n');
  const replies = await c.read(4);
  t.same(replies.slice(1, 2).concat(replies.slice(3)), ['+PONG\r\n', '$1\r\nx\r\n']);
});

t.test('HELLO 3 mid-pipeline switches the replies after it, not those before', async (t) => {
  const c = await raw();
  c.send(
    encodePipeline([
      ['SET', 'hp:k', 'v'],
      ['MGET', 'hp:k', 'hp:none'],
      ['HELLO', '3'],
      ['MGET', 'hp:k', 'hp:none'],
      ['GET', 'hp:none'],
      ['HELLO', '2'],
      ['MGET', 'hp:k', 'hp:none'],
    ]),
  );
  const replies = await c.read(7);
  t.equal(replies[0], '+OK\r\n');
  t.equal(replies[1], '*2\r\n$1\r\nv\r\n$-1\r\n', 'RESP2 before HELLO 3');
  t.match(replies[2], /^%7\r\n/);
  t.equal(replies[3], '*2\r\n$1\r\nv\r\n_\r\n', 'RESP3 after');
  t.equal(replies[4], '_\r\n');
  t.match(replies[5], /^\*14\r\n/);
  t.equal(replies[6], '*2\r\n$1\r\nv\r\n$-1\r\n', 'RESP2 again after HELLO 2');
});
