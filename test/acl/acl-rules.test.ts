import t from 'tap';
import { AclStore, SetUserError, newerThan, parseAclText } from '../../src/acl/acl-store.js';
import { checkAccess, denialText, dryRunText, execDenialText } from '../../src/acl/check.js';
import { describeUser } from '../../src/acl/describe.js';
import { AclRuleError, applyRule, hashPassword } from '../../src/acl/setuser.js';
import { AclUser } from '../../src/acl/user.js';
import { AclLog } from '../../src/acl/acl-log.js';
import { aclCatalog } from '../../src/commands/acl-guard.js';
import { allCommands } from '../../src/commands/index.js';
import { buildTable } from '../../src/commands/table.js';

// The ACL rule parser, the description Redis 7.0 gives of a user, and the
// permission check, without a server. Expected lines were taken from
// redis-server 7.0.15 (the differential test in compat/ runs them live).

const catalog = aclCatalog(buildTable(allCommands));
const store = (): AclStore => new AclStore(catalog, 'n1', () => 1000);
const line = (s: AclStore, name: string): string => s.list().find((l) => l.startsWith(`user ${name} `))!;
const key = (k: string, read: boolean, write: boolean) => ({ key: Buffer.from(k), read, write });

t.test('new users and their description', async (t) => {
  const s = store();
  t.equal(line(s, 'default'), 'user default on nopass ~* &* +@all');
  t.ok(s.defaultUser.unrestricted, 'the default user skips the check');
  s.setUser('alice', ['on', '>p1', '~foo*', '+get']);
  t.equal(line(s, 'alice'), `user alice on #${hashPassword('p1')} ~foo* resetchannels -@all +get`);
  s.setUser('c1', ['+get', '+set', '-get']);
  t.equal(line(s, 'c1'), 'user c1 off resetchannels -@all +set');
  s.setUser('c2', ['+@string', '-@string']);
  t.equal(line(s, 'c2'), 'user c2 off resetchannels -@all');
  s.setUser('c3', ['allcommands', '-get']);
  t.equal(line(s, 'c3'), 'user c3 off resetchannels +@all -get');
  s.setUser('c5', ['+get', '+get', '+@read']);
  t.equal(line(s, 'c5'), 'user c5 off resetchannels -@all +@read');
  s.setUser('c6', ['-@all', '+client', '-client|kill']);
  t.equal(line(s, 'c6'), 'user c6 off resetchannels -@all +client -client|kill');
  s.setUser('c7', ['+acl|whoami', '+acl|cat']);
  t.match(line(s, 'c7'), /-@all \+acl\|cat \+acl\|whoami$/);
  t.same(s.names(), ['alice', 'c1', 'c2', 'c3', 'c5', 'c6', 'c7', 'default']);
});

t.test('key and channel patterns', async (t) => {
  const s = store();
  s.setUser('y', ['resetkeys', '~a', '~a', '%R~a', '%W~b', '%RW~c', '&a', '&a']);
  t.equal(line(s, 'y'), 'user y off ~a %W~b ~c resetchannels &a -@all');
  s.setUser('y', ['&*']);
  t.equal(line(s, 'y'), 'user y off ~a %W~b ~c &* -@all');
  s.setUser('y', ['%RW~*']);
  t.equal(line(s, 'y'), 'user y off ~* &* -@all');
  s.setUser('y', ['resetchannels', 'resetkeys', 'allkeys', 'allchannels', 'resetkeys']);
  t.equal(line(s, 'y'), 'user y off &* -@all');
});

t.test('passwords, nopass, reset and flags', async (t) => {
  const s = store();
  s.setUser('y', ['>a', '>a', '>b', '<a', `#${hashPassword('c')}`, `!${hashPassword('c')}`]);
  t.equal(line(s, 'y'), `user y off #${hashPassword('b')} resetchannels -@all`);
  s.setUser('y', ['nopass']);
  t.equal(line(s, 'y'), 'user y off nopass resetchannels -@all');
  s.setUser('y', ['>c', 'on']);
  t.equal(line(s, 'y'), `user y on #${hashPassword('c')} resetchannels -@all`);
  t.ok(s.authenticate('y', Buffer.from('c')));
  t.equal(s.authenticate('y', Buffer.from('x')), null);
  t.equal(s.authenticate('nobody', Buffer.from('c')), null);
  s.setUser('y', ['reset']);
  t.equal(line(s, 'y'), 'user y off sanitize-payload resetchannels -@all');
  s.setUser('y', ['skip-sanitize-payload', 'on', 'nopass']);
  t.equal(line(s, 'y'), 'user y on nopass skip-sanitize-payload resetchannels -@all');
  t.ok(s.authenticate('y', Buffer.from('anything')), 'nopass takes any password');
  s.setUser('y', ['resetpass']);
  t.equal(s.authenticate('y', Buffer.from('anything')), null, 'resetpass: no password works');
  s.setUser('off', ['off', 'nopass']);
  t.equal(s.authenticate('off', Buffer.from('x')), null, 'a disabled user cannot authenticate');
});

