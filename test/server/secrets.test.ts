import t from 'tap';
import { runStatus } from '../../src/server/status-cli.js';
import { startNode } from '../support/node-process.js';
import { captureLog, eventually, startTestNode } from './node-harness.js';

/**
 * Passwords and the cluster secret stay out of every output an operator or
 * a log shipper sees: the log (at debug), INFO, SLOWLOG, `quorumkv status`,
 * and what a node prints when it cannot start. CONFIG GET requirepass still
 * answers an authenticated client, as Redis 7 does.
 */
const PASSWORD = 'Pw-7f3c9a1e-known';
const NEW_PASSWORD = 'Pw-0d4b2c88-rotated';
const SECRET = 'Cs-51aa6e0f-known';
const leaks = new RegExp(`${PASSWORD}|${NEW_PASSWORD}|${SECRET}`);

t.test('log, INFO, SLOWLOG and status carry no secret', async (t) => {
  const log = captureLog('debug');
  const n = await startTestNode(t, ['--requirepass', PASSWORD, '--cluster-secret', SECRET, '--slowlog-log-slower-than', '0', '--log-level', 'debug'], { log: log.logger });
  const c = await n.raw();
  t.equal(await c.call('AUTH', 'wrong'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
  t.equal(await c.call('AUTH', PASSWORD), '+OK\r\n');
  t.equal(await c.call('CONFIG', 'GET', 'requirepass'), `*2\r\n$11\r\nrequirepass\r\n$${PASSWORD.length}\r\n${PASSWORD}\r\n`, 'an authenticated client gets it, as in Redis');
  t.equal(await c.call('CONFIG', 'GET', 'cluster-secret'), '*0\r\n', 'the cluster secret is not a CONFIG parameter');
  t.equal(await c.call('CONFIG', 'SET', 'requirepass', NEW_PASSWORD), '+OK\r\n');
  t.equal(await c.call('AUTH', NEW_PASSWORD), '+OK\r\n');
  const slowlog = await c.call('SLOWLOG', 'GET', '-1');
  t.match(slowlog, /\(redacted\)/, 'CONFIG SET requirepass is logged with its value redacted');
  t.notMatch(slowlog, leaks, 'SLOWLOG');
  t.notMatch(await c.call('INFO', 'everything'), leaks, 'INFO everything');
  t.notMatch(await c.call('CLIENT', 'LIST'), leaks, 'CLIENT LIST');
  for (const argv of [['-p', String(n.node.port), '-a', NEW_PASSWORD], ['-p', String(n.node.port), '-a', NEW_PASSWORD, '--json'], ['-p', String(n.node.port), '-a', 'wrong-pass']]) {
    let out = '';
    await runStatus(argv, { out: (s) => (out += s), err: (s) => (out += s) }, {});
    t.ok(out.length > 0);
    t.notMatch(out, leaks, `quorumkv status ${argv.slice(2).join(' ').replace(NEW_PASSWORD, 'PASS')}`);
  }
  const lines = log.lines.map((l) => JSON.stringify(l)).join('\n');
  t.ok(log.lines.length > 0, 'the node logged');
  t.notMatch(lines, leaks, 'the log');
});

t.test('a node that cannot start does not print its secrets', async (t) => {
  const failing = [
    // A bad option value next to the secrets.
    ['--requirepass', PASSWORD, '--cluster-secret', SECRET, '--maxclients', 'lots'],
    // A TLS file that does not exist: the node stops at start.
    ['--requirepass', PASSWORD, '--cluster-secret', SECRET, '--tls-port', '1', '--tls-cert-file', '/nonexistent.crt', '--tls-key-file', '/nonexistent.key', '--tls-auth-clients', 'no'],
    // A secret too long to accept.
    ['--requirepass', `${PASSWORD}${'x'.repeat(5000)}`],
  ];
  for (const args of failing) {
    const node = await startNode({ t, args, wait: false });
    await eventually(() => node.exit !== null, 20_000, 'the node exits');
    t.not(node.exit?.code, 0, 'the node did not start');
    t.ok(node.logs().length > 0, 'it said why');
    t.notMatch(node.logs(), leaks, `its output: ${node.logs().split('\n').pop()}`);
  }
});
