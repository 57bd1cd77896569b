import t, { type Test } from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRedisServer } from '../test/support/node-process.js';
import { startTestNode, tempDir } from '../test/server/node-harness.js';
import { RawClient } from '../test/server/raw-client.js';
import { requireTool } from './support/outside-tool.js';

// ACL commands and their error texts, side by side: one script run against
// redis-server 7 and a QuorumKV node, both started with an --aclfile, over
// raw sockets as several users; every reply is compared byte for byte
// (only the age and client-info of ACL LOG entries, random passwords and
// HELLO's server details are masked). Fails under CI without redis-server.

type Conn = 'admin' | 'alice' | 'bob' | 'anon';
/**
 * 'words': the same words in any order. Redis 7.0 lists single-command rules
 * in its command hash table's order, QuorumKV in table order; the rules
 * are the same.
 */
type Compare = 'exact' | 'closed' | 'words' | { readonly prefix: string } | { readonly length: number };
type Step = readonly [conn: Conn, cmd: readonly string[], compare?: Compare];

const FILE_USERS = 'user default on nopass ~* &* +@all\nuser fileuser on >fp ~f* resetchannels -@all +get\n';

const EVAL_GET_ZZ = "return redis.call('get','zz')";

const SCRIPT: readonly Step[] = [
  ['admin', ['ACL', 'LIST']],
  ['admin', ['ACL', 'USERS']],
  ['admin', ['ACL', 'WHOAMI']],
  ['admin', ['ACL', 'GETUSER', 'fileuser']],
  ['admin', ['ACL', 'GETUSER', 'nobody']],
  ['admin', ['ACL', 'SETUSER', 'alice', 'on', '>p1', '%R~r*', '%W~w*', '~both*', '+@all', '-del', '&ch1', '&news.*']],
  ['admin', ['ACL', 'SETUSER', 'bob', 'on', 'nopass', '~*', '-@all', '+get', '+set', '+client|id', '+acl|whoami']],
  ['admin', ['ACL', 'SETUSER', 'carol', '+get', '+set', '-get']],
  ['admin', ['ACL', 'SETUSER', 'carol', '+@string', '-@string', '>a', '>b', '<a']],
  ['admin', ['ACL', 'SETUSER', 'dave', 'resetkeys', '~a', '~a', '%R~a', '%W~b', '%RW~c', '&x', '&x']],
  ['admin', ['ACL', 'SETUSER', 'erin', 'on', 'nopass', 'allcommands', '-get', 'allkeys', 'allchannels']],
  ['admin', ['ACL', 'SETUSER', 'frank', 'reset']],
  ['admin', ['ACL', 'LIST'], 'words'],
  ['admin', ['ACL', 'GETUSER', 'alice']],
  ['admin', ['ACL', 'GETUSER', 'bob'], 'words'],
  ['admin', ['ACL', 'GETUSER', 'dave']],
  ['admin', ['ACL', 'USERS']],
  // SETUSER errors.
  ['admin', ['ACL', 'SETUSER', 'x', 'bogus']],
  ['admin', ['ACL', 'SETUSER', 'x', '+nocmd']],
  ['admin', ['ACL', 'SETUSER', 'x', '+@nocat']],
  ['admin', ['ACL', 'SETUSER', 'x', '%X~a']],
  ['admin', ['ACL', 'SETUSER', 'x', '%~a']],
  ['admin', ['ACL', 'SETUSER', 'x', '#abc']],
  ['admin', ['ACL', 'SETUSER', 'x', '!abc']],
  ['admin', ['ACL', 'SETUSER', 'x', '<nopw']],
  ['admin', ['ACL', 'SETUSER', 'x', 'allkeys', '~foo']],
  ['admin', ['ACL', 'SETUSER', 'x', 'allchannels', '&foo']],
  ['admin', ['ACL', 'SETUSER', 'x', '+get|x|y']],
  ['admin', ['ACL', 'SETUSER', 'a b', 'on']],
  ['admin', ['ACL', 'SETUSER', 'x']],
  ['admin', ['ACL', 'SETUSER']],
  ['admin', ['ACL', 'GETUSER', 'x']],
  ['admin', ['ACL', 'DELUSER', 'x', 'nobody']],
  ['admin', ['ACL', 'DELUSER', 'default']],
  ['admin', ['ACL', 'NOSUCH']],
  ['admin', ['ACL', 'CAT', 'nocat']],
  ['admin', ['ACL', 'CAT']],
  ['admin', ['ACL', 'CAT', 'a', 'b']],
  ['admin', ['ACL', 'GENPASS'], { length: 64 }],
  ['admin', ['ACL', 'GENPASS', '32'], { length: 8 }],
  ['admin', ['ACL', 'GENPASS', '5'], { length: 2 }],
  ['admin', ['ACL', 'GENPASS', '0']],
  ['admin', ['ACL', 'GENPASS', 'x']],
  ['admin', ['ACL', 'LOG', 'x']],
  ['admin', ['ACL', 'LOG', 'RESET', 'x']],
  ['admin', ['ACL', 'HELP']],
  // DRYRUN.
  ['admin', ['ACL', 'DRYRUN', 'alice', 'get', 'r1']],
  ['admin', ['ACL', 'DRYRUN', 'alice', 'get', 'w1']],
  ['admin', ['ACL', 'DRYRUN', 'alice', 'set', 'r1', 'v']],
  ['admin', ['ACL', 'DRYRUN', 'alice', 'del', 'w1']],
  ['admin', ['ACL', 'DRYRUN', 'alice', 'publish', 'ch2', 'm']],
  ['admin', ['ACL', 'DRYRUN', 'alice', 'publish', 'news.x', 'm']],
  ['admin', ['ACL', 'DRYRUN', 'nobody', 'get', 'x']],
  ['admin', ['ACL', 'DRYRUN', 'alice', 'nocmd']],
  ['admin', ['ACL', 'DRYRUN', 'alice', 'get']],
  ['admin', ['ACL', 'DRYRUN', 'bob', 'client', 'id']],
  ['admin', ['ACL', 'DRYRUN', 'bob', 'client', 'kill', 'x']],
  // AUTH and HELLO as users.
  ['anon', ['AUTH', 'alice', 'wrong']],
  ['anon', ['AUTH', 'nobody', 'p1']],
  ['anon', ['AUTH', 'p1']],
  ['anon', ['AUTH', 'frank', 'x']],
  ['anon', ['HELLO', '3', 'AUTH', 'alice', 'wrong']],
  ['anon', ['HELLO', '3', 'AUTH', 'alice', 'p1'], { prefix: '%' }],
  ['anon', ['ACL', 'WHOAMI']],
  ['anon', ['HELLO', '2'], { prefix: '*14\r\n$6\r\nserver\r\n' }],
  ['alice', ['AUTH', 'alice', 'p1']],
  ['alice', ['ACL', 'WHOAMI']],
  // The permission check.
  ['alice', ['GET', 'foo']],
  ['alice', ['GET', 'w1']],
  ['alice', ['SET', 'w1', 'v']],
  ['alice', ['SET', 'r1', 'v']],
  ['alice', ['INCR', 'w1']],
  ['alice', ['INCR', 'both1']],
  ['alice', ['GET', 'r1']],
  ['alice', ['EXISTS', 'w1']],
  ['alice', ['EXISTS', 'zz']],
  ['alice', ['STRLEN', 'w1']],
  ['alice', ['TTL', 'w1']],
  ['alice', ['SET', 'w1', 'v', 'GET']],
  ['alice', ['MSET', 'w2', 'a', 'w3', 'b']],
  ['alice', ['MSET', 'w2', 'a', 'r3', 'b']],
  ['alice', ['MGET', 'r1', 'w1']],
  ['alice', ['DEL', 'w1']],
  ['alice', ['RENAME', 'both1', 'w9']],
  ['alice', ['RENAME', 'w9', 'both1']],
  ['alice', ['PUBLISH', 'ch2', 'x']],
  ['alice', ['PUBLISH', 'ch1', 'x']],
  ['alice', ['PUBLISH', 'news.a', 'x']],
  ['alice', ['SUBSCRIBE', 'ch1', 'ch2']],
  ['alice', ['PSUBSCRIBE', 'news.a*']],
  ['admin', ['ACL', 'DRYRUN', 'alice', 'subscribe', 'ch1', 'news.b']],
  ['admin', ['ACL', 'DRYRUN', 'alice', 'psubscribe', 'news.*']],
  ['admin', ['ACL', 'DRYRUN', 'alice', 'psubscribe', 'news.b']],
  ['admin', ['ACL', 'DRYRUN', 'bob', 'client', 'nosuch']],
  ['alice', ['EVAL', EVAL_GET_ZZ, '1', 'zz']],
  ['alice', ['EVAL', EVAL_GET_ZZ, '0']],
  ['alice', ['EVAL', "return redis.pcall('del','w1')", '0']],
  ['alice', ['EVAL', "return redis.acl_check_cmd('set','w1',1)", '0']],
  ['alice', ['EVAL', "return redis.acl_check_cmd('get','w1')", '0']],
  ['alice', ['EVAL', "return redis.acl_check_cmd('del','w1')", '0']],
  ['alice', ['EVAL', "return redis.acl_check_cmd('client','kill','x')", '0']],
  ['alice', ['EVAL', "return redis.acl_check_cmd('invalid-cmd','arg')", '0']],
  ['alice', ['EVAL', "return redis.acl_check_cmd()", '0']],
  ['alice', ['EVAL', "return redis.acl_check_cmd('get', {})", '0']],
  ['alice', ['MULTI']],
  ['alice', ['GET', 'r1']],
  ['alice', ['DEL', 'r1']],
  ['alice', ['GET', 'zz']],
  ['alice', ['EXEC']],
  ['bob', ['AUTH', 'bob', 'anything']],
  ['bob', ['GET', 'k']],
  ['bob', ['CLIENT', 'ID'], { prefix: ':' }],
  ['bob', ['CLIENT', 'GETNAME']],
  ['bob', ['PING']],
  ['bob', ['ACL', 'LIST']],
  ['admin', ['ACL', 'LOG', '3'], 'exact'],
  ['admin', ['ACL', 'LOG', 'RESET']],
  ['admin', ['ACL', 'LOG']],
  ['anon', ['AUTH', 'alice', 'wrong']],
  ['anon', ['AUTH', 'alice', 'wrong']],
  ['admin', ['ACL', 'LOG']],
  // The ACL changes while alice is connected: her next command sees it, queued ones too.
  ['alice', ['MULTI']],
  ['alice', ['GET', 'r1']],
  ['alice', ['EXISTS', 'r1']],
  ['admin', ['ACL', 'SETUSER', 'alice', '-get']],
  ['alice', ['EXEC']],
  ['alice', ['GET', 'r1']],
  // Deleting a user closes its connections.
  ['admin', ['ACL', 'DELUSER', 'bob', 'carol']],
  ['bob', ['GET', 'k'], 'closed'],
  // requirepass is the default user's password.
  ['admin', ['CONFIG', 'SET', 'requirepass', 'sekret']],
  ['admin', ['ACL', 'LIST'], 'words'],
  ['admin', ['ACL', 'SETUSER', 'default', 'nopass']],
  ['admin', ['ACL', 'GETUSER', 'default']],
  ['admin', ['CONFIG', 'SET', 'requirepass', '']],
  ['admin', ['ACL', 'GETUSER', 'default']],
  // The file: SAVE writes it, LOAD reads it back, a bad file changes nothing.
  ['admin', ['ACL', 'SAVE']],
  ['admin', ['ACL', 'SETUSER', 'gone', 'on']],
  ['admin', ['ACL', 'LOAD']],
  ['admin', ['ACL', 'USERS']],
];

