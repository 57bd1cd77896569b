import t from 'tap';
import { Redis } from 'ioredis';
import { REDIS_COMPAT_VERSION } from '../../src/server/version.js';
import { bulkReply, encodeCommand } from './raw-client.js';
import { startTestNode } from './node-harness.js';

// A node with --requirepass: what an unauthenticated client may do, AUTH and
// HELLO AUTH, the small protocol limits before AUTH, and the unauth timeout.

const PASS = 'sekret';
const { node, raw } = await startTestNode(t, ['--requirepass', PASS]);

const NOAUTH = '-NOAUTH Authentication required.\r\n';
const WRONGPASS = '-WRONGPASS invalid username-password pair or user is disabled.\r\n';
// Redis 7.2's wording (7.0 said "the HELLO AUTH <user> <pass> option").
const NOAUTH_HELLO =
  '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n';

t.test('commands before AUTH get NOAUTH; unknown commands and bad arity are reported first, as in Redis', async (t) => {
  const c = await raw();
  t.equal(await c.call('PING'), NOAUTH);
  t.equal(await c.call('GET', 'k'), NOAUTH);
  t.equal(await c.call('CLIENT', 'ID'), NOAUTH);
  t.equal(await c.call('CONFIG', 'GET', 'requirepass'), NOAUTH);
  t.equal(await c.call('NOSUCH', 'x'), "-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n");
  t.equal(await c.call('GET'), "-ERR wrong number of arguments for 'get' command\r\n");
  t.notOk(c.closed);
});

t.test('AUTH: wrong password, right password, the default user', async (t) => {
  const c = await raw();
  t.equal(await c.call('AUTH', 'wrong'), WRONGPASS);
  t.equal(await c.call('AUTH', 'someone', PASS), WRONGPASS, 'only the default user exists');
  t.equal(await c.call('AUTH', 'default', 'wrong'), WRONGPASS);
  t.equal(await c.call('AUTH', `${PASS}x`), WRONGPASS, 'a longer password is wrong');
  t.equal(await c.call('AUTH', PASS.slice(0, -1)), WRONGPASS, 'so is a prefix');
  t.equal(await c.call('PING'), NOAUTH, 'still not authenticated');
  t.equal(await c.call('AUTH', PASS), '+OK\r\n');
  t.equal(await c.call('PING'), '+PONG\r\n');

  const d = await raw();
  t.equal(await d.call('AUTH', 'default', PASS), '+OK\r\n');
  t.equal(await d.call('SET', 'auth:k', 'v'), '+OK\r\n');
  t.equal(await d.call('GET', 'auth:k'), '$1\r\nv\r\n');
});

t.test('HELLO before AUTH is refused; HELLO 3 AUTH authenticates and switches protocol', async (t) => {
  const c = await raw();
  t.equal(await c.call('HELLO'), NOAUTH_HELLO);
  t.equal(await c.call('HELLO', '3'), NOAUTH_HELLO);
  t.equal(await c.call('HELLO', '3', 'SETNAME', 'x'), NOAUTH_HELLO);
  t.equal(await c.call('GET', 'k'), NOAUTH, 'and it stays in RESP2 (a RESP2 error either way)');
  t.equal(await c.call('HELLO', '3', 'AUTH', 'default', 'wrong'), WRONGPASS);
  t.equal(await c.call('HELLO', '3', 'AUTH', 'default', 'wrong', 'FOO'), "-ERR Syntax error in HELLO option 'FOO'\r\n", 'options are checked before AUTH (Redis 7.2; 7.0 authenticated as it went)');
  t.equal(
    await c.call('HELLO', '3', 'AUTH', 'default', PASS, 'SETNAME', 'a b'),
    '-ERR Client names cannot contain spaces, newlines or special characters.\r\n',
  );
  t.equal(await c.call('PING'), NOAUTH, 'a refused HELLO does not authenticate, even with the right password');
  const reply = await c.call('HELLO', '3', 'AUTH', 'default', PASS, 'SETNAME', 'app');
  t.match(reply, new RegExp(`^%7\\r\\n\\$6\\r\\nserver\\r\\n\\$5\\r\\nredis\\r\\n\\$7\\r\\nversion\\r\\n\\$5\\r\\n${REDIS_COMPAT_VERSION.replace(/\./g, '\\.')}\\r\\n\\$5\\r\\nproto\\r\\n:3\\r\\n`));
  t.equal(await c.call('CLIENT', 'GETNAME'), bulkReply('app'));
  t.equal(await c.call('GET', 'hello:missing'), '_\r\n', 'RESP3 now');
});

