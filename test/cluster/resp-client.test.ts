import { createServer, type Server, type Socket } from 'node:net';
import t from 'tap';
import { RespClient, RespReplyError, encodeCommand, parseReply } from '../../src/server/resp-client.js';

t.test('replies parse whole, and wait for more bytes when cut anywhere', async (t) => {
  const cases: Array<[string, unknown]> = [
    ['+OK\r\n', 'OK'],
    [':42\r\n', 42],
    ['$4\r\nhé!\r\n', 'hé!'],
    ['$-1\r\n', null],
    ['*-1\r\n', null],
    ['*0\r\n', []],
    ['*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n-ERR inner\r\n', ['a', [1, null], 'ERR inner']],
  ];
  for (const [wire, value] of cases) {
    const buf = Buffer.from(wire);
    t.same(parseReply(buf), { value, next: buf.length }, JSON.stringify(wire));
    for (let cut = 0; cut < buf.length; cut++) t.equal(parseReply(buf.subarray(0, cut)), null, `${JSON.stringify(wire)} cut at ${cut}`);
  }
  const err = parseReply(Buffer.from('-NOAUTH Authentication required.\r\n'));
  t.ok(err?.value instanceof RespReplyError);
  t.equal((err?.value as RespReplyError).reply, 'NOAUTH Authentication required.');
  t.same(parseReply(Buffer.from('xx+OK\r\n'), 2), { value: 'OK', next: 7 }, 'parses from an offset');
  t.throws(() => parseReply(Buffer.from('?huh\r\n')), /not a RESP2 reply/);
  t.throws(() => parseReply(Buffer.from('$abc\r\n')), /bad RESP length/);
  t.throws(() => parseReply(Buffer.from('*-2\r\n')), /bad RESP length/);
});

t.test('commands are arrays of bulk strings', async (t) => {
  t.equal(encodeCommand(['SET', 'k', 'é']).toString(), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n');
});

/** A scripted server: each command gets the next canned answer (raw bytes), or nothing for null. */
async function scripted(t: { teardown(fn: () => unknown): void }, answers: Array<string | null | ((s: Socket) => void)>): Promise<number> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    s.on('data', () => {
      const next = answers.shift();
      if (typeof next === 'string') {
        // Reply in two pieces to exercise reassembly.
        s.write(next.slice(0, 2));
        setTimeout(() => s.write(next.slice(2)), 5);
      } else if (typeof next === 'function') next(s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as { port: number }).port;
}

t.test('a client sends commands one at a time and gets their replies', async (t) => {
  const port = await scripted(t, ['+PONG\r\n', '-ERR nope\r\n', '$3\r\nabc\r\n', null]);
  const c = await RespClient.connect({ host: '127.0.0.1', port, timeoutMs: 200 });
  t.teardown(() => c.close());
  t.equal(await c.call('PING'), 'PONG');
  await t.rejects(c.call('BAD'), { name: 'RespReplyError', reply: 'ERR nope' });
  const first = c.call('GET', 'k');
  await t.rejects(c.call('GET', 'again'), /one command at a time/);
  t.equal(await first, 'abc');
  await t.rejects(c.call('SILENT'), /no reply to SILENT within 200 ms/);
  await t.rejects(c.call('PING'), /no reply to SILENT/, 'a timed-out connection stays failed');
});

t.test('a closed connection, garbage and unasked-for replies fail the client', async (t) => {
  const port = await scripted(t, [(s) => s.end(), (s) => s.write('!!!\r\n'), (s) => s.write('+A\r\n+B\r\n')]);
  const c1 = await RespClient.connect({ host: '127.0.0.1', port });
  await t.rejects(c1.call('PING'), /connection closed by the server/);
  const c2 = await RespClient.connect({ host: '127.0.0.1', port });
  await t.rejects(c2.call('PING'), /not a RESP2 reply/);
  const c3 = await RespClient.connect({ host: '127.0.0.1', port });
  t.equal(await c3.call('PING'), 'A');
  await new Promise((r) => setTimeout(r, 20));
  await t.rejects(c3.call('PING'), /a reply nobody asked for/);
  c3.close();
  const c4 = await RespClient.connect({ host: '127.0.0.1', port });
  c4.close();
  await t.rejects(c4.call('PING'), /client closed/);
});

t.test('connecting fails when nothing listens', async (t) => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  await t.rejects(RespClient.connect({ host: '127.0.0.1', port }), { code: 'ECONNREFUSED' });
});
