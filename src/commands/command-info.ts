import { NULL, array, bulk, error, int, map, mapOf, set, simple } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { globMatchText } from '../core/glob.js';
import { fail, keyword } from './args.js';
import { ERR_SYNTAX } from './errors.js';
import { commandKeys, containerHandler, defineCommand } from './table.js';
import type { CommandContext, CommandSpec } from './types.js';

/** One COMMAND INFO entry, shaped as Redis 7 replies it. */
function infoEntry(spec: CommandSpec, fullName: string): Reply {
  return array([
    bulk(fullName),
    int(spec.arity),
    set(spec.flags.map((f) => simple(f))),
    int(spec.firstKey),
    int(spec.lastKey),
    int(spec.step),
    set(spec.categories.map((c) => simple(`@${c}`))),
    array([]),
    array([]),
    array((spec.subcommands ?? []).map((s) => infoEntry(s, `${fullName}|${s.name}`))),
  ]);
}

function docsEntry(spec: CommandSpec, fullName: string): Reply {
  const fields: Array<readonly [string, Reply]> = [
    ['summary', bulk(spec.summary)],
    ['since', bulk(spec.since)],
    ['group', bulk(spec.group)],
  ];
  if (spec.subcommands?.length) {
    fields.push(['subcommands', map(spec.subcommands.map((s) => [bulk(`${fullName}|${s.name}`), docsEntry(s, `${fullName}|${s.name}`)] as const))]);
  }
  return mapOf(fields);
}

function lookupFull(ctx: CommandContext, name: string): CommandSpec | undefined {
  const [top, sub] = name.toLowerCase().split('|');
  const spec = ctx.table.lookup(top!);
  if (sub === undefined) return spec;
  return spec?.subcommands?.find((s) => s.name === sub);
}

/** COMMAND LIST: every command and subcommand by full name ('client|setname'), as Redis lists them. */
function list(ctx: CommandContext, args: readonly Buffer[]): Reply {
  let entries = ctx.table.all().flatMap((s) => [
    { spec: s, fullName: s.name },
    ...(s.subcommands ?? []).map((sub) => ({ spec: sub, fullName: `${s.name}|${sub.name}` })),
  ]);
  if (args.length > 0) {
    if (args.length !== 3 || keyword(args[0]!) !== 'FILTERBY') fail(ERR_SYNTAX);
    const by = keyword(args[1]!);
    const value = args[2]!.toString();
    if (by === 'ACLCAT') entries = entries.filter((e) => e.spec.categories.includes(value.toLowerCase()));
    else if (by === 'MODULE') entries = [];
    else if (by === 'PATTERN') entries = entries.filter((e) => globMatchText(value, e.fullName));
    else fail(ERR_SYNTAX);
  }
  return array(entries.map((e) => bulk(e.fullName)));
}

/** COMMAND GETKEYS, with Redis's checks in Redis's order: known command, has keys, arity. */
function getKeys(ctx: CommandContext, args: readonly Buffer[]): Reply {
  const top = ctx.table.lookup(args[0]!.toString('latin1').toLowerCase());
  const subName = args.length > 1 ? args[1]!.toString('latin1').toLowerCase() : undefined;
  const spec = top?.subcommands && subName !== undefined ? top.subcommands.find((s) => s.name === subName) : top;
  if (!spec) return error('ERR Invalid command specified');
  const keys = commandKeys(spec, args);
  if (!keys) return error('ERR The command has no key arguments');
  if (spec.arity >= 0 ? args.length !== spec.arity : args.length < -spec.arity) {
    return error('ERR Invalid number of arguments specified for command');
  }
  return array(keys.map((k) => bulk(k)));
}

const sub = (spec: Parameters<typeof defineCommand>[0]): CommandSpec =>
  defineCommand({ flags: ['loading', 'stale'], categories: ['slow', 'connection'], group: 'server', since: '7.0.0', ...spec });

export const commandCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'command',
    arity: -1,
    flags: ['loading', 'stale'],
    categories: ['slow', 'connection'],
    summary: 'Returns detailed information about all commands.',
    since: '2.8.13',
    group: 'server',
    handler: (ctx, args) => (args.length === 0 ? array(ctx.table.all().map((s) => infoEntry(s, s.name))) : containerHandler()),
    subcommands: [
      sub({ name: 'count', arity: 2, summary: 'Returns a count of commands.', since: '2.8.13', handler: (ctx) => int(ctx.table.all().length) }),
      sub({
        name: 'info',
        arity: -2,
        summary: 'Returns information about one, multiple or all commands.',
        since: '2.8.13',
        handler: (ctx, args) => {
          const names = args.length ? args.map((a) => a.toString()) : ctx.table.all().map((s) => s.name);
          return array(
            names.map((n) => {
              const spec = lookupFull(ctx, n);
              return spec ? infoEntry(spec, n.toLowerCase()) : NULL;
            }),
          );
        },
      }),
      sub({
        name: 'docs',
        arity: -2,
        summary: 'Returns documentary information about one, multiple or all commands.',
        handler: (ctx, args) => {
          const names = args.length ? args.map((a) => a.toString().toLowerCase()) : ctx.table.all().map((s) => s.name);
          const entries: Array<readonly [Reply, Reply]> = [];
          for (const n of names) {
            const spec = lookupFull(ctx, n);
            if (spec) entries.push([bulk(n), docsEntry(spec, n)]);
          }
          return map(entries);
        },
      }),
      sub({ name: 'list', arity: -2, summary: 'Returns a list of command names.', handler: list }),
      sub({
        name: 'getkeys',
        arity: -3,
        summary: 'Extracts the key names from an arbitrary command.',
        since: '2.8.13',
        handler: getKeys,
      }),
      sub({
        name: 'help',
        arity: 2,
        summary: 'Returns helpful text about the different subcommands.',
        since: '5.0.0',
        handler: () =>
          array(
            [
              'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
              '(no subcommand)',
              '    Return details about all commands.',
              'COUNT',
              '    Return the total number of commands in this server.',
              'LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]',
              '    Return a list of all commands in this server.',
              'INFO [<command-name> ...]',
              '    Return details about multiple commands.',
              'DOCS [<command-name> ...]',
              '    Return documentation details about multiple commands.',
              'GETKEYS <full-command>',
              '    Return the keys from a full command.',
              'HELP',
              '    Print this help.',
            ].map((l) => simple(l)),
          ),
      }),
    ],
  }),
];
