import t from 'tap';
import { Redis } from 'ioredis';
import { allCommands } from '../../src/commands/index.js';
import { buildTable } from '../../src/commands/table.js';
import { REDIS_COMPAT_VERSION } from '../../src/server/version.js';
import { bulkReply, encodeCommand, splitReplies } from './raw-client.js';
import { captureLog, eventually, startTestNode } from './node-harness.js';

// INFO, TIME, COMMAND and CONFIG through a running node.

const log = captureLog('error');
const { node, raw } = await startTestNode(t, [], { log: log.logger });
const TABLE = buildTable(allCommands).all();
const TABLE_SIZE = TABLE.length;
/** Commands and subcommands: what COMMAND LIST names. */
const FULL_NAMES = TABLE.flatMap((s) => [s.name, ...(s.subcommands ?? []).map((sub) => `${s.name}|${sub.name}`)]);

/** The body of a RESP2 bulk reply. */
function body(reply: string): string {
  const m = /^\$(\d+)\r\n/.exec(reply);
  if (!m) throw new Error(`not a bulk reply: ${JSON.stringify(reply)}`);
  return reply.slice(m[0].length, m[0].length + Number(m[1]));
}

/** The elements of an array reply (one level), raw. */
function elements(reply: string): string[] {
  const m = /^[*~%](\d+)\r\n/.exec(reply);
  if (!m) throw new Error(`not an aggregate reply: ${JSON.stringify(reply.slice(0, 80))}`);
  return splitReplies(Buffer.from(reply.slice(m[0].length), 'latin1')).replies;
}

function infoFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

t.test('INFO: default sections, the fields clients read', async (t) => {
  const c = await raw();
  const others = [await raw(), await raw()];
  await Promise.all(others.map((o) => o.call('PING')));
  const text = body(await c.call('INFO'));
  t.ok(text.startsWith('# Server\r\n'), 'Server first');
  t.ok(text.endsWith('\r\n'));
  const headers = text.split('\r\n').filter((l) => l.startsWith('# '));
  t.same(headers, ['# Server', '# Clients', '# Memory', '# Persistence', '# Stats', '# Replication', '# Cpu', '# Errorstats', '# Cluster', '# Keyspace', '# Quorumkv']);
  const f = infoFields(text);
  t.equal(f.get('redis_version'), REDIS_COMPAT_VERSION);
  t.equal(f.get('loading'), '0', "ioredis's ready check waits for loading:0");
  t.equal(f.get('redis_mode'), 'standalone');
  t.equal(f.get('tcp_port'), String(node.port));
  t.equal(f.get('node_id'), node.nodeId);
  t.equal(f.get('role'), 'master');
  t.equal(f.get('cluster_enabled'), '0');
  t.equal(f.get('connected_clients'), '3', 'this client and the two others');
  t.equal(f.get('maxclients'), '10000');
  t.match(f.get('used_memory_human'), /^\d+\.\d\dM$/);
  t.match(f.get('used_memory'), /^\d+$/);
  t.ok(Number(f.get('total_connections_received')) >= 3);
  t.ok(Number(f.get('total_commands_processed')) >= 2);
  t.equal(f.get('n'), '1');
  for (const o of others) o.close();
  await eventually(async () => infoFields(body(await c.call('INFO', 'clients'))).get('connected_clients') === '1', 3000, 'connected_clients back to 1');
});

