import t from 'tap';
import { Redis } from 'ioredis';
import { bulkReply } from './raw-client.js';
import type { RawClient } from './raw-client.js';
import { startTestNode } from './node-harness.js';

// CLIENT and its subcommands over real sockets, with Redis 7.2's texts.

const { node, raw } = await startTestNode(t);

const SYNTAX = '-ERR syntax error\r\n';

async function idOf(c: RawClient): Promise<number> {
  const reply = await c.call('CLIENT', 'ID');
  if (!/^:\d+\r\n$/.test(reply)) throw new Error(`CLIENT ID answered ${JSON.stringify(reply)}`);
  return Number(reply.slice(1, -2));
}

/** The text of a bulk (RESP2) or verbatim (RESP3, 'txt:' prefix) reply. */
function text(reply: string): string {
  const m = /^[$=](\d+)\r\n/.exec(reply);
  if (!m) throw new Error(`not a bulk reply: ${JSON.stringify(reply)}`);
  const body = reply.slice(m[0].length, m[0].length + Number(m[1]));
  return reply.startsWith('=') ? body.slice(4) : body;
}

/** A CLIENT LIST / INFO line as field -> value. */
function fields(line: string): Map<string, string> {
  return new Map(line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
}

t.test('CLIENT ID: one per connection, increasing', async (t) => {
  const a = await raw();
  const b = await raw();
  const ida = await idOf(a);
  const idb = await idOf(b);
  t.ok(ida > 0);
  t.ok(idb > ida, `${idb} > ${ida}`);
  t.equal(await idOf(a), ida, 'stable');
  t.equal(await a.call('CLIENT', 'ID', 'x'), "-ERR wrong number of arguments for 'client|id' command\r\n");
});

t.test('CLIENT SETNAME / GETNAME', async (t) => {
  const c = await raw();
  t.equal(await c.call('CLIENT', 'GETNAME'), '$-1\r\n');
  t.equal(await c.call('CLIENT', 'SETNAME', 'svc-1'), '+OK\r\n');
  t.equal(await c.call('CLIENT', 'GETNAME'), bulkReply('svc-1'));
  const bad = '-ERR Client names cannot contain spaces, newlines or special characters.\r\n';
  t.equal(await c.call('CLIENT', 'SETNAME', 'a b'), bad);
  t.equal(await c.call('CLIENT', 'SETNAME', 'a\nb'), bad);
  t.equal(await c.call('CLIENT', 'SETNAME', 'caf\u00e9'), bad, 'outside printable ASCII');
  t.equal(await c.call('CLIENT', 'GETNAME'), bulkReply('svc-1'), 'unchanged by the refusals');
  t.equal(await c.call('CLIENT', 'SETNAME', ''), '+OK\r\n', 'an empty name clears it');
  t.equal(await c.call('CLIENT', 'GETNAME'), '$-1\r\n');
  t.equal(await c.call('CLIENT', 'SETNAME'), "-ERR wrong number of arguments for 'client|setname' command\r\n");
  t.equal(await c.call('CLIENT', 'SETNAME', 'a', 'b'), "-ERR wrong number of arguments for 'client|setname' command\r\n");
  t.equal(await c.call('CLIENT', 'GETNAME', 'x'), "-ERR wrong number of arguments for 'client|getname' command\r\n");
});

t.test('CLIENT SETINFO: LIB-NAME, LIB-VER, a bad attribute, spaces', async (t) => {
  const c = await raw();
  t.equal(await c.call('CLIENT', 'SETINFO', 'LIB-NAME', 'my-lib'), '+OK\r\n');
  t.equal(await c.call('CLIENT', 'SETINFO', 'lib-ver', '1.2.3'), '+OK\r\n', 'attribute names are case-insensitive');
  t.equal(await c.call('CLIENT', 'SETINFO', 'Color', 'red'), "-ERR Unrecognized option 'Color'\r\n", 'named as written');
  t.equal(await c.call('CLIENT', 'SETINFO', 'LIB-NAME', 'my lib'), '-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n');
  t.equal(await c.call('CLIENT', 'SETINFO', 'lib-ver', '1\n2'), '-ERR lib-ver cannot contain spaces, newlines or special characters.\r\n');
  t.equal(await c.call('CLIENT', 'SETINFO', 'LIB-NAME'), "-ERR wrong number of arguments for 'client|setinfo' command\r\n");
  const info = fields(text(await c.call('CLIENT', 'INFO')).trimEnd());
  t.equal(info.get('lib-name'), 'my-lib');
  t.equal(info.get('lib-ver'), '1.2.3');
  t.equal(await c.call('CLIENT', 'SETINFO', 'LIB-NAME', ''), '+OK\r\n', 'empty is allowed');
  t.equal(fields(text(await c.call('CLIENT', 'INFO')).trimEnd()).get('lib-name'), '');
});

t.test('CLIENT INFO: one line in Redis 7.2 field order, a verbatim string in RESP3', async (t) => {
  const c = await raw();
  const id = await idOf(c);
  await c.call('CLIENT', 'SETNAME', 'me');
  const reply = await c.call('CLIENT', 'INFO');
  const line = text(reply);
  t.ok(line.endsWith('\n'), 'ends with a newline');
  const { localPort, remotePort } = c.socket;
  t.match(
    line,
    new RegExp(
      `^id=${id} addr=127\\.0\\.0\\.1:${localPort} laddr=127\\.0\\.0\\.1:${remotePort} fd=-1 name=me age=\\d+ idle=\\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 ` +
        'qbuf=\\d+ qbuf-free=\\d+ argv-mem=\\d+ multi-mem=0 rbs=\\d+ rbp=\\d+ obl=\\d+ oll=\\d+ omem=\\d+ tot-mem=\\d+ events=r cmd=client\\|info user=default redir=-1 resp=2 lib-name= lib-ver=\\n$',
    ),
  );
  t.equal(reply, bulkReply(line), 'a plain bulk in RESP2');
  await c.call('HELLO', '3');
  const verbatim = await c.call('CLIENT', 'INFO');
  t.match(verbatim, /^=\d+\r\ntxt:id=/);
  t.match(text(verbatim), / resp=3 /);
});

t.test('CLIENT LIST: every client, TYPE and ID filters, errors', async (t) => {
  const a = await raw();
  const b = await raw();
  const ida = await idOf(a);
  const idb = await idOf(b);
  await b.call('CLIENT', 'SETNAME', 'listed');
  await b.call('SET', 'list:k', 'v');

  const all = text(await a.call('CLIENT', 'LIST'));
  const lines = all.trimEnd().split('\n').map(fields);
  const byId = new Map(lines.map((f) => [Number(f.get('id')), f]));
  t.ok(byId.has(ida) && byId.has(idb), 'both clients are listed');
  t.equal(byId.get(idb)!.get('name'), 'listed');
  t.equal(byId.get(idb)!.get('cmd'), 'set', "the other client's last command");
  t.equal(byId.get(ida)!.get('cmd'), 'client|list');
  t.ok(all.endsWith('\n'));

  t.equal(text(await a.call('CLIENT', 'LIST', 'TYPE', 'normal')).trimEnd().split('\n').length, lines.length, 'all clients are normal');
  t.equal(await a.call('CLIENT', 'LIST', 'TYPE', 'pubsub'), '$0\r\n\r\n');
  t.equal(await a.call('CLIENT', 'LIST', 'TYPE', 'replica'), '$0\r\n\r\n');
  t.equal(await a.call('CLIENT', 'LIST', 'TYPE', 'foo'), "-ERR Unknown client type 'foo'\r\n");
  const two = text(await a.call('CLIENT', 'LIST', 'ID', String(ida), String(idb), '999999'));
  t.same(
    two
      .trimEnd()
      .split('\n')
      .map((l) => Number(fields(l).get('id')))
      .sort((x, y) => x - y),
    [ida, idb],
  );
  t.equal(await a.call('CLIENT', 'LIST', 'ID', 'x'), '-ERR Invalid client ID\r\n');
  t.equal(await a.call('CLIENT', 'LIST', 'foo'), SYNTAX);
  t.equal(await a.call('CLIENT', 'LIST', 'TYPE'), SYNTAX);
  t.equal(await a.call('CLIENT', 'LIST', 'foo', 'bar'), SYNTAX);
});

t.test('CLIENT KILL by ID and by ADDR, with the count of clients closed', async (t) => {
  const killer = await raw();
  const v1 = await raw();
  const v2 = await raw();
  const id1 = await idOf(v1);
  await idOf(v2);
  t.equal(await killer.call('CLIENT', 'KILL', 'ID', String(id1)), ':1\r\n');
  await v1.waitClosed();
  const addr2 = `127.0.0.1:${v2.socket.localPort}`;
  t.equal(await killer.call('CLIENT', 'KILL', 'ADDR', addr2, 'SKIPME', 'yes'), ':1\r\n');
  await v2.waitClosed();
  t.equal(await killer.call('CLIENT', 'KILL', 'ID', String(id1)), ':0\r\n', 'already gone');
  t.equal(await killer.call('PING'), '+PONG\r\n', 'the killer stays');
});

t.test('CLIENT KILL, old form: +OK, or No such client', async (t) => {
  const killer = await raw();
  const victim = await raw();
  await idOf(victim);
  t.equal(await killer.call('CLIENT', 'KILL', `127.0.0.1:${victim.socket.localPort}`), '+OK\r\n');
  await victim.waitClosed();
  t.equal(await killer.call('CLIENT', 'KILL', '10.1.2.3:4'), '-ERR No such client\r\n');
  t.equal(await killer.call('CLIENT', 'KILL', 'ID'), '-ERR No such client\r\n', 'one argument is the old form');
});

t.test('CLIENT KILL of itself: the reply is written, then the connection closes', async (t) => {
  const self = await raw();
  self.send(`CLIENT KILL 127.0.0.1:${self.socket.localPort}\r\nPING\r\n`);
  await self.waitClosed();
  t.same(await self.read(2), ['+OK\r\n'], 'the old form may kill its caller');

  const other = await raw();
  const id = await idOf(other);
  t.equal(await other.call('CLIENT', 'KILL', 'ID', String(id)), ':0\r\n', 'SKIPME yes by default');
  other.send(`CLIENT KILL ID ${id} SKIPME no\r\nPING\r\n`);
  await other.waitClosed();
  t.same(await other.read(2), [':1\r\n']);
});

t.test('CLIENT KILL by LADDR, TYPE and USER', async (t) => {
  const killer = await raw();
  const victim = await raw();
  const id = await idOf(victim);
  const laddr = `127.0.0.1:${victim.socket.remotePort}`;
  t.equal(await killer.call('CLIENT', 'KILL', 'TYPE', 'pubsub', 'ID', String(id)), ':0\r\n', 'no pubsub clients here');
  t.equal(await killer.call('CLIENT', 'KILL', 'TYPE', 'master'), ':0\r\n');
  t.equal(await killer.call('CLIENT', 'KILL', 'TYPE', 'foo'), "-ERR Unknown client type 'foo'\r\n");
  t.equal(await killer.call('CLIENT', 'KILL', 'USER', 'nobody'), "-ERR No such user 'nobody'\r\n");
  t.equal(await killer.call('CLIENT', 'KILL', 'LADDR', '10.9.9.9:1'), ':0\r\n');
  t.equal(await killer.call('CLIENT', 'KILL', 'LADDR', laddr, 'USER', 'default', 'TYPE', 'normal', 'ID', String(id)), ':1\r\n');
  await victim.waitClosed();
  t.equal(await killer.call('PING'), '+PONG\r\n');
});

t.test('CLIENT KILL errors', async (t) => {
  const c = await raw();
  t.equal(await c.call('CLIENT', 'KILL', 'ID', '0'), '-ERR client-id should be greater than 0\r\n');
  t.equal(await c.call('CLIENT', 'KILL', 'ID', 'x'), '-ERR client-id should be greater than 0\r\n');
  t.equal(await c.call('CLIENT', 'KILL', 'SKIPME', 'maybe'), SYNTAX);
  t.equal(await c.call('CLIENT', 'KILL', 'foo', 'bar'), SYNTAX);
  t.equal(await c.call('CLIENT', 'KILL', 'ID', '1', 'SKIPME'), SYNTAX);
  t.equal(await c.call('CLIENT', 'KILL'), "-ERR wrong number of arguments for 'client|kill' command\r\n");
  t.notOk(c.closed);
});

t.test('CLIENT NO-EVICT / NO-TOUCH, HELP, unknown subcommand', async (t) => {
  const c = await raw();
  t.equal(await c.call('CLIENT', 'NO-EVICT', 'on'), '+OK\r\n');
  t.equal(await c.call('CLIENT', 'NO-EVICT', 'OFF'), '+OK\r\n');
  t.equal(await c.call('CLIENT', 'NO-EVICT', 'maybe'), SYNTAX);
  t.equal(await c.call('CLIENT', 'NO-TOUCH', 'on'), '+OK\r\n');
  const help = await c.call('CLIENT', 'HELP');
  t.match(help, /^\*\d+\r\n\+CLIENT <subcommand> \[<arg> \[value\] \[opt\] \.\.\.\]\. Subcommands are:\r\n/);
  t.match(help, /\+SETINFO <LIB-NAME\|LIB-VER> <value>\r\n/);
  t.match(help, /\(options ID, ADDR, LADDR, TYPE, USER, SKIPME\)/);
  t.equal(await c.call('CLIENT', 'FOO'), "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n");
  t.equal(await c.call('CLIENT'), "-ERR wrong number of arguments for 'client' command\r\n");
});

t.test('ioredis: connectionName and CLIENT commands', async (t) => {
  const redis = new Redis({ port: node.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, connectionName: 'io-app' });
  t.teardown(() => redis.disconnect());
  await redis.connect();
  t.equal(await redis.call('CLIENT', 'GETNAME'), 'io-app');
  t.equal(await redis.call('CLIENT', 'SETINFO', 'LIB-NAME', 'ioredis-test'), 'OK');
  const list = String(await redis.call('CLIENT', 'LIST'));
  t.match(list, /name=io-app .* lib-name=ioredis-test /);
  t.type(await redis.call('CLIENT', 'ID'), 'number');
});
