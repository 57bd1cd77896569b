import { NULL, OK, bulk, error, int, verbatim } from '../../resp/reply.js';
import { fail, keyword, parseInt64 } from './args.js';
import { ERR_SYNTAX } from './errors.js';
import { clientReply } from './client-reply.js';
import { containerHandler, defineCommand } from './table.js';
import type { ClientView, CommandContext, CommandSpec, Session } from './types.js';

const NAME_ERR = (what: string): string => `ERR ${what} cannot contain spaces, newlines or special characters.`;

/** Redis refuses names with characters outside '!'..'~' (no spaces or control characters); HELLO SETNAME too. */
export function validClientName(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 33 || c > 126) return false;
  }
  return true;
}

/** Client types Redis knows; a client here is PUBSUB while subscribed, else NORMAL (there are no replicas). */
const CLIENT_TYPES = ['NORMAL', 'MASTER', 'REPLICA', 'SLAVE', 'PUBSUB'];

function clientType(s: Session): string {
  return s.pubsub?.subscribed ? 'PUBSUB' : 'NORMAL';
}

/** One CLIENT LIST / CLIENT INFO line, in Redis's field order. */
export function clientLine(view: ClientView, now: number): string {
  const s = view.session;
  const fields: Array<[string, string | number]> = [
    ['id', s.id],
    ['addr', s.remoteAddress],
    ['laddr', s.localAddress],
    ['fd', -1],
    ['name', s.name],
    ['age', Math.max(0, Math.floor((now - s.createdAt) / 1000))],
    ['idle', view.idleSeconds],
    ['flags', s.pubsub?.subscribed ? 'P' : 'N'],
    ['db', 0],
    ['sub', s.pubsub?.channels.size ?? 0],
    ['psub', s.pubsub?.patterns.size ?? 0],
    ['ssub', s.pubsub?.shardChannels.size ?? 0],
    ['multi', -1],
    ['qbuf', view.queryBufferBytes],
    ['qbuf-free', 0],
    ['argv-mem', 0],
    ['multi-mem', 0],
    ['rbs', 0],
    ['rbp', 0],
    ['obl', 0],
    ['oll', 0],
    ['omem', view.outputBufferBytes],
    ['tot-mem', view.queryBufferBytes + view.outputBufferBytes],
    ['events', 'r'],
    ['cmd', s.lastCommand || 'NULL'],
    ['user', s.user ?? 'default'],
    ['redir', -1],
    ['resp', s.protocol],
    ['lib-name', s.libName],
    ['lib-ver', s.libVersion],
  ];
  return fields.map(([k, v]) => `${k}=${v}`).join(' ');
}

function listClients(ctx: CommandContext, args: readonly Buffer[]): string {
  let views = ctx.server.clients();
  for (let i = 0; i < args.length; i += 2) {
    const opt = keyword(args[i]!);
    if (i + 1 >= args.length) fail(ERR_SYNTAX);
    if (opt === 'TYPE') {
      const type = keyword(args[i + 1]!);
      if (!CLIENT_TYPES.includes(type)) {
        fail(`ERR Unknown client type '${args[i + 1]!.toString()}'`);
      }
      views = views.filter((v) => clientType(v.session) === type);
    } else if (opt === 'ID') {
      const ids = new Set(args.slice(i + 1).map((a) => Number(parseInt64(a, 'ERR Invalid client ID'))));
      views = views.filter((v) => ids.has(v.session.id));
      break;
    } else {
      fail(ERR_SYNTAX);
    }
  }
  const now = ctx.clock.now();
  return views.map((v) => clientLine(v, now) + '\n').join('');
}

function selfView(ctx: CommandContext): ClientView {
  return (
    ctx.server.clients().find((v) => v.session.id === ctx.session.id) ?? {
      session: ctx.session,
      idleSeconds: 0,
      queryBufferBytes: 0,
      outputBufferBytes: 0,
    }
  );
}

/** Redis's texts name the attribute as the client wrote it. */
function setInfo(session: Session, written: string, value: string): void {
  const attr = written.toUpperCase();
  if (attr !== 'LIB-NAME' && attr !== 'LIB-VER') fail(`ERR Unrecognized option '${written}'`);
  if (!validClientName(value)) fail(NAME_ERR(written));
  if (attr === 'LIB-NAME') session.libName = value;
  else session.libVersion = value;
}

/** Closes a client; the caller itself is closed once its reply is written, as Redis does. */
function killOne(ctx: CommandContext, id: number): boolean {
  if (id !== ctx.session.id) return ctx.server.killClient(id);
  ctx.session.closeAfterReply = true;
  return true;
}

