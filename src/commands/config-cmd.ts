import { OK, array, bulk, error, map, simple } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { fail } from './args.js';
import { globMatchText } from '../core/glob.js';
import { containerHandler, defineCommand } from './table.js';
import type { CommandContext, CommandSpec } from './types.js';

function configGet(ctx: CommandContext, args: readonly Buffer[]): Reply {
  const params = ctx.server.config();
  const seen = new Set<string>();
  const entries: Array<readonly [Reply, Reply]> = [];
  for (const pattern of args) {
    for (const p of params) {
      if (seen.has(p.name) || !globMatchText(pattern.toString(), p.name)) continue;
      seen.add(p.name);
      entries.push([bulk(p.name), bulk(p.get())]);
    }
  }
  return map(entries);
}

/** CONFIG SET name value [name value ...]: all or nothing, as in Redis 7. */
function configSet(ctx: CommandContext, args: readonly Buffer[]): Reply {
  if (args.length % 2 !== 0) fail("ERR wrong number of arguments for 'config|set' command");
  const pairs: Array<readonly [string, string]> = [];
  for (let i = 0; i < args.length; i += 2) pairs.push([args[i]!.toString(), args[i + 1]!.toString()]);
  ctx.server.configSet(pairs);
  return OK;
}

const sub = (spec: Parameters<typeof defineCommand>[0]): CommandSpec =>
  defineCommand({ flags: ['admin', 'noscript', 'loading', 'stale'], categories: ['admin', 'slow', 'dangerous'], group: 'server', since: '2.0.0', ...spec });

export const configCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'config',
    arity: -2,
    categories: ['slow'],
    summary: 'A container for server configuration commands.',
    since: '2.0.0',
    group: 'server',
    handler: containerHandler,
    subcommands: [
      sub({ name: 'get', arity: -3, summary: 'Returns the effective values of configuration parameters.', handler: configGet }),
      sub({ name: 'set', arity: -4, summary: 'Sets configuration parameters in-flight.', handler: configSet }),
      sub({
        name: 'resetstat',
        arity: 2,
        summary: 'Resets the server\'s statistics.',
        handler: (ctx) => {
          ctx.server.resetStats?.();
          return OK;
        },
      }),
      sub({
        name: 'rewrite',
        arity: 2,
        summary: 'Persists the effective configuration to file.',
        handler: () => error('ERR CONFIG REWRITE is not supported: settings come from flags, environment and the config file; change them there'),
      }),
      sub({
        name: 'help',
        arity: 2,
        summary: 'Returns helpful text about the different subcommands.',
        since: '5.0.0',
        handler: () =>
          array(
            [
              'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
              'GET <pattern>',
              '    Return parameters matching the glob-like <pattern> and their values.',
              'SET <directive> <value>',
              '    Set the configuration <directive> to <value>.',
              'RESETSTAT',
              '    Reset statistics reported by the INFO command.',
              'HELP',
              '    Print this help.',
            ].map((l) => simple(l)),
          ),
      }),
    ],
  }),
];