t.test('errors have Redis texts and change nothing', async (t) => {
  const s = store();
  s.setUser('x', ['on', '+get']);
  const before = line(s, 'x');
  const cases: Array<[string[], string]> = [
    [['bogus'], "ERR Error in ACL SETUSER modifier 'bogus': Syntax error"],
    [['+nocmd'], "ERR Error in ACL SETUSER modifier '+nocmd': Unknown command or category name in ACL"],
    [['+@nocat'], "ERR Error in ACL SETUSER modifier '+@nocat': Unknown command or category name in ACL"],
    [['+get|x|y'], "ERR Error in ACL SETUSER modifier '+get|x|y': Unknown command or category name in ACL"],
    [['+acl|nosub'], "ERR Error in ACL SETUSER modifier '+acl|nosub': Unknown command or category name in ACL"],
    [['+get|x'], "ERR Error in ACL SETUSER modifier '+get|x': Unknown command or category name in ACL"],
    [['%X~a'], "ERR Error in ACL SETUSER modifier '%X~a': Syntax error"],
    [['%~a'], "ERR Error in ACL SETUSER modifier '%~a': Syntax error"],
    [['%R'], "ERR Error in ACL SETUSER modifier '%R': Syntax error"],
    [['#abc'], "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"],
    [['!abc'], "ERR Error in ACL SETUSER modifier '!abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"],
    [['<nopw'], "ERR Error in ACL SETUSER modifier '<nopw': The password you are trying to remove from the user does not exist"],
    [[`!${hashPassword('z')}`], `ERR Error in ACL SETUSER modifier '!${hashPassword('z')}': The password you are trying to remove from the user does not exist`],
    [['+set', 'allkeys', '~foo'], "ERR Error in ACL SETUSER modifier '~foo': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"],
    [['allchannels', '&x'], "ERR Error in ACL SETUSER modifier '&x': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"],
    [['(~x +get)'], "ERR Error in ACL SETUSER modifier '(~x +get)': Selectors are not supported by QuorumKV"],
  ];
  for (const [rules, text] of cases) {
    t.throws(() => s.setUser('x', rules), { message: text }, rules.join(' '));
    t.equal(line(s, 'x'), before, `${rules.join(' ')} left the user as it was`);
  }
  t.throws(() => s.setUser('a b', ['on']), { message: "ERR Usernames can't contain spaces or null characters" });
  t.type(new SetUserError('x', 'y'), Error);
  t.throws(() => applyRule(new AclUser('z'), '?', catalog), { message: 'Syntax error' });
  t.ok(new AclRuleError('x') instanceof Error);
});

t.test('permission check', async (t) => {
  const s = store();
  s.setUser('alice', ['on', '%R~r*', '%W~w*', '~both', '+@all', '-del', '&ch1', '&news.*']);
  const alice = s.get('alice')!;
  t.notOk(alice.unrestricted);
  t.equal(checkAccess(alice, 'get', [key('r1', true, false)], []), null);
  t.same(checkAccess(alice, 'get', [key('w1', true, false)], []), { reason: 'key', object: 'w1' });
  t.equal(checkAccess(alice, 'set', [key('w1', false, true)], []), null);
  t.same(checkAccess(alice, 'incr', [key('w1', true, true)], []), { reason: 'key', object: 'w1' });
  t.equal(checkAccess(alice, 'incr', [key('both', true, true)], []), null);
  t.equal(checkAccess(alice, 'exists', [key('w1', false, false)], []), null, 'a key only looked at needs any pattern');
  t.same(checkAccess(alice, 'exists', [key('zz', false, false)], []), { reason: 'key', object: 'zz' });
  t.same(checkAccess(alice, 'del', [key('w1', false, true)], []), { reason: 'command', object: 'del' });
  t.equal(checkAccess(alice, 'publish', [], [{ channel: Buffer.from('news.a'), isPattern: false }]), null);
  t.same(checkAccess(alice, 'publish', [], [{ channel: Buffer.from('ch2'), isPattern: false }]), { reason: 'channel', object: 'ch2' });
  t.equal(checkAccess(alice, 'psubscribe', [], [{ channel: Buffer.from('news.*'), isPattern: true }]), null, 'a pattern is allowed literally');
  t.same(checkAccess(alice, 'psubscribe', [], [{ channel: Buffer.from('news.a*'), isPattern: true }]), { reason: 'channel', object: 'news.a*' });
  t.equal(denialText({ reason: 'command', object: 'get' }), "NOPERM this user has no permissions to run the 'get' command");
  t.equal(denialText({ reason: 'key', object: 'k' }), 'NOPERM this user has no permissions to access one of the keys used as arguments');
  t.equal(denialText({ reason: 'channel', object: 'c' }), 'NOPERM this user has no permissions to access one of the channels used as arguments');
  const changed = 'NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ';
  t.equal(execDenialText({ reason: 'command', object: 'get' }), `${changed}no permission to execute the command or subcommand`);
  t.equal(execDenialText({ reason: 'key', object: 'k' }), `${changed}no permission to touch the specified keys`);
  t.equal(execDenialText({ reason: 'channel', object: 'c' }), `${changed}no permission to access one of the channels used as arguments`);
  t.equal(dryRunText({ reason: 'command', object: 'get' }), "This user has no permissions to run the 'get' command");
  t.equal(dryRunText({ reason: 'key', object: 'r1' }), "This user has no permissions to access the 'r1' key");
  t.equal(dryRunText({ reason: 'channel', object: 'c' }), "This user has no permissions to access the 'c' channel");
});

