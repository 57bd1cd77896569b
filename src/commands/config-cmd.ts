import { OK, array, bulk, error, map, simple } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { fail } from './args.js';
import { globMatch } from './glob.js';
import { containerHandler, defineCommand } from './table.js';
import type { CommandContext, CommandSpec, ConfigParam } from './types.js';

function configGet(ctx: CommandContext, args: readonly Buffer[]): Reply {
  const params = ctx.server.config();
  const seen = new Set<string>();
  const entries: Array<readonly [Reply, Reply]> = [];
  for (const pattern of args) {
    const lower = Buffer.from(pattern.toString().toLowerCase());
    for (const p of params) {
      if (seen.has(p.name) || !globMatch(lower, Buffer.from(p.name))) continue;
      seen.add(p.name);
      entries.push([bulk(p.name), bulk(p.get())]);
    }
  }
  return map(entries);
}

/** CONFIG SET name value [name value ...]: all or nothing, as in Redis 7. */
function configSet(ctx: CommandContext, args: readonly Buffer[]): Reply {
  if (args.length % 2 !== 0) fail("ERR wrong number of arguments for 'config|set' command");
  const params = new Map<string, ConfigParam>(ctx.server.config().map((p) => [p.name, p]));
  const changes: Array<[ConfigParam, string]> = [];
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!.toString().toLowerCase();
    const param = params.get(name);
    if (!param?.set) return error(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (changes.some(([p]) => p === param)) return error(`ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`);
    changes.push([param, args[i + 1]!.toString()]);
  }
  const previous = changes.map(([p]) => [p, p.get()] as const);
  try {
    for (const [p, v] of changes) p.set!(v);
  } catch (e) {
    // Roll back what was already applied, then report the failure.
    for (const [p, v] of previous) p.set!(v);
    throw e;
  }
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
      sub({ name: 'resetstat', arity: 2, summary: 'Resets the server\'s statistics.', handler: () => OK }),
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