/** Masks what differs between any two runs: ACL LOG ages and client details, HELLO's server fields. */
function normalize(reply: string, files: readonly string[]): string {
  let out = reply
    .replace(/(\$11\r\nage-seconds\r\n)(\$\d+\r\n[^\r]*|,[^\r]*)\r\n/g, '$1<age>\r\n')
    .replace(/(\$11\r\nclient-info\r\n)\$\d+\r\n[^\r]*\r\n/g, '$1<info>\r\n');
  for (const f of files) out = out.split(f).join('<aclfile>');
  return out;
}

async function reply(c: RawClient, cmd: readonly string[]): Promise<string> {
  try {
    return await c.call(...cmd);
  } catch (e) {
    if (c.closed) return '<closed>';
    throw e;
  }
}

function check(t: Test, step: Step, redis: string, qkv: string): void {
  const [conn, cmd, compare = 'exact'] = step;
  const what = `${conn}: ${cmd.join(' ')}`;
  if (compare === 'closed') {
    t.equal(redis, '<closed>', `${what}: redis closed the connection`);
    t.equal(qkv, '<closed>', `${what}: quorumkv closed the connection`);
  } else if (compare === 'words') {
    const words = (r: string): string[] => r.split(/\s+/).sort();
    t.same(words(qkv), words(redis), `${what} (rules in any order)`);
  } else if (compare === 'exact') {
    if (qkv !== redis) t.comment(JSON.stringify({ what, redis, qkv }));
    t.equal(qkv, redis, what);
  } else if ('prefix' in compare) {
    t.ok(redis.startsWith(compare.prefix) && qkv.startsWith(compare.prefix), `${what}: both start with ${compare.prefix}`);
  } else {
    const body = (r: string): string => r.split('\r\n')[1] ?? '';
    t.equal(body(redis).length, compare.length, `${what}: redis length`);
    t.equal(body(qkv).length, compare.length, `${what}: quorumkv length`);
    t.match(body(qkv), /^[0-9a-f]*$/, `${what}: hex`);
  }
}

