import t from 'tap';
import { REDIS_COMPAT_VERSION } from '../../src/server/version.js';
import { bulkReply } from './raw-client.js';
import { startTestNode } from './node-harness.js';

// PING ECHO SELECT QUIT RESET HELLO AUTH over a real socket, checked byte for
// byte against what redis-server 7 sends (7.2's texts where 7.2 changed them).

const { node, raw } = await startTestNode(t);

const arity = (name: string): string => `-ERR wrong number of arguments for '${name}' command\r\n`;

/** HELLO's reply: a flat array of 14 in RESP2, a map of 7 in RESP3. */
function helloBytes(protocol: 2 | 3, id: number): string {
  const fields =
    '$6\r\nserver\r\n$5\r\nredis\r\n' +
    `$7\r\nversion\r\n${bulkReply(REDIS_COMPAT_VERSION)}` +
    `$5\r\nproto\r\n:${protocol}\r\n` +
    `$2\r\nid\r\n:${id}\r\n` +
    '$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n';
  return (protocol === 2 ? '*14\r\n' : '%7\r\n') + fields;
}

async function clientId(c: Awaited<ReturnType<typeof raw>>): Promise<number> {
  const reply = await c.call('CLIENT', 'ID');
  if (!/^:\d+\r\n$/.test(reply)) throw new Error(`CLIENT ID answered ${JSON.stringify(reply)}`);
  return Number(reply.slice(1, -2));
}

t.test('PING with and without a message, too many arguments', async (t) => {
  const c = await raw();
  t.equal(await c.call('PING'), '+PONG\r\n');
  t.equal(await c.call('ping', 'hello world'), bulkReply('hello world'));
  t.equal(await c.call('PING', ''), '$0\r\n\r\n');
  t.equal(await c.call('PING', 'a', 'b'), arity('ping'));
  c.send('PING\r\n');
  t.same(await c.read(1), ['+PONG\r\n'], 'inline PING, as typed into telnet');
});

t.test('ECHO', async (t) => {
  const c = await raw();
  t.equal(await c.call('ECHO', 'hi'), '$2\r\nhi\r\n');
  t.equal(await c.call('ECHO', Buffer.from([0, 255, 13, 10])), '$4\r\n\x00\xff\r\n\r\n', 'binary safe');
  t.equal(await c.call('ECHO'), arity('echo'));
  t.equal(await c.call('ECHO', 'a', 'b'), arity('echo'));
});

t.test('SELECT: database 0 only', async (t) => {
  const c = await raw();
  t.equal(await c.call('SELECT', '0'), '+OK\r\n');
  t.equal(await c.call('SELECT', '1'), '-ERR DB index is out of range\r\n', 'as Redis with databases 1');
  t.equal(await c.call('SELECT', 'x'), '-ERR value is not an integer or out of range\r\n');
  t.equal(await c.call('SELECT'), arity('select'));
  t.equal(await c.call('PING'), '+PONG\r\n', 'still open');
});

t.test('unknown command and wrong arity keep the connection open', async (t) => {
  const c = await raw();
  t.equal(await c.call('FOO', 'a', 'b'), "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n");
  t.equal(await c.call('nosuch'), "-ERR unknown command 'nosuch', with args beginning with: \r\n");
  t.equal(await c.call('GET'), arity('get'));
  t.equal(await c.call('SET', 'k'), arity('set'));
  t.equal(await c.call('CLIENT', 'SETNAME'), arity('client|setname'));
  t.equal(await c.call('CLIENT', 'nosuch'), "-ERR unknown subcommand 'nosuch'. Try CLIENT HELP.\r\n");
  t.equal(await c.call('PING'), '+PONG\r\n');
  t.notOk(c.closed);
});

t.test('QUIT: +OK, then the connection closes; commands pipelined after it are not run', async (t) => {
  const c = await raw();
  c.send('SET quit:before 1\r\nQUIT\r\nPING\r\nSET quit:after 1\r\nGET quit:before\r\n');
  await c.waitClosed();
  t.same(await c.read(5), ['+OK\r\n', '+OK\r\n'], 'the SET and QUIT replies, nothing after');
  t.equal(c.partial, '');

  const other = await raw();
  t.equal(await other.call('GET', 'quit:before'), '$1\r\n1\r\n');
  t.equal(await other.call('EXISTS', 'quit:after'), ':0\r\n', 'the SET after QUIT never ran');
});

