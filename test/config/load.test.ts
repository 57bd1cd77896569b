import t from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { loadConfig, parseFlags } from '../../src/config/load.js';
import { OPTIONS, camelName } from '../../src/config/options.js';

const noFile = (path: string): string => {
  throw new Error(`no file ${path}`);
};
const files =
  (map: Record<string, string>) =>
  (path: string): string => {
    const text = map[path];
    if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return text;
  };
const load = (argv: string[], env: Record<string, string | undefined> = {}, read = noFile) => loadConfig(argv, env, read);

function errorOf(fn: () => unknown): QkvError {
  try {
    fn();
  } catch (e) {
    if (e instanceof QkvError) return e;
    throw e;
  }
  throw new Error('expected a QkvError');
}

t.test('defaults are those of the spec', async (t) => {
  const c = load([]);
  t.match(c, {
    port: 6379,
    bind: '127.0.0.1',
    dataDir: './data/node',
    nodeId: null,
    peerPort: 16379,
    seeds: [],
    rack: 'rack1',
    dc: 'dc1',
    vnodes: 256,
    n: 3,
    r: 2,
    w: 2,
    requirepass: null,
    clusterSecret: null,
    maxValueBytes: 1048576,
    maxKeyBytes: 256,
    sync: false,
    metricsPort: null,
    config: null,
    maxclients: 10000,
    timeout: 0,
    unauthTimeout: 10,
    maxmemory: 256 * 1024 ** 2,
    cacheMb: null,
    rocksdbCacheMb: null,
    clientQueryBufferLimit: 1024 ** 3,
    clientOutputBufferLimit: 256 * 1024 ** 2,
    logLevel: 'info',
    protectedMode: true,
    debug: false,
    requestTimeoutMs: 5000,
    expirySweepMs: 100,
  });
  t.same(Object.keys(c).sort(), OPTIONS.map((o) => camelName(o.name)).sort(), 'one field per option, camelCase');
  t.ok(Object.isFrozen(c));
});

t.test('flags: --name value, --name=value, bare and valued bools', async (t) => {
  const c = load(['--port', '7001', '--data-dir=/tmp/x', '--sync', '--protected-mode', 'no', '--n', '1', '--r=1', '--w', '1', '--debug']);
  t.equal(c.port, 7001);
  t.equal(c.peerPort, 17001);
  t.equal(c.dataDir, '/tmp/x');
  t.equal(c.sync, true);
  t.equal(c.protectedMode, false);
  t.equal(c.debug, true);
  t.same([c.n, c.r, c.w], [1, 1, 1]);
  t.equal(load(['--sync', 'true']).sync, true);
  t.equal(load(['--sync', 'false']).sync, false);
  t.equal(load(['--sync=0']).sync, false);
  t.equal(load(['--sync', '--port', '1']).port, 1, 'a bare bool does not eat the next flag');
  t.equal(load(['--PORT', '5']).port, 5, 'names are case-insensitive');
  t.equal(load(['--port', '5', '--port', '6']).port, 6, 'the last one wins');
  t.equal(load(['--requirepass=a=b']).requirepass, 'a=b', 'only the first = splits');
  t.equal(load(['--requirepass', '']).requirepass, null, "'' means none");
  t.same(load(['--seeds', 'h1:17001,h2:17002']).seeds, [
    { host: 'h1', port: 17001 },
    { host: 'h2', port: 17002 },
  ]);
  t.equal(load(['--metrics-port', '0']).metricsPort, 0);
  t.equal(load(['--metrics-port', 'off']).metricsPort, null);
  t.equal(load(['--node-id', 'node-a']).nodeId, 'node-a');
  t.equal(load(['--log-level', 'DEBUG']).logLevel, 'debug');
  t.equal(load(['--client-query-buffer-limit', '512mb']).clientQueryBufferLimit, 512 * 1024 ** 2);
  t.same(parseFlags([]), new Map());
});

t.test('flag errors name the option, the value and what is expected', async (t) => {
  t.equal(errorOf(() => load(['--port', 'abc'])).message, "--port: expected an integer from 0 to 65535, got 'abc'");
  t.equal(errorOf(() => load(['--port', 'abc'])).code, 'ERR');
  t.equal(errorOf(() => load(['--port'])).message, '--port: expected a value (an integer from 0 to 65535)');
  t.equal(errorOf(() => load(['--port', '--sync'])).message, '--port: expected a value (an integer from 0 to 65535)');
  t.equal(errorOf(() => load(['--prot', '1'])).message, 'unknown option --prot; did you mean --port?');
  t.equal(errorOf(() => load(['--frobnicate', '1'])).message, 'unknown option --frobnicate');
  t.equal(errorOf(() => load(['6379'])).message, "unexpected argument '6379': options are written --name value or --name=value");
  t.match(errorOf(() => load(['--'])).message, /unexpected argument '--'/);
  t.match(errorOf(() => load(['-p', '1'])).message, /unexpected argument '-p'/);
  t.equal(errorOf(() => load(['--sync=maybe'])).message, "--sync: expected yes or no (also true/false, 1/0), got 'maybe'");
  t.equal(errorOf(() => load(['--log-level', 'loud'])).message, "--log-level: expected one of debug, info, warn, error, got 'loud'");
  t.equal(errorOf(() => load(['--seeds', 'h1'])).message, "--seeds: expected a comma-separated list of host:port (bad entry 'h1'), got 'h1'");
  t.match(errorOf(() => load(['--node-id', 'bad id'])).message, /^--node-id: expected .*, got 'bad id'$/);
  t.match(errorOf(() => load(['--rack', ''])).message, /^--rack: expected a name of 1 to 64/);
  t.match(errorOf(() => load(['--bind', 'not an address'])).message, /^--bind: expected an IPv4\/IPv6 address or a host name/);
});