t.test('QUIT and RESET work before AUTH; RESET drops the authentication', async (t) => {
  const a = await raw();
  t.equal(await a.call('RESET'), '+RESET\r\n');
  t.equal(await a.call('AUTH', PASS), '+OK\r\n');
  t.equal(await a.call('PING'), '+PONG\r\n');
  t.equal(await a.call('RESET'), '+RESET\r\n');
  t.equal(await a.call('PING'), NOAUTH, 'RESET forgets the AUTH when a password is set');
  a.send('QUIT\r\n');
  await a.waitClosed();
  t.same(await a.read(1), ['+OK\r\n']);
});

t.test('unauthenticated clients: at most 10 arguments and 16384-byte bulks, else a protocol error and close', async (t) => {
  const ten = await raw();
  t.equal(await ten.call('EXISTS', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'), NOAUTH, '10 arguments are parsed');
  ten.send(encodeCommand('AUTH', 'x'.repeat(16384)));
  t.same(await ten.read(1), [WRONGPASS], 'a 16384-byte bulk is parsed');

  const eleven = await raw();
  eleven.send('*11\r\n');
  await eleven.waitClosed();
  t.same(await eleven.read(1), ['-ERR Protocol error: unauthenticated multibulk length\r\n']);

  const big = await raw();
  big.send('*2\r\n$4\r\nAUTH\r\n$16385\r\n');
  await big.waitClosed();
  t.same(await big.read(1), ['-ERR Protocol error: unauthenticated bulk length\r\n']);

  t.equal(await (await raw()).call('AUTH', PASS), '+OK\r\n', 'the node serves others');
});

t.test('AUTH lifts the limits for requests pipelined after it in the same write', async (t) => {
  const c = await raw();
  const pairs = Array.from({ length: 6 }, (_v, i) => [`auth:p${i}`, String(i)]).flat();
  const large = 'v'.repeat(20000);
  c.send(Buffer.concat([encodeCommand('AUTH', PASS), encodeCommand('MSET', ...pairs), encodeCommand('ECHO', large)]));
  t.same(await c.read(3), ['+OK\r\n', '+OK\r\n', bulkReply(large)]);
  t.notOk(c.closed);

  const h = await raw();
  h.send(Buffer.concat([encodeCommand('HELLO', '2', 'AUTH', 'default', PASS), encodeCommand('EXISTS', ...pairs.filter((_v, i) => i % 2 === 0), 'x', 'y', 'z', 'w', 'u')]));
  const [hello, exists] = await h.read(2);
  t.match(hello, /^\*14\r\n/);
  t.equal(exists, ':6\r\n');
});

t.test('ioredis: with the password it is served; without, HELLO and then commands are refused', async (t) => {
  const opts = { port: node.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null };
  const good = new Redis({ ...opts, password: PASS });
  const resp3 = new Redis(opts);
  const resp2 = new Redis({ ...opts, protocol: 2, enableReadyCheck: false });
  const errors: string[] = [];
  resp3.on('error', (e: Error) => errors.push(e.message));
  resp2.on('error', (e: Error) => errors.push(e.message));
  t.teardown(() => {
    good.disconnect();
    resp3.disconnect();
    resp2.disconnect();
  });
  await good.connect();
  t.equal(await good.ping(), 'PONG');
  t.equal(await good.set('auth:io', '1'), 'OK');
  t.equal(await good.get('auth:io'), '1');

  // ioredis 6 opens with HELLO 3; refused, it gives up on the connection (as against redis-server).
  await t.rejects(resp3.connect().then(() => resp3.get('auth:io')));
  t.match(errors.join('\n'), /NOAUTH HELLO must be called/);

  await resp2.connect();
  await t.rejects(resp2.get('auth:io'), /^NOAUTH Authentication required\.$/);
});

t.test('--unauth-timeout closes a client that does not authenticate in time; others stay', async (t) => {
  const strict = await startTestNode(t, ['--requirepass', PASS, '--unauth-timeout', '1']);
  const lazy = await strict.raw();
  const authed = await strict.raw();
  t.equal(await authed.call('AUTH', PASS), '+OK\r\n');
  t.equal(await lazy.call('PING'), NOAUTH, 'served (refused) while its second lasts');
  const started = Date.now();
  await lazy.waitClosed(4000);
  const took = Date.now() - started;
  t.ok(took >= 500, `not closed at once (${took} ms)`);
  t.same(await lazy.read(1), [], 'closed without a reply');
  t.equal(await authed.call('PING'), '+PONG\r\n', 'the authenticated client is still served');

});
