import { randomBytes } from 'node:crypto';
import { NULL, OK, array, bulk, double, error, int, mapOf, simple } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { DEFAULT_USER } from '../acl/acl-store.js';
import { ACL_CATEGORIES, isCategory } from '../acl/catalog.js';
import { checkAccess, dryRunText } from '../acl/check.js';
import { describeChannels, describeCommands, describeFlags, describeKeys } from '../acl/describe.js';
import { channelAccesses, keyAccesses } from './acl-access.js';
import { aclOf } from './acl-guard.js';
import { fail, keyword, parseInt64 } from './args.js';
import { containerHandler, defineCommand, resolveCommand } from './table.js';
import type { CommandContext, CommandSpec } from './types.js';

/** ACL and its subcommands, with Redis 7.0's replies and error texts. */

/** Redis's error for a subcommand given too many arguments, naming it as the client typed it. */
function subcommandSyntax(ctx: CommandContext, fallback: string): string {
  const typed = ctx.session.currentArgv?.[1]?.toString() ?? fallback;
  return `ERR unknown subcommand or wrong number of arguments for '${typed}'. Try ACL HELP.`;
}

/** The ACL store and file throw plain Errors carrying Redis's reply text. */
function asReply(e: unknown): Reply {
  if (e instanceof Error && /^[A-Z]+ /.test(e.message)) return error(e.message);
  throw e;
}

function setuser(ctx: CommandContext, args: readonly Buffer[]): Reply {
  try {
    aclOf(ctx).store.setUser(args[0]!.toString(), args.slice(1).map((a) => a.toString()));
    return OK;
  } catch (e) {
    return asReply(e);
  }
}

function getuser(ctx: CommandContext, args: readonly Buffer[]): Reply {
  const acl = aclOf(ctx);
  const user = acl.store.get(args[0]!.toString());
  if (!user) return NULL;
  return mapOf([
    ['flags', array(describeFlags(user).map((f) => bulk(f)))],
    ['passwords', array(user.passwords.map((p) => bulk(p)))],
    ['commands', bulk(describeCommands(user, acl.store.catalog))],
    ['keys', bulk(describeKeys(user))],
    ['channels', bulk(describeChannels(user))],
    ['selectors', array([])],
  ]);
}

function deluser(ctx: CommandContext, args: readonly Buffer[]): Reply {
  const names = args.map((a) => a.toString());
  if (names.includes(DEFAULT_USER)) return error("ERR The 'default' user cannot be removed");
  return int(aclOf(ctx).store.deleteUsers(names));
}

function cat(ctx: CommandContext, args: readonly Buffer[]): Reply {
  if (args.length === 0) return array(ACL_CATEGORIES.map((c) => bulk(c)));
  if (args.length > 1) fail(subcommandSyntax(ctx, 'cat'));
  const category = args[0]!.toString().toLowerCase();
  if (!isCategory(category)) return error(`ERR Unknown category '${args[0]!.toString()}'`);
  return array(aclOf(ctx).store.catalog.all().filter((c) => c.categories.includes(category)).map((c) => bulk(c.fullName)));
}

function dryrun(ctx: CommandContext, args: readonly Buffer[]): Reply {
  const user = aclOf(ctx).store.get(args[0]!.toString());
  if (!user) return error(`ERR User '${args[0]!.toString()}' not found`);
  const argv = args.slice(1);
  const name = argv[0]!.toString();
  if (!ctx.table.lookup(name.toLowerCase())) return error(`ERR Command '${name}' not found`);
  const resolved = resolveCommand(ctx.table, argv);
  if (!('spec' in resolved)) {
    // Redis names the command not found when its subcommand is unknown; arity errors pass as they are.
    return resolved.t === 'error' && resolved.v.startsWith('ERR unknown subcommand') ? error(`ERR Command '${name}' not found`) : resolved;
  }
  const denial = checkAccess(user, resolved.fullName, keyAccesses(resolved.spec, resolved.fullName, argv), channelAccesses(resolved.fullName, argv));
  return denial ? bulk(dryRunText(denial)) : OK;
}