t.test('environment: QKV_<NAME>, below flags, empty ignored', async (t) => {
  const env = { QKV_MAX_VALUE_BYTES: '2mb', QKV_PORT: '7000', QKV_SYNC: 'yes', QKV_CLUSTER_SECRET: 's3cret', QKV_REQUIREPASS: '', QKV_UNRELATED: 'x' };
  const c = load(['--port', '7100'], env);
  t.equal(c.maxValueBytes, 2 * 1024 * 1024);
  t.equal(c.port, 7100, 'flag beats environment');
  t.equal(c.sync, true);
  t.equal(c.clusterSecret, 's3cret');
  t.equal(c.requirepass, null, 'an empty variable is unset');
  t.equal(load([], { QKV_PEER_PORT: '9000' }).peerPort, 9000);
  t.equal(errorOf(() => load([], { QKV_MAX_VALUE_BYTES: 'huge' })).message.split(':')[0], 'QKV_MAX_VALUE_BYTES');
  t.match(errorOf(() => load([], { QKV_VNODES: '0' })).message, /^QKV_VNODES: expected an integer from 1 to 4096, got '0'$/);
});

t.test('config file: redis.conf style', async (t) => {
  const conf = [
    '# a QuorumKV node',
    '',
    'port 7001',
    '   bind 127.0.0.1   ',
    'requirepass "p@ss word\\x21"',
    "rack 'r2'",
    'seeds h1:17002 h2:17003',
    'SYNC yes',
    'max-value-bytes 2mb',
    'cluster-secret ""',
  ].join('\n') + '\r\nnode-id n1\r\n';
  const read = files({ '/etc/qkv.conf': conf });
  const c = load(['--config', '/etc/qkv.conf'], {}, read);
  t.equal(c.config, '/etc/qkv.conf');
  t.equal(c.port, 7001);
  t.equal(c.requirepass, 'p@ss word!');
  t.equal(c.rack, 'r2');
  t.same(c.seeds.map((s) => s.port), [17002, 17003]);
  t.equal(c.sync, true);
  t.equal(c.maxValueBytes, 2 * 1024 * 1024);
  t.equal(c.clusterSecret, null);
  t.equal(c.nodeId, 'n1');

  const bad = (text: string) => errorOf(() => load(['--config', 'q.conf'], {}, files({ 'q.conf': text }))).message;
  t.equal(bad('port 1\nport abc'), "q.conf:2: port: expected an integer from 0 to 65535, got 'abc'");
  t.equal(bad('node-id n1 # x'), 'q.conf:1: node-id: expected one value (1 to 64 letters, digits, \'_\', \'.\' or \'-\', starting with a letter or digit), got 3');
  t.match(bad('port'), /^q\.conf:1: port: expected one value \(an integer from 0 to 65535\), got 0$/);
  t.equal(bad('prot 1'), "q.conf:1: unknown option 'prot'; did you mean port?");
  t.equal(bad('requirepass "open'), `q.conf:1: unbalanced quotes in the value of 'requirepass'`, 'the value (a password here) is not echoed');
  t.equal(bad('config other.conf'), 'q.conf:1: config: a config file cannot name another config file');
});

t.test('an empty seeds line means no seeds', async (t) => {
  t.same(load(['--config', 'q.conf'], {}, files({ 'q.conf': 'seeds' })).seeds, []);
});

t.test('config file: JSON by extension, kebab or camelCase keys', async (t) => {
  const json = JSON.stringify({ port: 7002, 'data-dir': '/d', maxValueBytes: '1mb', sync: true, seeds: ['h1:1', 'h2:2'], requirepass: null, 'metrics-port': 9101 });
  const c = load([], { QKV_CONFIG: 'node.JSON' }, files({ 'node.JSON': json }));
  t.equal(c.config, 'node.JSON');
  t.equal(c.port, 7002);
  t.equal(c.dataDir, '/d');
  t.equal(c.maxValueBytes, 1024 * 1024);
  t.equal(c.sync, true);
  t.equal(c.seeds.length, 2);
  t.equal(c.requirepass, null);
  t.equal(c.metricsPort, 9101);

  const bad = (text: string) => errorOf(() => load(['--config=n.json'], {}, files({ 'n.json': text }))).message;
  t.match(bad('{port: 1}'), /^n\.json: invalid JSON: /);
  t.equal(bad('[1]'), 'n.json: expected a JSON object of option names to values');
  t.equal(bad('null'), 'n.json: expected a JSON object of option names to values');
  t.equal(bad('{"port": "abc"}'), "n.json: port: expected an integer from 0 to 65535, got 'abc'");
  t.equal(bad('{"port": [1]}'), 'n.json: port: expected an integer from 0 to 65535, got [1]');
  t.equal(bad('{"sync": "sometimes"}'), "n.json: sync: expected yes or no (also true/false, 1/0), got 'sometimes'");
  t.equal(bad('{"maxValueBites": 1}'), "n.json: unknown option 'maxValueBites'; did you mean max-value-bytes?");
});