t.test('the default user follows requirepass; versions and generations move', async (t) => {
  let now = 1000;
  const s = new AclStore(catalog, 'n1', () => now);
  const changes: string[] = [];
  s.onChange((o) => changes.push(o));
  const g = s.generation;
  s.setRequirePass('secret');
  t.equal(line(s, 'default'), `user default on #${hashPassword('secret')} ~* &* +@all`);
  t.ok(s.generation > g);
  t.same(s.version, { at: 1000, node: 'n1' });
  s.setRequirePass(null);
  t.same(s.version, { at: 1001, node: 'n1' }, 'a change in the same ms still moves the version');
  now = 5000;
  s.setRequirePass('x', false);
  t.same(s.version, { at: 1001, node: 'n1' }, 'a start-up change does not');
  t.same(changes, ['local', 'local']);
  t.equal(s.deleteUsers(['default', 'nobody']), 0, 'the default user stays; nobody is not there');
  t.same(changes, ['local', 'local'], 'nothing deleted, nothing announced');
  t.ok(newerThan({ at: 2, node: 'a' }, { at: 1, node: 'b' }));
  t.ok(newerThan({ at: 1, node: 'b' }, { at: 1, node: 'a' }), 'the node id breaks ties');
  t.notOk(newerThan({ at: 1, node: 'a' }, { at: 1, node: 'a' }));
});

t.test('ACL file text: round trip and Redis 7.0 errors', async (t) => {
  const s = store();
  s.setUser('alice', ['on', '>x', '~a*', '+get']);
  s.setUser('bob', ['on', 'nopass', '%R~r*', '&c', '+@string', '-set']);
  const text = s.toText();
  const t2 = store();
  t2.loadText(text, 'f', 'local');
  t.equal(t2.toText(), text);
  t.ok(t2.authenticate('alice', Buffer.from('x')));
  t2.loadText('# a comment\n\nuser alice on >y\n', 'f', 'local');
  t.same(t2.names(), ['alice', 'default'], 'the default user stays when the file has none');
  const bad = 'user default on nopass ~* &* +@all\nxuser bob\nuser carol on +nocmd\nuser bad name\nuser alice on\nuser alice off\n';
  t.throws(() => t2.loadText(bad, '/tmp/u.acl', 'local'), {
    message:
      "ERR /tmp/u.acl:2 should start with user keyword followed by the username. /tmp/u.acl:3: Error in applying operation '+nocmd': Unknown command or category name in ACL. /tmp/u.acl:4: Syntax error. WARNING: Duplicate user 'alice' found on line 6. WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
  });
  t.same(t2.names(), ['alice', 'default'], 'nothing changed');
  t.throws(() => parseAclText('user\n', 'f', catalog), /f:1 should start with user keyword/);
  const remote: string[] = [];
  t2.onChange((o) => remote.push(o));
  t2.loadText(text, 'peer', 'remote', { at: 77, node: 'n9' });
  t.same(t2.version, { at: 77, node: 'n9' });
  t.same(remote, ['remote']);
});

t.test('ACL LOG groups repeated refusals and keeps the newest', async (t) => {
  const log = new AclLog(() => 2);
  const e = { reason: 'key' as const, context: 'toplevel' as const, object: 'k', username: 'u', clientInfo: 'id=1' };
  log.add({ ...e, at: 0 });
  log.add({ ...e, at: 1000, clientInfo: 'id=2' });
  t.equal(log.newest(10).length, 1);
  t.equal(log.newest(10)[0]!.count, 2);
  t.equal(log.newest(10)[0]!.clientInfo, 'id=2');
  log.add({ ...e, at: 100_000 });
  t.equal(log.newest(10).length, 2, 'more than a minute later it is a new entry');
  log.add({ ...e, object: 'other', at: 100_001 });
  t.equal(log.newest(10).length, 2, 'bounded');
  t.equal(log.newest(10)[0]!.object, 'other');
  log.reset();
  t.same(log.newest(10), []);
  t.equal(new AclLog().newest(1).length, 0);
});

t.test('describeUser of a user with every rule', async (t) => {
  const u = new AclUser('z');
  for (const r of ['on', '>p', '%R~r', '&c', '+@all', '-@dangerous']) applyRule(u, r, catalog);
  t.match(describeUser(u, catalog), /^user z on #\w{64} %R~r resetchannels &c \+@all -@dangerous/);
});
