import t from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { RuntimeConfig } from '../../src/config/runtime.js';
import type { NodeConfig } from '../../src/config/node-config.js';

const base = (argv: string[] = []): NodeConfig => loadConfig(argv, {}, () => '');

function replyText(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof QkvError) return e.toReplyText();
    throw e;
  }
  throw new Error('expected a QkvError');
}

t.test('CONFIG GET: options in CONFIG GET form, compat parameters, hidden ones absent', async (t) => {
  const rc = new RuntimeConfig(base(['--port', '7001', '--cluster-secret', 'k', '--seeds', 'a:1,b:2']));
  t.equal(rc.get('port'), '7001');
  t.equal(rc.get('PORT'), '7001');
  t.equal(rc.get('peer-port'), '17001');
  t.equal(rc.get('sync'), 'no');
  t.equal(rc.get('protected-mode'), 'yes');
  t.equal(rc.get('max-value-bytes'), '1048576');
  t.equal(rc.get('client-query-buffer-limit'), '1073741824');
  t.equal(rc.get('requirepass'), '');
  t.equal(rc.get('metrics-port'), '');
  t.equal(rc.get('seeds'), 'a:1,b:2');
  t.equal(rc.get('cluster-secret'), undefined, 'the cluster secret is never shown');
  t.equal(rc.get('config'), undefined);
  t.equal(rc.get('no-such'), undefined);
  // what redis-benchmark and other tools read on connect
  t.equal(rc.get('save'), '');
  t.equal(rc.get('appendonly'), 'yes');
  t.equal(rc.get('appendfsync'), 'no');
  t.equal(rc.get('databases'), '1');
  t.equal(rc.get('maxmemory'), String(256 * 1024 * 1024), 'the memory budget, in bytes as Redis prints it');
  t.equal(rc.get('maxmemory-policy'), 'noeviction');
  t.equal(rc.get('cluster-enabled'), 'no');
  t.equal(rc.get('dir'), './data/node');
  t.equal(rc.get('notify-keyspace-events'), '');
  t.equal(rc.get('daemonize'), 'no');
  t.equal(new RuntimeConfig(base(['--sync'])).get('appendfsync'), 'always');

  const names = rc.names();
  t.same(names, [...names].sort());
  t.notOk(names.includes('cluster-secret'));
  t.ok(names.includes('save') && names.includes('maxclients'));
  t.same(rc.matching('max*'), [
    ['max-collection-members', '10000'],
    ['max-key-bytes', '256'],
    ['max-value-bytes', '1048576'],
    ['maxclients', '10000'],
    ['maxmemory', '268435456'],
    ['maxmemory-clients', '0'],
    ['maxmemory-policy', 'noeviction'],
  ]);
  t.same(rc.matching('save', 'appendonly', 'SAVE'), [
    ['appendonly', 'yes'],
    ['save', ''],
  ]);
  t.same(rc.matching('nothing*'), []);
  t.equal(rc.matching('*').length, names.length);
});