t.test('INFO memory: the budget and what each part holds; CONFIG SET maxmemory resizes the record cache', async (t) => {
  const c = await raw();
  await c.call('SET', 'mem:k', 'v');
  const f = infoFields(body(await c.call('INFO', 'memory')));
  t.equal(f.get('maxmemory'), String(256 * 1024 * 1024), 'the default budget');
  t.equal(f.get('maxmemory_human'), '256.00M');
  t.equal(f.get('maxmemory_policy'), 'noeviction');
  t.match(f.get('used_memory_rss_human'), /^\d+\.\d\dM$/);
  for (const name of ['used_memory', 'used_memory_rss', 'record_cache_bytes', 'rocksdb_block_cache_bytes', 'rocksdb_memtables_bytes', 'rocksdb_table_readers_bytes', 'clients_memory_bytes', 'forced_gcs']) {
    t.match(f.get(name), /^\d+$/, name);
  }
  t.equal(f.get('record_cache_max_bytes'), String(160 * 1024 * 1024));
  t.ok(Number(f.get('rocksdb_memtables_bytes')) > 0, 'RocksDB reports its memtables');
  t.equal(await c.call('CONFIG', 'SET', 'maxmemory', '64mb'), '+OK\r\n');
  const after = infoFields(body(await c.call('INFO', 'memory')));
  t.equal(after.get('record_cache_max_bytes'), String(40 * 1024 * 1024));
  t.equal(after.get('rocksdb_resize_needs_restart'), '1');
  t.equal(await c.call('CONFIG', 'SET', 'maxmemory', '256mb'), '+OK\r\n');
  t.equal(await c.call('GET', 'mem:k'), '$1\r\nv\r\n');
});