if (requireTool(t, 'redis-server', 'redis-server', ['--version'], 'apt-get install -y redis-server')) {
  t.test('ACL script: replies and errors as redis-server gives them', async (t) => {
    const dir = await tempDir(t, 'qkv-acl-diff-');
    const redisFile = join(dir, 'redis.acl');
    const qkvFile = join(dir, 'qkv.acl');
    await writeFile(redisFile, FILE_USERS);
    await writeFile(qkvFile, FILE_USERS);
    const redis = await startRedisServer({ t, args: ['--aclfile', redisFile] });
    const qkv = await startTestNode(t, ['--aclfile', qkvFile]);
    const conns = async (port: number): Promise<Record<Conn, RawClient>> => {
      const open = async (): Promise<RawClient> => {
        const c = await RawClient.connect(port);
        t.teardown(() => c.close());
        return c;
      };
      return { admin: await open(), alice: await open(), bob: await open(), anon: await open() };
    };
    const r = await conns(redis.port);
    const q = await conns(qkv.node.port);
    const files = [redisFile, qkvFile];
    for (const step of SCRIPT) {
      const [conn, cmd] = step;
      const redisReply = normalize(await reply(r[conn], cmd), files);
      const qkvReply = normalize(await reply(q[conn], cmd), files);
      check(t, step, redisReply, qkvReply);
    }
    const saved = await readFile(qkvFile, 'utf8');
    t.match(saved, /^user alice on #\w{64} %R~r\* %W~w\* ~both\* resetchannels &ch1 &news\.\* \+@all /m, 'ACL SAVE wrote the users');
    t.same(saved.split(/\s+/).sort(), (await readFile(redisFile, 'utf8')).split(/\s+/).sort(), 'ACL SAVE wrote the same file (rules in any order)');
    // A file with errors: LOAD refuses it whole, with the same texts.
    const bad = 'user default on nopass ~* &* +@all\nxuser bob\nuser carol on +nocmd\nuser bad name\nuser alice on\nuser alice off\n';
    await writeFile(redisFile, bad);
    await writeFile(qkvFile, bad);
    t.equal(normalize(await reply(q.admin, ['ACL', 'LOAD']), files), normalize(await reply(r.admin, ['ACL', 'LOAD']), files), 'ACL LOAD of a bad file');
    t.equal(await reply(q.admin, ['ACL', 'USERS']), await reply(r.admin, ['ACL', 'USERS']), 'nothing changed');
  });

  t.test('without --aclfile, SAVE and LOAD refuse as Redis does', async (t) => {
    const redis = await startRedisServer({ t });
    const qkv = await startTestNode(t);
    const rc = await RawClient.connect(redis.port);
    const qc = await qkv.raw();
    t.teardown(() => rc.close());
    for (const cmd of [['ACL', 'SAVE'], ['ACL', 'LOAD']]) t.equal(await qc.call(...cmd), await rc.call(...cmd), cmd.join(' '));
  });
}

t.test('ioredis logs in as an ACL user and gets NOPERM for what the user may not do', async (t) => {
  const { Redis } = await import('ioredis');
  const qkv = await startTestNode(t);
  const admin = await qkv.raw();
  t.equal(await admin.call('ACL', 'SETUSER', 'app', 'on', '>apppw', '~app:*', '+@read', '+@connection'), '+OK\r\n');
  for (const protocol of [2, 3] as const) {
    const app = new Redis({ port: qkv.node.port, host: '127.0.0.1', username: 'app', password: 'apppw', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...(protocol === 3 ? { protocol } : {}) });
    t.teardown(() => app.disconnect());
    await app.connect();
    t.equal(await app.call('ACL', 'WHOAMI').catch((e: Error) => e.message), "NOPERM this user has no permissions to run the 'acl|whoami' command");
    t.equal(await app.exists('app:1'), 0);
    await t.rejects(app.get('other'), { message: 'NOPERM this user has no permissions to access one of the keys used as arguments' });
    await t.rejects(app.set('app:1', 'v'), { message: "NOPERM this user has no permissions to run the 'set' command" });
    app.disconnect();
  }
  const wrong = new Redis({ port: qkv.node.port, host: '127.0.0.1', username: 'app', password: 'nope', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  t.teardown(() => wrong.disconnect());
  // ioredis reports a refused AUTH as an 'error' event and then closes the connection.
  const heard = new Promise<string>((resolve) => wrong.once('error', (e: Error) => resolve(e.message)));
  await wrong.connect().catch(() => undefined);
  t.match(await heard, /WRONGPASS invalid username-password pair or user is disabled\./);
});