t.test('QUIT alone, and with arguments (Redis ignores them)', async (t) => {
  const a = await raw();
  a.send('QUIT\r\n');
  await a.waitClosed();
  t.same(await a.read(1), ['+OK\r\n']);
  const b = await raw();
  b.send('QUIT now please\r\n');
  await b.waitClosed();
  t.same(await b.read(1), ['+OK\r\n']);
});

t.test('HELLO: no arguments, 2, 3 (a map), 4, bad version, bad option', async (t) => {
  const c = await raw();
  const id = await clientId(c);
  t.equal(await c.call('HELLO'), helloBytes(2, id), 'HELLO alone answers in RESP2 and keeps it');
  t.equal(await c.call('HELLO', '2'), helloBytes(2, id));
  t.equal(await c.call('HELLO', '4'), '-NOPROTO unsupported protocol version\r\n');
  t.equal(await c.call('HELLO', '1'), '-NOPROTO unsupported protocol version\r\n');
  t.equal(await c.call('HELLO', 'x'), '-ERR Protocol version is not an integer or out of range\r\n');
  t.equal(await c.call('HELLO', '3', 'FOO'), "-ERR Syntax error in HELLO option 'FOO'\r\n");
  t.equal(await c.call('HELLO', '3', 'AUTH', 'default'), "-ERR Syntax error in HELLO option 'AUTH'\r\n", 'AUTH needs two values');
  t.equal(await c.call('GET', 'hello:missing'), '$-1\r\n', 'failed HELLOs left RESP2 in force');

  t.equal(await c.call('HELLO', '3'), helloBytes(3, id));
  t.equal(await c.call('GET', 'hello:missing'), '_\r\n', 'RESP3 null');
  t.equal(await c.call('PING'), '+PONG\r\n');
  t.equal(await c.call('HELLO'), helloBytes(3, id), 'HELLO alone keeps RESP3');
  t.equal(await c.call('HELLO', '2'), helloBytes(2, id), 'and back to 2');
  t.equal(await c.call('GET', 'hello:missing'), '$-1\r\n');
});

t.test('HELLO SETNAME names the connection; a bad name changes nothing', async (t) => {
  const c = await raw();
  const id = await clientId(c);
  t.equal(await c.call('HELLO', '3', 'SETNAME', 'worker-1'), helloBytes(3, id));
  t.equal(await c.call('CLIENT', 'GETNAME'), bulkReply('worker-1'));
  t.equal(await c.call('HELLO', '2', 'SETNAME', 'a b'), '-ERR Client names cannot contain spaces, newlines or special characters.\r\n');
  t.equal(await c.call('HELLO', '2', 'SETNAME', 'caf\u00e9'), '-ERR Client names cannot contain spaces, newlines or special characters.\r\n', 'the same rule as CLIENT SETNAME');
  t.equal(await c.call('CLIENT', 'GETNAME'), bulkReply('worker-1'));
  t.equal(await c.call('GET', 'hello:missing'), '_\r\n', 'the failed HELLO 2 did not switch protocol');
});

t.test('AUTH and HELLO AUTH without a password configured', async (t) => {
  const c = await raw();
  const id = await clientId(c);
  t.equal(
    await c.call('AUTH', 'x'),
    '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n',
  );
  t.equal(await c.call('AUTH', 'default', 'anything'), '+OK\r\n', "the default user is 'nopass'");
  t.equal(await c.call('AUTH', 'someone', 'x'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
  t.equal(await c.call('AUTH', 'a', 'b', 'c'), '-ERR syntax error\r\n');
  t.equal(await c.call('AUTH'), arity('auth'));
  t.equal(await c.call('HELLO', '3', 'AUTH', 'default', 'x'), helloBytes(3, id));
  t.equal(await c.call('HELLO', '3', 'AUTH', 'someone', 'x'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
});

t.test('RESET: back to RESP2, no name, +RESET', async (t) => {
  const c = await raw();
  await c.call('HELLO', '3', 'SETNAME', 'before-reset');
  t.equal(await c.call('RESET'), '+RESET\r\n');
  t.equal(await c.call('CLIENT', 'GETNAME'), '$-1\r\n', 'no name, and in RESP2');
  t.equal(await c.call('RESET', 'x'), arity('reset'));
  t.equal(await c.call('PING'), '+PONG\r\n');
});

t.test('the node reports its port', async (t) => {
  t.ok(node.port > 0);
  t.equal(node.metricsPort, null, 'no metrics listener unless asked for');
});