function log(ctx: CommandContext, args: readonly Buffer[]): Reply {
  const acl = aclOf(ctx);
  if (args.length > 1) fail(subcommandSyntax(ctx, 'log'));
  let count = 10;
  if (args.length === 1) {
    if (keyword(args[0]!) === 'RESET') {
      acl.log.reset();
      return OK;
    }
    count = Math.max(0, Number(parseInt64(args[0]!)));
  }
  const now = ctx.clock.now();
  return array(
    acl.log.newest(count).map((e) =>
      mapOf([
        ['count', int(e.count)],
        ['reason', bulk(e.reason)],
        ['context', bulk(e.context)],
        ['object', bulk(e.object)],
        ['username', bulk(e.username)],
        ['age-seconds', double(Math.max(0, now - e.at) / 1000)],
        ['client-info', bulk(e.clientInfo)],
      ]),
    ),
  );
}

function genpass(ctx: CommandContext, args: readonly Buffer[]): Reply {
  let bits = 256;
  if (args.length > 1) fail(subcommandSyntax(ctx, 'genpass'));
  if (args.length === 1) {
    const n = parseInt64(args[0]!);
    if (n <= 0n || n > 4096n) fail('ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096');
    bits = Number(n);
  }
  const chars = Math.ceil(bits / 4);
  return bulk(randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars));
}

function save(ctx: CommandContext): Promise<Reply> {
  return aclOf(ctx).save().then(() => OK, asReply);
}

function load(ctx: CommandContext): Promise<Reply> {
  return aclOf(ctx).load().then(() => OK, asReply);
}

const HELP = [
  'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
  'HELP',
  '    Prints this help.',
];

const ADMIN = { flags: ['admin', 'noscript', 'loading', 'stale'], categories: ['admin', 'slow', 'dangerous'], group: 'server', since: '6.0.0' } as const;
const PLAIN = { flags: ['noscript', 'loading', 'stale'], categories: ['slow'], group: 'server', since: '6.0.0' } as const;

interface Base {
  readonly flags: readonly string[];
  readonly categories: readonly string[];
  readonly group: string;
  readonly since: string;
}

const sub = (base: Base, spec: Parameters<typeof defineCommand>[0]): CommandSpec =>
  defineCommand({ ...base, flags: [...base.flags], categories: [...base.categories], ...spec });

export const aclCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'acl',
    arity: -2,
    flags: ['sentinel'],
    categories: ['slow'],
    summary: 'A container for Access List Control commands.',
    since: '6.0.0',
    group: 'server',
    handler: containerHandler,
    subcommands: [
      sub(PLAIN, { name: 'cat', arity: -2, summary: 'Lists the ACL categories, or the commands inside a category.', handler: cat }),
      sub(ADMIN, { name: 'deluser', arity: -3, summary: 'Deletes ACL users, and terminates their connections.', handler: deluser }),
      sub(ADMIN, { name: 'dryrun', arity: -4, summary: 'Simulates the execution of a command by a user, without executing the command.', since: '7.0.0', handler: dryrun }),
      sub(PLAIN, { name: 'genpass', arity: -2, summary: 'Generates a pseudorandom, secure password that can be used to identify ACL users.', handler: genpass }),
      sub(ADMIN, { name: 'getuser', arity: 3, summary: 'Lists the ACL rules of a user.', handler: getuser }),
      sub(ADMIN, { name: 'list', arity: 2, summary: 'Dumps the effective rules in ACL file format.', handler: (ctx) => array(aclOf(ctx).store.list().map((l) => bulk(l))) }),
      sub(ADMIN, { name: 'load', arity: 2, summary: 'Reloads the rules from the configured ACL file.', handler: load }),
      sub(ADMIN, { name: 'log', arity: -2, summary: 'Lists recent security events generated due to ACL rules.', handler: log }),
      sub(ADMIN, { name: 'save', arity: 2, summary: 'Saves the effective ACL rules in the configured ACL file.', handler: save }),
      sub(ADMIN, { name: 'setuser', arity: -3, summary: 'Creates and modifies an ACL user and its rules.', handler: setuser }),
      sub(ADMIN, { name: 'users', arity: 2, summary: 'Lists all ACL users.', handler: (ctx) => array(aclOf(ctx).store.names().map((n) => bulk(n))) }),
      sub(PLAIN, { name: 'whoami', arity: 2, summary: 'Returns the authenticated username of the current connection.', handler: (ctx) => bulk(ctx.session.user ?? DEFAULT_USER) }),
      sub({ ...PLAIN, flags: ['loading', 'stale'] }, { name: 'help', arity: 2, summary: 'Returns helpful text about the different subcommands.', handler: () => array(HELP.map((l) => simple(l))) }),
    ],
  }),
];