t.test('CONFIG SET: settable options change, with Redis error texts', async (t) => {
  const rc = new RuntimeConfig(base());
  rc.set('maxclients', '50');
  t.equal(rc.get('maxclients'), '50');
  t.equal(rc.current().maxclients, 50);
  rc.set('MAX-VALUE-BYTES', '2mb');
  t.equal(rc.current().maxValueBytes, 2 * 1024 * 1024);
  // The WAL sync mode is chosen when RocksDB opens: read-only at runtime.
  t.equal(replyText(() => rc.set('sync', 'yes')), "ERR CONFIG SET failed (possibly related to argument 'sync') - can't set immutable config");
  t.equal(rc.get('appendfsync'), 'no');
  rc.set('protected-mode', 'false');
  t.equal(rc.get('protected-mode'), 'no');
  rc.set('requirepass', 'pw');
  t.equal(rc.current().requirepass, 'pw');
  rc.set('requirepass', '');
  t.equal(rc.current().requirepass, null);
  rc.set('log-level', 'warn');
  t.equal(rc.current().logLevel, 'warn');

  t.equal(replyText(() => rc.set('no-such', '1')), "ERR Unknown option or number of arguments for CONFIG SET - 'no-such'");
  t.equal(replyText(() => rc.set('cluster-secret', 'x')), "ERR Unknown option or number of arguments for CONFIG SET - 'cluster-secret'");
  t.equal(replyText(() => rc.set('maxclients', 'lots')), "ERR CONFIG SET failed (possibly related to argument 'maxclients') - expected an integer from 1 to 1000000, got 'lots'");
  t.equal(replyText(() => rc.set('port', '1')), "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config");
  t.equal(replyText(() => rc.set('port', 'junk')), "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config");
  t.equal(replyText(() => rc.set('databases', '16')), "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config");
  t.equal(replyText(() => rc.set('appendonly', 'no')), "ERR CONFIG SET failed (possibly related to argument 'appendonly') - can't set immutable config");
  t.equal(replyText(() => rc.set('r', '4')), "ERR CONFIG SET failed (possibly related to argument 'r') - expected an integer from 1 to n (3), got 4");
  rc.set('client-query-buffer-limit', '3mb');
  t.equal(
    replyText(() => rc.set('max-value-bytes', '3mb')),
    "ERR CONFIG SET failed (possibly related to argument 'max-value-bytes') - must be at least max-value-bytes + max-key-bytes + 1024 (3147008) so that the largest allowed write fits, got 3145728",
  );
  t.equal(rc.current().maxValueBytes, 2 * 1024 * 1024, 'a refused value changes nothing');

  // Setting a fixed parameter to the value it has is a harmless no-op (scripts run CONFIG SET save "").
  rc.set('save', '');
  rc.set('appendonly', 'YES');
  rc.set('port', '6379');
  rc.set('debug', 'no');
});

t.test('CONFIG SET maxmemory takes Redis sizes, within its bounds', async (t) => {
  const rc = new RuntimeConfig(base());
  const seen: number[] = [];
  rc.onChange('maxmemory', (c) => seen.push(c.maxmemory));
  rc.set('maxmemory', '512mb');
  t.equal(rc.get('maxmemory'), String(512 * 1024 * 1024));
  rc.set('MAXMEMORY', '2gb');
  rc.set('maxmemory', '100000000');
  t.same(seen, [512 * 1024 ** 2, 2 * 1024 ** 3, 100_000_000]);
  t.match(replyText(() => rc.set('maxmemory', '1mb')), /^ERR CONFIG SET failed \(possibly related to argument 'maxmemory'\) - expected a size from 32mb to 1024gb/);
  t.match(replyText(() => rc.set('maxmemory', 'lots')), /expected a size/);
  t.equal(rc.get('maxmemory'), '100000000', 'a refused value changes nothing');
  t.equal(replyText(() => rc.set('cache-mb', '10')), "ERR CONFIG SET failed (possibly related to argument 'cache-mb') - can't set immutable config");
  t.equal(rc.get('cache-mb'), '', 'unset: its share of maxmemory');
});