function kill(ctx: CommandContext, args: readonly Buffer[]): ReturnType<typeof int> {
  // Old form: CLIENT KILL ip:port. New form: filters ID, ADDR, LADDR, TYPE, USER, SKIPME (every client is
  // one of the default user).
  if (args.length === 1) {
    const addr = args[0]!.toString();
    const view = ctx.server.clients().find((v) => v.session.remoteAddress === addr);
    if (!view) fail('ERR No such client');
    killOne(ctx, view.session.id);
    return OK;
  }
  if (args.length % 2 !== 0) fail(ERR_SYNTAX);
  let id: number | undefined;
  let addr: string | undefined;
  let laddr: string | undefined;
  let type: string | undefined;
  let skipMe = true;
  for (let i = 0; i < args.length; i += 2) {
    const opt = keyword(args[i]!);
    const val = args[i + 1]!;
    if (opt === 'ID') {
      const n = parseInt64(val, 'ERR client-id should be greater than 0');
      if (n < 1n) fail('ERR client-id should be greater than 0');
      id = Number(n);
    } else if (opt === 'ADDR') {
      addr = val.toString();
    } else if (opt === 'LADDR') {
      laddr = val.toString();
    } else if (opt === 'TYPE') {
      type = keyword(val);
      if (!CLIENT_TYPES.includes(type)) fail(`ERR Unknown client type '${val.toString()}'`);
    } else if (opt === 'USER') {
      if (val.toString() !== 'default') fail(`ERR No such user '${val.toString()}'`);
    } else if (opt === 'SKIPME') {
      const yesNo = keyword(val);
      if (yesNo !== 'YES' && yesNo !== 'NO') fail(ERR_SYNTAX);
      skipMe = yesNo === 'YES';
    } else {
      fail(ERR_SYNTAX);
    }
  }
  let killed = 0;
  for (const v of ctx.server.clients()) {
    if (type !== undefined && clientType(v.session) !== type) continue;
    if (id !== undefined && v.session.id !== id) continue;
    if (addr !== undefined && v.session.remoteAddress !== addr) continue;
    if (laddr !== undefined && v.session.localAddress !== laddr) continue;
    if (skipMe && v.session.id === ctx.session.id) continue;
    if (killOne(ctx, v.session.id)) killed++;
  }
  return int(killed);
}

const HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port> | KILL <option> <value> [<option> <value> ...]',
  '    Kill connections by address or ID (options ID, ADDR, LADDR, TYPE, USER, SKIPME).',
  'LIST [TYPE <type>] [ID <id> [<id> ...]]',
  '    Return information about client connections.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'SETINFO <LIB-NAME|LIB-VER> <value>',
  '    Set client library name and version.',
  'NO-EVICT <ON|OFF>, NO-TOUCH <ON|OFF>',
  '    Accepted for compatibility; they change nothing here.',
  'HELP',
  '    Print this help.',
];

const sub = (spec: Parameters<typeof defineCommand>[0]): CommandSpec =>
  defineCommand({ flags: ['noscript', 'loading', 'stale'], categories: ['slow', 'connection'], group: 'connection', ...spec });

const onOff = (_ctx: CommandContext, args: readonly Buffer[]) => {
  const v = keyword(args[0]!);
  return v === 'ON' || v === 'OFF' ? OK : error(ERR_SYNTAX);
};

export const clientCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'client',
    arity: -2,
    flags: ['sentinel'],
    categories: ['slow'],
    summary: 'A container for client connection commands.',
    since: '2.4.0',
    group: 'connection',
    handler: containerHandler,
    subcommands: [
      sub({ name: 'id', arity: 2, summary: 'Returns the unique client ID of the connection.', since: '5.0.0', handler: (ctx) => int(ctx.session.id) }),
      sub({
        name: 'getname',
        arity: 2,
        summary: 'Returns the name of the connection.',
        since: '2.6.9',
        handler: (ctx) => (ctx.session.name ? bulk(ctx.session.name) : NULL),
      }),
      sub({
        name: 'setname',
        arity: 3,
        summary: 'Sets the connection name.',
        since: '2.6.9',
        handler: (ctx, args) => {
          const name = args[0]!.toString();
          if (!validClientName(name) && name !== '') fail(NAME_ERR('Client names'));
          ctx.session.name = name;
          return OK;
        },
      }),
      sub({
        name: 'setinfo',
        arity: 4,
        summary: 'Sets information specific to the client or connection.',
        since: '7.2.0',
        handler: (ctx, args) => {
          setInfo(ctx.session, args[0]!.toString(), args[1]!.toString());
          return OK;
        },
      }),
      sub({
        name: 'list',
        arity: -2,
        summary: 'Lists open connections.',
        since: '2.4.0',
        handler: (ctx, args) => verbatim(listClients(ctx, args)),
      }),
      sub({
        name: 'info',
        arity: 2,
        summary: 'Returns information about the connection.',
        since: '6.2.0',
        handler: (ctx) => verbatim(clientLine(selfView(ctx), ctx.clock.now()) + '\n'),
      }),
      sub({ name: 'reply', arity: 3, summary: 'Instructs the server whether to reply to commands.', since: '3.2.0', handler: clientReply }),
      sub({ name: 'kill', arity: -3, summary: 'Terminates open connections.', since: '2.4.0', handler: kill }),
      sub({ name: 'no-evict', arity: 3, summary: 'Sets the client eviction mode of the connection.', since: '7.0.0', handler: onOff }),
      sub({ name: 'no-touch', arity: 3, summary: 'Controls whether commands sent by the client affect the LRU/LFU of accessed keys.', since: '7.2.0', handler: onOff }),
      sub({
        name: 'help',
        arity: 2,
        summary: 'Returns helpful text about the different subcommands.',
        since: '5.0.0',
        handler: () => ({ t: 'array', v: HELP.map((l) => ({ t: 'simple', v: l })) }),
      }),
    ],
  }),
];
