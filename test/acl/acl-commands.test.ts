import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { SeededRng } from '../../src/core/rng.js';
import { allCommands } from '../../src/commands/index.js';
import { buildTable } from '../../src/commands/table.js';
import { scriptHost } from '../../src/commands/script-host.js';
import { aclOf } from '../../src/commands/acl-guard.js';
import type { CommandContext, ServerApi, Session } from '../../src/commands/types.js';
import { MemoryKv } from '../support/memory-kv.js';
import { plain, run } from '../support/command-harness.js';

// The ACL commands, AUTH, scripts and EXEC against a server with no ACL
// wired (command tests): a default user kept from requirePass, and no file.

function context(requirePass: string | null = null): CommandContext {
  const clock = new ManualClock();
  const session: Session = {
    id: 1, protocol: 2, authenticated: requirePass === null, name: '', libName: '', libVersion: '',
    remoteAddress: '127.0.0.1:1', localAddress: '127.0.0.1:2', createdAt: clock.now(), lastCommand: '', closeAfterReply: false,
  };
  const server = { nodeId: 'n', version: '7.0.0', startedAt: 0, tcpPort: 6379, requirePass: () => requirePass, clients: () => [], killClient: () => false, config: () => [], configSet: () => undefined, info: () => [] } as ServerApi;
  const limits = { maxKeyBytes: 256, maxValueBytes: 1 << 20, maxCollectionMembers: 100 };
  return { kv: new MemoryKv(clock, {}), session, server, clock, rng: new SeededRng(1), table: buildTable(allCommands), limits };
}

const call = async (ctx: CommandContext, ...args: string[]) => plain(await run(ctx, args[0]!, ...args.slice(1)));
const sub = async (ctx: CommandContext, cmd: string, subName: string, ...args: string[]) => {
  const spec = ctx.table.lookup(cmd)!.subcommands!.find((s) => s.name === subName)!;
  return plain(await spec.handler(ctx, args.map((a) => Buffer.from(a))));
};

t.test('without an ACL wired: the default user follows requirePass; no file', async (t) => {
  const open = context();
  t.same(await call(open, 'AUTH', 'x'), { error: 'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?' });
  t.same(await call(open, 'AUTH', 'default', 'anything'), 'OK');
  const closed = context('pw');
  t.same(await call(closed, 'AUTH', 'no'), { error: 'WRONGPASS invalid username-password pair or user is disabled.' });
  t.same(await call(closed, 'AUTH', 'pw'), 'OK');
  t.same(await sub(closed, 'acl', 'whoami'), 'default');
  t.same(await sub(closed, 'acl', 'save'), { error: 'ERR no ACL file on this node' });
  t.same(await sub(closed, 'acl', 'load'), { error: 'ERR no ACL file on this node' });
  t.equal(aclOf(closed), aclOf(closed), 'one ACL per server');
  t.same(await sub(closed, 'acl', 'dryrun', 'default', 'client', 'nosuch'), { error: "ERR Command 'client' not found" });
  t.same(await sub(closed, 'acl', 'log', '-1'), []);
});

t.test("a script's redis.call is checked against the caller's user", async (t) => {
  const ctx = context();
  t.same(await sub(ctx, 'acl', 'setuser', 'alice', 'on', 'nopass', '~a*', '-@all', '+get', '&ch'), 'OK');
  ctx.session.user = 'alice';
  const host = scriptHost(ctx, false, () => null, () => undefined);
  const reply = async (...argv: string[]) => plain(await host.call(argv.map((a) => Buffer.from(a))));
  t.same(await reply('get', 'a1'), null);
  t.same(await reply('set', 'a1', 'v'), { error: "ERR The user executing the script can't run this command or subcommand" });
  t.same(await reply('get', 'b1'), { error: "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments" });
  t.same(await sub(ctx, 'acl', 'setuser', 'alice', '+publish'), 'OK');
  t.same(await reply('publish', 'other', 'm'), { error: "ERR The user executing the script can't publish to the channel mentioned in the command" });
  t.match(aclOf(ctx).log.newest(1)[0], { count: 1, reason: 'channel', context: 'lua', object: 'other', username: 'alice' });
  const check = (...argv: string[]) => host.aclCheck!(argv.map((a) => Buffer.from(a)));
  t.equal(check('get', 'a1'), true, 'redis.acl_check_cmd: allowed');
  t.equal(check('get', 'b1'), false, 'a key it may not read');
  t.equal(check('set', 'a1', 'v'), false, 'a command it may not run');
  t.equal(check('nocmd'), 'ERR Invalid command passed to redis.acl_check_cmd()');
  t.equal(check('client', 'nosuch'), 'ERR Invalid command passed to redis.acl_check_cmd()');
  t.equal(check('client', 'id'), false, 'a subcommand by its full name');
  t.same(await sub(ctx, 'acl', 'deluser', 'alice'), 1);
  t.equal(check('get', 'a1'), false, 'a deleted user may run nothing');

  t.same(await reply('get', 'a1'), { error: "ERR The user executing the script can't run this command or subcommand" }, 'a deleted user may run nothing');
  ctx.session.user = undefined;
  t.equal(check('set', 'a1', 'v'), true, 'the default user may run anything');
});

t.test('EXEC runs nothing for a user deleted since the commands were queued', async (t) => {
  const ctx = context();
  t.same(await sub(ctx, 'acl', 'setuser', 'bob', 'on', 'nopass', '~*', '+@all'), 'OK');
  ctx.session.user = 'bob';
  t.same(await call(ctx, 'MULTI'), 'OK');
  const spec = ctx.table.lookup('get')!;
  ctx.session.transaction!.multi!.commands.push({ spec, args: [Buffer.from('k')], fullName: 'get', argv: [Buffer.from('get'), Buffer.from('k')] });
  await sub(ctx, 'acl', 'deluser', 'bob');
  t.same(await call(ctx, 'EXEC'), [
    { error: 'NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand' },
  ]);
});