t.test('precedence: flags > environment > file > defaults', async (t) => {
  const read = files({ 'f.conf': 'port 7001\nrack from-file\ndc from-file\nvnodes 8' });
  const c = load(['--config', 'f.conf', '--port', '7003'], { QKV_PORT: '7002', QKV_RACK: 'from-env' }, read);
  t.equal(c.port, 7003);
  t.equal(c.rack, 'from-env');
  t.equal(c.dc, 'from-file');
  t.equal(c.vnodes, 8);
  t.equal(c.n, 3, 'default');
  // --config beats QKV_CONFIG; --config= turns the file off
  const two = files({ 'a.conf': 'port 1', 'b.conf': 'port 2' });
  t.equal(load(['--config', 'b.conf'], { QKV_CONFIG: 'a.conf' }, two).port, 2);
  t.equal(load([], { QKV_CONFIG: 'a.conf' }, two).port, 1);
  t.equal(load(['--config='], { QKV_CONFIG: 'a.conf' }, two).port, 6379);
  t.equal(load(['--config='], { QKV_CONFIG: 'a.conf' }, two).config, null);
  t.equal(errorOf(() => load(['--config', 'missing.conf'], {}, two)).message, "--config: cannot read 'missing.conf': ENOENT: no such file or directory, open 'missing.conf'");
});

t.test('validation across options', async (t) => {
  t.equal(errorOf(() => load(['--r', '4'])).message, '--r: expected an integer from 1 to n (3), got 4');
  t.equal(errorOf(() => load(['--n', '1'])).message, '--r: expected an integer from 1 to n (1), got 2');
  t.equal(errorOf(() => load(['--n', '2', '--w', '3'])).message, '--w: expected an integer from 1 to n (2), got 3');
  t.match(errorOf(() => load(['--n', '0'])).message, /^--n: expected an integer from 1 to 64, got '0'$/);
  t.match(errorOf(() => load(['--r', '0'])).message, /^--r: expected an integer from 1/);
  t.equal(load(['--n', '5', '--r', '5', '--w', '1']).r, 5);

  t.equal(
    errorOf(() => load(['--bind', '0.0.0.0'])).message,
    "--bind: binding the non-loopback address '0.0.0.0' requires --cluster-secret, so that peers authenticate each other",
  );
  t.match(errorOf(() => load(['--bind', 'db.example.com'])).message, /requires --cluster-secret/);
  t.equal(load(['--bind', '0.0.0.0', '--cluster-secret', 'k']).bind, '0.0.0.0');
  for (const loop of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) t.equal(load(['--bind', loop]).bind, loop, loop);

  t.equal(load(['--port', '0']).peerPort, 0, 'port 0 -> peer port 0 (any free port)');
  t.equal(load(['--port', '0', '--peer-port', '9']).peerPort, 9);
  t.equal(errorOf(() => load(['--port', '60000'])).message, '--peer-port: the default port + 10000 = 70000 is above 65535; set --peer-port');
  t.equal(load(['--port', '60000', '--peer-port', '60001']).peerPort, 60001);
  t.equal(errorOf(() => load(['--port', '7000', '--peer-port', '7000'])).message, '--peer-port: must differ from port (7000)');
  t.equal(load(['--port', '0', '--peer-port', '0']).peerPort, 0, 'two zeros are two free ports');
  t.equal(errorOf(() => load(['--port', '7000', '--metrics-port', '17000'])).message, '--metrics-port: must differ from port (7000) and peer-port (17000)');
  t.equal(errorOf(() => load(['--port', '7000', '--metrics-port', '7000'])).message, '--metrics-port: must differ from port (7000) and peer-port (17000)');

  t.equal(load(['--max-value-bytes', '512mb', '--client-query-buffer-limit', '1gb']).maxValueBytes, 512 * 1024 * 1024);
  t.match(errorOf(() => load(['--max-value-bytes', '0'])).message, /^--max-value-bytes: expected a size from 1 to 512mb/);
  t.match(errorOf(() => load(['--max-value-bytes', '600mb'])).message, /got '600mb'/);
  t.equal(
    errorOf(() => load(['--max-value-bytes', '2mb', '--client-query-buffer-limit', '2mb'])).message,
    '--client-query-buffer-limit: must be at least max-value-bytes + max-key-bytes + 1024 (2098432) so that the largest allowed write fits, got 2097152',
  );
});