t.test('INFO: one section, several, all, unknown, keyspace', async (t) => {
  const c = await raw();
  const server = body(await c.call('INFO', 'server'));
  t.match(server, /^# Server\r\n/);
  t.notMatch(server, /# Clients/);
  const two = body(await c.call('INFO', 'CLIENTS', 'stats'));
  t.match(two, /^# Clients\r\n(?:[a-z_]+:[^\r]*\r\n)+\r\n# Stats\r\n/, 'sections in order, a blank line between');
  t.equal(await c.call('INFO', 'nosuch'), '$0\r\n\r\n');
  const all = body(await c.call('INFO', 'all'));
  t.match(all, /# Server[\s\S]*# Quorumkv/);
  t.equal(body(await c.call('INFO', 'everything')).split('\r\n# ').length, all.split('\r\n# ').length);
  t.equal(await c.call('SET', 'info:k', 'v'), '+OK\r\n');
  t.match(body(await c.call('INFO', 'keyspace')), /^# Keyspace\r\ndb0:keys=\d+,expires=0,avg_ttl=0\r\n$/);
  await c.call('HELLO', '3');
  t.match(await c.call('INFO', 'server'), /^=\d+\r\ntxt:# Server\r\n/, 'a verbatim string in RESP3');
});

t.test('INFO: keyspace expires=, keyspace_hits/misses as Redis counts them, instantaneous_ops_per_sec', async (t) => {
  const c = await raw();
  const stats = async (): Promise<Map<string, string>> => infoFields(body(await c.call('INFO', 'stats')));
  const keyspace = async (): Promise<string> => body(await c.call('INFO', 'keyspace'));
  t.equal(await c.call('CONFIG', 'RESETSTAT'), '+OK\r\n');
  const before = Number(/expires=(\d+)/.exec(await keyspace())![1]);
  await c.call('SET', 'hits:a', 'v', 'EX', '1000');
  await c.call('HSET', 'hits:h', 'f', 'v');
  await c.call('EXPIRE', 'hits:h', '1000');
  await c.call('SET', 'hits:plain', 'v');
  t.match(await keyspace(), new RegExp(`expires=${before + 2},`), 'two keys more with an expiry');
  await c.call('PERSIST', 'hits:a');
  t.match(await keyspace(), new RegExp(`expires=${before + 1},`), 'PERSIST takes one away');
  await c.call('GET', 'hits:a'); // hit
  await c.call('GET', 'hits:nosuch'); // miss
  await c.call('HGET', 'hits:h', 'f'); // hit
  await c.call('MGET', 'hits:a', 'hits:nosuch2'); // hit and miss
  await c.call('EXISTS', 'hits:nosuch3'); // miss
  await c.call('SET', 'hits:b', 'v'); // a write looks up nothing
  const s = await stats();
  t.equal(s.get('keyspace_hits'), '3');
  t.equal(s.get('keyspace_misses'), '3');
  t.match(s.get('instantaneous_ops_per_sec'), /^\d+$/);
  t.match(s.get('record_cache_hits'), /^\d+$/, 'the record cache keeps its own figures');
  await c.call('CONFIG', 'RESETSTAT');
  t.equal((await stats()).get('keyspace_hits'), '0');
  // A steady stream of commands shows as a rate within a couple of seconds.
  const busy = await raw();
  let running = true;
  const load = (async () => {
    while (running) await busy.call('PING');
  })();
  try {
    await eventually(async () => Number((await stats()).get('instantaneous_ops_per_sec')) > 10, 5000, 'a busy node has a rate');
  } finally {
    running = false;
    await load;
  }
  t.pass('a busy node shows a rate');
});

t.test('INFO through ioredis: the ready check passes and info() parses', async (t) => {
  const redis = new Redis({ port: node.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: true });
  t.teardown(() => redis.disconnect());
  await redis.connect();
  t.equal(redis.status, 'ready');
  t.match(await redis.info('server'), /redis_version:/);
});

t.test('TIME: seconds and microseconds now', async (t) => {
  const c = await raw();
  const before = Date.now();
  const reply = await c.call('TIME');
  const after = Date.now();
  const [secs, micros] = elements(reply).map((r) => Number(body(r)));
  t.ok(secs! >= Math.floor(before / 1000) && secs! <= Math.ceil(after / 1000), `${secs} is now`);
  t.ok(Number.isInteger(micros) && micros! >= 0 && micros! < 1e6);
  t.equal(await c.call('TIME', 'x'), "-ERR wrong number of arguments for 'time' command\r\n");
});

t.test('COMMAND: the count equals the table; COMMAND lists every entry', async (t) => {
  const c = await raw();
  t.equal(await c.call('COMMAND', 'COUNT'), `:${TABLE_SIZE}\r\n`);
  t.equal(elements(await c.call('COMMAND')).length, TABLE_SIZE);
  t.equal(elements(await c.call('COMMAND', 'INFO')).length, TABLE_SIZE, 'INFO without names is every command');
  t.same(elements(await c.call('COMMAND', 'LIST')).map(body).sort(), [...FULL_NAMES].sort(), 'LIST names subcommands too, as Redis does');
  t.equal(await c.call('COMMAND', 'COUNT', 'x'), "-ERR wrong number of arguments for 'command|count' command\r\n");
  t.equal(await c.call('COMMAND', 'FOO'), "-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n");
});

t.test('COMMAND INFO: Redis 7 shape for get and set; nil for unknown', async (t) => {
  const c = await raw();
  // As redis-server 7.0 sends it, up to the key specs (which are not modelled).
  t.equal(
    await c.call('COMMAND', 'INFO', 'get'),
    '*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*0\r\n*0\r\n',
  );
  const [set] = elements(await c.call('COMMAND', 'INFO', 'SET'));
  t.match(set, /^\*10\r\n\$3\r\nset\r\n:-3\r\n\*\d+\r\n\+write\r\n\+denyoom\r\n/);
  t.equal(await c.call('COMMAND', 'INFO', 'nosuch', 'get'), `*2\r\n$-1\r\n${elements(await c.call('COMMAND', 'INFO', 'get'))[0]}`);
  const [client] = elements(await c.call('COMMAND', 'INFO', 'client'));
  t.match(client, /\$14\r\nclient\|setname\r\n:3\r\n/, 'subcommands nested with full names');
  t.match(await c.call('COMMAND', 'INFO', 'client|setname'), /^\*1\r\n\*10\r\n\$14\r\nclient\|setname\r\n:3\r\n/);
  await c.call('HELLO', '3');
  t.match(await c.call('COMMAND', 'INFO', 'get'), /^\*1\r\n\*10\r\n\$3\r\nget\r\n:2\r\n~2\r\n\+readonly\r\n\+fast\r\n/, 'flags are a set in RESP3');
});

t.test('COMMAND DOCS, LIST FILTERBY, GETKEYS, HELP', async (t) => {
  const c = await raw();
  t.equal(
    await c.call('COMMAND', 'DOCS', 'get'),
    '*2\r\n$3\r\nget\r\n*6\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n',
  );
  t.equal(await c.call('COMMAND', 'DOCS', 'nosuch'), '*0\r\n');
  t.match(await c.call('COMMAND', 'DOCS', 'config'), /\$11\r\nsubcommands\r\n/);

  const gets = elements(await c.call('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'get*')).map(body);
  t.same(gets.sort(), ['get', 'getdel', 'getex', 'getrange', 'getset']);
  const conn = elements(await c.call('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'CONNECTION')).map(body);
  t.ok(conn.includes('ping') && conn.includes('hello') && conn.includes('client|setname') && !conn.includes('get'), conn.join(' '));
  t.equal(await c.call('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', '@connection'), '*0\r\n', "a category is named without '@'");
  t.same(elements(await c.call('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'CLIENT|S*')).map(body).sort(), ['client|setinfo', 'client|setname']);
  t.same(elements(await c.call('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'e[cx]*')).map(body).sort(), ['echo', 'exec', 'exists', 'expire', 'expireat', 'expiretime']);
  t.equal(await c.call('COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x'), '*0\r\n');
  t.equal(await c.call('COMMAND', 'LIST', 'FILTERBY', 'foo', 'x'), '-ERR syntax error\r\n');
  t.equal(await c.call('COMMAND', 'LIST', 'foo'), '-ERR syntax error\r\n');

  t.equal(await c.call('COMMAND', 'GETKEYS', 'get', 'k'), '*1\r\n$1\r\nk\r\n');
  t.equal(await c.call('COMMAND', 'GETKEYS', 'MSET', 'a', '1', 'b', '2'), '*2\r\n$1\r\na\r\n$1\r\nb\r\n');
  t.equal(await c.call('COMMAND', 'GETKEYS', 'ping', 'x'), '-ERR The command has no key arguments\r\n');
  t.equal(await c.call('COMMAND', 'GETKEYS', 'foo', 'k'), '-ERR Invalid command specified\r\n');
  t.equal(await c.call('COMMAND', 'GETKEYS', 'client', 'foo'), '-ERR Invalid command specified\r\n');
  t.equal(await c.call('COMMAND', 'GETKEYS', 'set', 'k'), '-ERR Invalid number of arguments specified for command\r\n');
  t.equal(await c.call('COMMAND', 'GETKEYS', 'get'), '-ERR Invalid number of arguments specified for command\r\n');
  t.equal(await c.call('COMMAND', 'GETKEYS'), "-ERR wrong number of arguments for 'command|getkeys' command\r\n");
  t.match(await c.call('COMMAND', 'HELP'), /^\*\d+\r\n\+COMMAND <subcommand> \[<arg> \[value\] \[opt\] \.\.\.\]\. Subcommands are:\r\n/);
});

/** CONFIG GET's reply as name -> value. */
async function configGet(c: Awaited<ReturnType<typeof raw>>, ...patterns: string[]): Promise<Map<string, string>> {
  const items = elements(await c.call('CONFIG', 'GET', ...patterns)).map(body);
  const out = new Map<string, string>();
  for (let i = 0; i < items.length; i += 2) out.set(items[i]!, items[i + 1]!);
  return out;
}

t.test('CONFIG GET: names, patterns, several patterns, node-id', async (t) => {
  const c = await raw();
  t.equal(await c.call('CONFIG', 'GET', 'maxclients'), '*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n');
  t.same([...(await configGet(c, 'MAXCLIENTS'))], [['maxclients', '10000']], 'names are case-insensitive');
  t.equal((await configGet(c, 'node-id')).get('node-id'), node.nodeId);
  const max = await configGet(c, 'max*');
  t.ok(max.has('maxclients') && max.has('max-value-bytes') && max.has('max-key-bytes'), [...max.keys()].join(' '));
  t.notOk(max.has('timeout'));
  const two = await configGet(c, 'timeout', 'maxclients', 'max*');
  t.equal(two.get('timeout'), '0');
  t.equal(two.get('maxclients'), '10000');
  t.equal(elements(await c.call('CONFIG', 'GET', 'maxclients', 'maxclients')).length, 2, 'each parameter once');
  t.equal(await c.call('CONFIG', 'GET', 'nosuch'), '*0\r\n');
  t.notOk((await configGet(c, '*')).has('cluster-secret'), 'secrets are not shown');
  t.equal((await configGet(c, 'port')).get('port'), '0', 'as configured');
  t.equal(await c.call('CONFIG', 'GET'), "-ERR wrong number of arguments for 'config|get' command\r\n");
  await c.call('HELLO', '3');
  t.equal(await c.call('CONFIG', 'GET', 'maxclients'), '%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n', 'a map in RESP3');
});

t.test('CONFIG SET: settable, read-only, unknown, bad values, all or nothing', async (t) => {
  const c = await raw();
  t.teardown(() => c.call('CONFIG', 'SET', 'maxclients', '10000', 'timeout', '0'));
  t.equal(await c.call('CONFIG', 'SET', 'maxclients', '5000'), '+OK\r\n');
  t.equal((await configGet(c, 'maxclients')).get('maxclients'), '5000');
  t.equal(await c.call('CONFIG', 'SET', 'TIMEOUT', '300', 'maxclients', '6000'), '+OK\r\n', 'several pairs');
  t.same([...(await configGet(c, 'timeout', 'maxclients'))].sort(), [['maxclients', '6000'], ['timeout', '300']]);

  t.equal(await c.call('CONFIG', 'SET', 'port', '1234'), "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config\r\n");
  t.equal(await c.call('CONFIG', 'SET', 'nosuch', '1'), "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n");
  t.equal(await c.call('CONFIG', 'SET', 'timeout', '1', 'timeout', '2'), "-ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter\r\n");
  // Redis words a bad integer "argument couldn't be parsed into an integer"; the node says what it expected.
  t.match(await c.call('CONFIG', 'SET', 'maxclients', 'abc'), /^-ERR CONFIG SET failed \(possibly related to argument 'maxclients'\) - .+\r\n$/);
  t.match(await c.call('CONFIG', 'SET', 'log-level', 'loud'), /^-ERR CONFIG SET failed \(possibly related to argument 'log-level'\) - .*debug.*\r\n$/);

  t.match(await c.call('CONFIG', 'SET', 'maxclients', '4000', 'timeout', 'abc'), /^-ERR CONFIG SET failed \(possibly related to argument 'timeout'\)/);
  t.match(await c.call('CONFIG', 'SET', 'maxclients', '4000', 'port', '1'), /can't set immutable config/);
  t.match(await c.call('CONFIG', 'SET', 'maxclients', '4000', 'nosuch', '1'), /Unknown option/);
  t.equal((await configGet(c, 'maxclients')).get('maxclients'), '6000', 'nothing applied from the refused sets');

  t.equal(await c.call('CONFIG', 'SET', 'maxclients'), "-ERR wrong number of arguments for 'config|set' command\r\n");
  t.equal(await c.call('CONFIG', 'SET', 'maxclients', '1', 'timeout'), "-ERR wrong number of arguments for 'config|set' command\r\n");
});

t.test('CONFIG SET log-level takes effect at once', async (t) => {
  const c = await raw();
  const bad = await raw();
  t.equal(await c.call('CONFIG', 'SET', 'log-level', 'debug'), '+OK\r\n');
  t.teardown(() => c.call('CONFIG', 'SET', 'log-level', 'error'));
  bad.send('*1\r\n$x\r\n');
  await bad.waitClosed();
  t.ok(log.lines.some((l) => l.level === 'debug' && l.msg === 'protocol error'), 'a debug line after the change');
  const before = log.lines.length;
  t.equal(await c.call('CONFIG', 'SET', 'log-level', 'error'), '+OK\r\n');
  const again = await raw();
  again.send('*1\r\n$x\r\n');
  await again.waitClosed();
  t.equal(log.lines.length, before, 'nothing below error once it is back');
});

t.test('CONFIG SET expiry-sweep-ms re-arms the sweep that deletes expired keys', async (t) => {
  const c = await raw();
  const expired = async (): Promise<number> => Number(infoFields(body(await c.call('INFO', 'stats'))).get('expired_keys'));
  t.equal(await c.call('CONFIG', 'SET', 'expiry-sweep-ms', '3600000'), '+OK\r\n');
  const before = await expired();
  t.equal(await c.call('SET', 'sweep:k', 'v', 'PX', '20'), '+OK\r\n');
  await new Promise((r) => setTimeout(r, 150));
  t.equal(await expired(), before, 'no sweep with an hour between sweeps');
  t.equal(await c.call('CONFIG', 'SET', 'expiry-sweep-ms', '10'), '+OK\r\n');
  await eventually(async () => (await expired()) > before, 3000, 'the expired key swept');
  t.equal(await c.call('EXISTS', 'sweep:k'), ':0\r\n');
  t.equal(await c.call('CONFIG', 'SET', 'expiry-sweep-ms', '100'), '+OK\r\n');
});

t.test('CONFIG RESETSTAT, HELP, REWRITE, unknown subcommand', async (t) => {
  const c = await raw();
  t.equal(await c.call('CONFIG', 'RESETSTAT'), '+OK\r\n');
  t.match(await c.call('CONFIG', 'HELP'), /^\*\d+\r\n\+CONFIG <subcommand> \[<arg> \[value\] \[opt\] \.\.\.\]\. Subcommands are:\r\n\+GET <pattern>\r\n/);
  t.match(await c.call('CONFIG', 'REWRITE'), /^-ERR CONFIG REWRITE is not supported/);
  t.equal(await c.call('CONFIG', 'FOO'), "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n");
  t.equal(await c.call('CONFIG'), "-ERR wrong number of arguments for 'config' command\r\n");
});

t.test('LASTSAVE and SAVE answer as Redis does', async (t) => {
  const c = await raw();
  t.match(await c.call('LASTSAVE'), /^:\d{10}\r\n$/);
  t.equal(await c.call('SAVE'), '+OK\r\n');
  c.send(encodeCommand('PING'));
  t.same(await c.read(1), ['+PONG\r\n']);
  t.equal(bulkReply('x'), '$1\r\nx\r\n');
});

t.test('INFO commandstats: calls, time and failures per command; CONFIG RESETSTAT starts them again', async (t) => {
  const c = await raw();
  t.equal(await c.call('CONFIG', 'RESETSTAT'), '+OK\r\n');
  await c.call('SET', 'cs:k', 'v');
  await c.call('GET', 'cs:k');
  await c.call('GET', 'cs:k');
  t.match(await c.call('INCR', 'cs:k'), /^-ERR value is not an integer/);
  const text = body(await c.call('INFO', 'commandstats'));
  t.ok(text.startsWith('# Commandstats\r\n'));
  const f = infoFields(text);
  t.match(f.get('cmdstat_get'), /^calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$/);
  t.match(f.get('cmdstat_incr'), /^calls=1,.*,failed_calls=1$/);
  t.notOk(body(await c.call('INFO')).includes('cmdstat_'), 'not in the default sections, as in Redis');
  t.ok(body(await c.call('INFO', 'everything')).includes('cmdstat_get:'));
  await c.call('CONFIG', 'RESETSTAT');
  const after = infoFields(body(await c.call('INFO', 'commandstats')));
  t.notOk(after.has('cmdstat_get'), 'nothing called since the reset');
  t.match(after.get('cmdstat_config|resetstat'), /^calls=1,/, 'the reset itself counts, as in Redis');
});

t.test('SLOWLOG: what took longer than slowlog-log-slower-than, newest first, arguments shortened as Redis does', async (t) => {
  const c = await raw();
  t.equal(await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0'), '+OK\r\n');
  t.equal(await c.call('SLOWLOG', 'RESET'), '+OK\r\n');
  await c.call('SET', 'sl:k', 'x'.repeat(200));
  await c.call('MGET', ...Array.from({ length: 40 }, (_, i) => `sl:${i}`));
  const got = await c.call('SLOWLOG', 'GET', '2');
  const entries = elements(got);
  t.equal(entries.length, 2);
  t.match(entries[0], /\$4\r\nMGET\r\n/, 'newest first, argv as sent');
  t.match(entries[0], /\.\.\. \(10 more arguments\)/, '32 arguments kept at most: 31 and a note');
  t.match(entries[1], new RegExp(`\\$${128 + '... (72 more bytes)'.length}\\r\\n${'x'.repeat(128)}\\.\\.\\. \\(72 more bytes\\)`), 'long arguments cut to 128 bytes');
  t.match(entries[1], /127\.0\.0\.1:\d+/, 'the client address');
  t.equal(await c.call('SLOWLOG', 'LEN'), ':4\r\n', 'RESET, SET, MGET and the GET itself');
  t.equal(elements(await c.call('SLOWLOG', 'GET', '-1')).length, 5, 'count -1: all of them (LEN was logged too)');
  t.match(await c.call('SLOWLOG', 'GET', '-2'), /^-ERR count should be greater than or equal to -1/);
  t.match(await c.call('SLOWLOG', 'GET', 'x'), /^-ERR value is not an integer or out of range/);
  await c.call('AUTH', 'secret-password');
  t.notOk((await c.call('SLOWLOG', 'GET', '1')).includes('secret-password'), 'AUTH is never logged');
  await c.call('CONFIG', 'SET', 'slowlog-max-len', '2');
  await c.call('PING');
  t.equal(await c.call('SLOWLOG', 'LEN'), ':2\r\n', 'the oldest go first');
  await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
  await c.call('SLOWLOG', 'RESET');
  await c.call('PING');
  t.equal(await c.call('SLOWLOG', 'LEN'), ':0\r\n', 'a negative threshold logs nothing');
  t.match(await c.call('SLOWLOG', 'HELP'), /SLOWLOG <subcommand>/);
  await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000', 'slowlog-max-len', '128');
});

/** The text of one bulk reply as the raw client returns it. */
const bulkText = (raw: string): string => raw.slice(raw.indexOf('\r\n') + 2, -2);

t.test('INFO errorstats counts error replies by code, in default INFO; CONFIG RESETSTAT clears it', async (t) => {
  const n = await startTestNode(t);
  const c = await n.raw();
  await c.call('SET', 's', 'x');
  await c.call('INCR', 's');
  await c.call('NOSUCH');
  await c.call('EVAL', "return redis.error_reply('MY_ERR_CODE custom msg')", '0');
  await c.call('EVAL', "return redis.error_reply('')", '0');
  await c.call('HGET', 's', 'f');
  const section = bulkText(await c.call('INFO', 'errorstats'));
  t.equal(section, '# Errorstats\r\nerrorstat_ERR:count=3\r\nerrorstat_MY_ERR_CODE:count=1\r\nerrorstat_WRONGTYPE:count=1\r\n');
  t.match(bulkText(await c.call('INFO')), /# Errorstats\r\nerrorstat_ERR:count=3\r\n/);
  await c.call('CONFIG', 'RESETSTAT');
  t.equal(bulkText(await c.call('INFO', 'errorstats')), '# Errorstats\r\n');
});
