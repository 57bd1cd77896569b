import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { startNode } from '../../src/server/node.js';
import { hashPassword } from '../../src/acl/setuser.js';
import { startTestNode, tempDir, testConfig } from './node-harness.js';
import { requireTool, REDIS_TOOLS_HINT } from '../../compat/support/outside-tool.js';

// --aclfile: loaded at start (a bad or missing file stops the start with
// Redis's texts), ACL SAVE and LOAD, their failures, requirepass beside a
// file, and users of the file logging in through redis-cli.

t.test('a file that does not parse or is missing stops the start', async (t) => {
  const dir = await tempDir(t, 'qkv-aclfile-');
  const bad = join(dir, 'bad.acl');
  await writeFile(bad, 'user alice on +nocmd\n');
  await t.rejects(startNode(testConfig(join(dir, 'd1'), ['--aclfile', bad, '--log-level', 'error'])), {
    message: `ERR ${bad}:1: Error in applying operation '+nocmd': Unknown command or category name in ACL. WARNING: ACL errors detected, no change to the previously active ACL rules was performed`,
  });
  const missing = join(dir, 'missing.acl');
  await t.rejects(startNode(testConfig(join(dir, 'd2'), ['--aclfile', missing, '--log-level', 'error'])), {
    message: `ERR Error loading ACLs, opening file '${missing}': No such file or directory`,
  });
});

t.test('SAVE and LOAD, and what they answer when the file cannot be used', async (t) => {
  const dir = await tempDir(t, 'qkv-aclfile-');
  const sub = join(dir, 'sub');
  await mkdir(sub);
  const file = join(sub, 'users.acl');
  await writeFile(file, 'user bob on >pw ~b* +get\n');
  const n = await startTestNode(t, ['--aclfile', file, '--requirepass', 'rp']);
  const c = await n.raw();
  t.equal(await c.call('PING'), '-NOAUTH Authentication required.\r\n', 'requirepass still guards the default user');
  t.equal(await c.call('AUTH', 'bob', 'pw'), '+OK\r\n', 'a user of the file logs in');
  t.equal(await c.call('ACL', 'WHOAMI'), "-NOPERM this user has no permissions to run the 'acl|whoami' command\r\n");
  t.equal(await c.call('AUTH', 'rp'), '+OK\r\n');
  t.equal(await c.call('ACL', 'SETUSER', 'carol', 'on', '>c'), '+OK\r\n');
  t.equal(await c.call('ACL', 'SAVE'), '+OK\r\n');
  const saved = await readFile(file, 'utf8');
  t.match(saved, `user carol on #${hashPassword('c')} resetchannels -@all\n`);
  t.match(saved, `user default on #${hashPassword('rp')} ~* &* +@all\n`);
  t.notMatch(saved, /\brp\b|>c/, 'no password in clear');
  t.equal(await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0'), '+OK\r\n');
  t.equal(await c.call('ACL', 'SETUSER', 'erin', '>hidden'), '+OK\r\n');
  const slow = await c.call('SLOWLOG', 'GET', '1');
  t.match(slow, '$4\r\nerin\r\n$10\r\n(redacted)\r\n', 'SLOWLOG keeps ACL SETUSER rules out');
  t.notMatch(slow, 'hidden');
  await writeFile(file, 'user dan on nopass +@all ~*\n');
  t.equal(await c.call('ACL', 'LOAD'), '+OK\r\n');
  t.equal(await c.call('ACL', 'USERS'), '*2\r\n$3\r\ndan\r\n$7\r\ndefault\r\n', 'the file replaced the users; the default user stayed');
  await rm(file);
  t.equal(await c.call('ACL', 'LOAD'), `-ERR Error loading ACLs, opening file '${file}': No such file or directory\r\n`);
  if (process.getuid?.() !== 0) {
    await chmod(sub, 0o500);
    t.teardown(() => chmod(sub, 0o700));
    t.equal(await c.call('ACL', 'SAVE'), '-ERR There was an error trying to save the ACLs. Please check the server logs for more information\r\n');
  }
  await rm(sub, { recursive: true, force: true });
  t.equal(await c.call('ACL', 'SAVE'), '-ERR There was an error trying to save the ACLs. Please check the server logs for more information\r\n');
});

t.test('redis-cli logs in as a user of the file and is refused what it may not do', async (t) => {
  if (!requireTool(t, 'redis-cli', 'redis-cli', ['--version'], REDIS_TOOLS_HINT)) return;
  const dir = await tempDir(t, 'qkv-aclfile-');
  const file = join(dir, 'users.acl');
  await writeFile(file, 'user default on nopass ~* &* +@all\nuser ro on >ropw %R~* +@read +@connection\n');
  const n = await startTestNode(t, ['--aclfile', file]);
  // The node runs in this process: redis-cli must not block its event loop.
  const run = promisify(execFile);
  const cli = async (pass: string, ...args: string[]): Promise<string> => {
    const argv = ['-p', String(n.node.port), '--user', 'ro', '--pass', pass, '--no-auth-warning', ...args];
    try {
      const out = await run('redis-cli', argv, { encoding: 'utf8', timeout: 15_000 });
      return `${out.stdout}${out.stderr}`.trim();
    } catch (e) {
      // A refused AUTH makes redis-cli exit non-zero, its message on stderr.
      const out = e as { stdout?: string; stderr?: string };
      return `${out.stdout ?? ''}${out.stderr ?? ''}`.trim();
    }
  };
  t.equal(await cli('ropw', 'ACL', 'WHOAMI'), "NOPERM this user has no permissions to run the 'acl|whoami' command");
  t.equal(await cli('ropw', 'PING'), 'PONG');
  t.equal(await cli('ropw', 'GET', 'k'), '');
  t.equal(await cli('ropw', 'SET', 'k', 'v'), "NOPERM this user has no permissions to run the 'set' command");
  // redis-cli reports the refused AUTH and goes on as the default user.
  t.match(await cli('bad', 'PING'), 'AUTH failed: WRONGPASS invalid username-password pair or user is disabled.');
});