t.test('CONFIG SET with several pairs is all or nothing', async (t) => {
  const rc = new RuntimeConfig(base());
  rc.setMany([
    ['max-value-bytes', '512mb'],
    ['client-query-buffer-limit', '1gb'],
    ['w', '3'],
  ]);
  t.equal(rc.current().maxValueBytes, 512 * 1024 * 1024);
  t.equal(rc.current().w, 3);
  t.match(replyText(() => rc.setMany([['maxclients', '7'], ['timeout', 'x']])), /argument 'timeout'/);
  t.equal(rc.current().maxclients, 10000);
  t.equal(replyText(() => rc.setMany([['timeout', '1'], ['TIMEOUT', '2']])), "ERR CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate parameter");
  t.equal(rc.current().timeout, 0);
  // the cross-option rule names the argument it is about when that one was set
  t.match(replyText(() => rc.setMany([['timeout', '1'], ['r', '9']])), /argument 'r'\) - expected an integer from 1 to n/);
  t.match(replyText(() => rc.setMany([['timeout', '1'], ['client-query-buffer-limit', '1mb']])), /argument 'client-query-buffer-limit'/);
  rc.set('client-query-buffer-limit', String(512 * 1024 * 1024 + 256 + 1024));
  t.match(replyText(() => rc.setMany([['timeout', '1'], ['max-key-bytes', '64kb']])), /argument 'max-key-bytes'\) - must be at least/);
  t.match(replyText(() => rc.setMany([['timeout', '1'], ['n', '5']])), /argument 'n'\) - can't set immutable/);
  t.equal(rc.current().timeout, 0);
});

t.test('onChange listeners see the new settings; a failing one rolls back', async (t) => {
  const rc = new RuntimeConfig(base());
  const seen: number[] = [];
  const stop = rc.onChange('maxclients', (c) => seen.push(c.maxclients));
  rc.set('maxclients', '10');
  rc.set('maxclients', '10'); // unchanged: no call
  rc.set('timeout', '5'); // another option: no call
  t.same(seen, [10]);
  stop();
  stop();
  rc.set('maxclients', '11');
  t.same(seen, [10]);

  const applied: number[] = [];
  rc.onChange('w', (c) => applied.push(c.w));
  rc.onChange('w', (c) => {
    if (c.w === 3) throw new Error('cannot apply w=3 now');
  });
  t.equal(replyText(() => rc.set('w', '3')), "ERR CONFIG SET failed (possibly related to argument 'w') - cannot apply w=3 now");
  t.equal(rc.current().w, 2);
  t.same(applied, [3, 2], 'listeners that ran are called again with the old settings');

  const rc2 = new RuntimeConfig(base());
  rc2.onChange('r', () => {
    throw 'plain';
  });
  t.match(replyText(() => rc2.set('r', '1')), / - plain$/);

  t.throws(() => rc.onChange('port', () => {}), /'port' is not a setting CONFIG SET can change/);
  t.throws(() => rc.onChange('nope', () => {}), /not a setting/);
});

t.test('params() in the shape of the command layer', async (t) => {
  const rc = new RuntimeConfig(base());
  const params = rc.params();
  t.same(
    params.map((p) => p.name),
    rc.names(),
  );
  const byName = new Map(params.map((p) => [p.name, p]));
  t.equal(byName.get('save')?.get(), '');
  t.equal(byName.get('save')?.set, undefined);
  t.equal(byName.get('port')?.set, undefined);
  byName.get('maxclients')?.set?.('99');
  t.equal(byName.get('maxclients')?.get(), '99');
  t.equal(rc.get('maxclients'), '99');
});

t.test("lua-time-limit is Redis 7's alias of busy-reply-threshold: shown by CONFIG GET, set through either name", async (t) => {
  const rc = new RuntimeConfig(base());
  const seen: number[] = [];
  rc.onChange('busy-reply-threshold', (c) => seen.push(c.busyReplyThreshold));
  t.equal(rc.get('lua-time-limit'), '5000');
  t.same(rc.matching('lua*'), [['lua-time-limit', '5000']]);
  t.ok(rc.names().includes('lua-time-limit') && rc.names().includes('busy-reply-threshold'));
  rc.set('LUA-TIME-LIMIT', '100');
  t.equal(rc.get('busy-reply-threshold'), '100');
  rc.set('busy-reply-threshold', '200');
  t.equal(rc.get('lua-time-limit'), '200');
  t.same(seen, [100, 200]);
  t.equal(base(['--lua-time-limit', '300']).busyReplyThreshold, 300, 'the command line takes it too');
});
