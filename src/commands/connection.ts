import { OK, array, bulk, error, int, mapOf, simple } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { fail, keyword, parseInt64 } from './args.js';
import { ERR_AUTH_NOT_CONFIGURED, ERR_DB_INDEX, ERR_NOPROTO, ERR_SYNTAX, ERR_WRONGPASS } from './errors.js';
import { validClientName } from './client.js';
import { endSubscriptions, inSubscribedMode } from './pubsub.js';
import { defineCommand } from './table.js';
import { aclOf, logDenial } from './acl-guard.js';
import { DEFAULT_USER } from '../acl/acl-store.js';
import type { CommandContext, CommandSpec } from './types.js';

/**
 * Checks credentials against the ACL users (AUTH pass is the default
 * user); on success the session runs as that user, on failure it stays as
 * it was and the attempt is logged (ACL LOG, reason auth).
 */
function authenticate(ctx: CommandContext, user: Buffer | undefined, pass: Buffer, command: 'auth' | 'hello'): void {
  const acl = aclOf(ctx);
  if (user === undefined && acl.store.defaultUser.nopass) fail(ERR_AUTH_NOT_CONFIGURED);
  const name = user === undefined ? DEFAULT_USER : user.toString();
  const found = acl.store.authenticate(name, pass);
  if (!found) {
    // Redis logs the command name as the client typed it.
    logDenial(ctx, 'auth', ctx.session.currentArgv?.[0]?.toString() ?? command, name, 'toplevel');
    fail(ERR_WRONGPASS);
  }
  ctx.session.user = name;
  ctx.session.authenticated = true;
  // Assigned, not deleted: a session keeps one object shape on the hot path.
  ctx.session.aclUser = undefined;
  ctx.session.aclGeneration = undefined;
}

/** Whether a new or reset connection starts authenticated: the default user is on and needs no password. */
export function startsAuthenticated(ctx: CommandContext): boolean {
  const d = aclOf(ctx).store.defaultUser;
  return d.enabled && d.nopass;
}

function helloReply(ctx: CommandContext): Reply {
  return mapOf([
    ['server', bulk('redis')],
    ['version', bulk(ctx.server.version)],
    ['proto', int(ctx.session.protocol)],
    ['id', int(ctx.session.id)],
    ['mode', bulk('standalone')],
    ['role', bulk('master')],
    ['modules', array([])],
  ]);
}

function hello(ctx: CommandContext, args: readonly Buffer[]): Reply {
  let protocol: 2 | 3 | undefined;
  let i = 0;
  if (args.length > 0) {
    const v = parseInt64(args[0]!, 'ERR Protocol version is not an integer or out of range');
    if (v !== 2n && v !== 3n) fail(ERR_NOPROTO);
    protocol = Number(v) as 2 | 3;
    i = 1;
  }
  let name: string | undefined;
  let credentials: [Buffer, Buffer] | undefined;
  // Every option is checked before AUTH runs, as in Redis: a bad option or
  // name fails the whole HELLO and leaves the session as it was.
  for (; i < args.length; i++) {
    const opt = keyword(args[i]!);
    const left = args.length - i - 1;
    if (opt === 'AUTH' && left >= 2) {
      credentials = [args[i + 1]!, args[i + 2]!];
      i += 2;
    } else if (opt === 'SETNAME' && left >= 1) {
      name = args[i + 1]!.toString();
      if (!validClientName(name)) fail('ERR Client names cannot contain spaces, newlines or special characters.');
      i += 1;
    } else {
      return error(`ERR Syntax error in HELLO option '${args[i]!.toString()}'`);
    }
  }
  if (credentials) authenticate(ctx, credentials[0], credentials[1], 'hello');
  if (!ctx.session.authenticated) {
    return error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
  }
  if (name !== undefined) ctx.session.name = name;
  if (protocol !== undefined) ctx.session.protocol = protocol;
  return helloReply(ctx);
}

export const connectionCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'ping',
    arity: -1,
    flags: ['fast', 'sentinel'],
    categories: ['fast', 'connection'],
    summary: 'Returns the server\'s liveliness response.',
    group: 'connection',
    handler: (ctx, args) => {
      if (args.length > 1) return error("ERR wrong number of arguments for 'ping' command");
      // Subscribed in RESP2: 'pong' and the argument as an array, as Redis answers there.
      if (inSubscribedMode(ctx.session)) return array([bulk('pong'), bulk(args[0] ?? '')]);
      return args.length === 1 ? bulk(args[0]!) : simple('PONG');
    },
  }),
  defineCommand({
    name: 'echo',
    arity: 2,
    flags: ['fast'],
    categories: ['fast', 'connection'],
    summary: 'Returns the given string.',
    group: 'connection',
    handler: (_ctx, args) => bulk(args[0]!),
  }),
  defineCommand({
    name: 'quit',
    arity: -1,
    flags: ['allow_busy', 'noscript', 'loading', 'stale', 'fast', 'no_auth'],
    categories: ['fast', 'connection'],
    summary: 'Closes the connection.',
    group: 'connection',
    handler: (ctx) => {
      ctx.session.closeAfterReply = true;
      return OK;
    },
  }),
  defineCommand({
    name: 'auth',
    arity: -2,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'sentinel', 'allow_busy'],
    categories: ['fast', 'connection'],
    summary: 'Authenticates the connection.',
    since: '1.0.0',
    group: 'connection',
    handler: (ctx, args) => {
      if (args.length > 2) return error(ERR_SYNTAX);
      if (args.length === 2) authenticate(ctx, args[0]!, args[1]!, 'auth');
      else authenticate(ctx, undefined, args[0]!, 'auth');
      return OK;
    },
  }),
  defineCommand({
    name: 'hello',
    arity: -1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'sentinel', 'allow_busy'],
    categories: ['fast', 'connection'],
    summary: 'Handshakes with the server.',
    since: '6.0.0',
    group: 'connection',
    handler: hello,
  }),
  defineCommand({
    name: 'select',
    arity: 2,
    flags: ['loading', 'stale', 'fast'],
    categories: ['fast', 'connection'],
    summary: 'Changes the selected database.',
    group: 'connection',
    handler: (_ctx, args) => {
      const db = parseInt64(args[0]!);
      // One keyspace per cluster: database 0 only, as Redis Cluster does.
      return db === 0n ? OK : error(ERR_DB_INDEX);
    },
  }),
  defineCommand({
    name: 'reset',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    categories: ['fast', 'connection'],
    summary: 'Resets the connection.',
    since: '6.2.0',
    group: 'connection',
    handler: (ctx) => {
      ctx.session.protocol = 2;
      ctx.session.name = '';
      ctx.session.user = undefined;
      ctx.session.aclUser = undefined;
      ctx.session.aclGeneration = undefined;
      ctx.session.authenticated = startsAuthenticated(ctx);
      // Discards a transaction being queued and forgets watched keys, as in Redis.
      delete ctx.session.transaction;
      endSubscriptions(ctx);
      return simple('RESET');
    },
  }),
];
