import { OK, array, bulk, int, simple } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { fail, parseSafeInt } from './args.js';
import { containerHandler, defineCommand } from './table.js';
import type { CommandContext, CommandSpec, SlowLogView } from './types.js';

/** A node without a slow log (command tests) answers as an empty one. */
const EMPTY_LOG: SlowLogView = { entries: () => [], length: 0, reset: () => undefined };

function slowlogOf(ctx: CommandContext): SlowLogView {
  return ctx.server.slowlog ?? EMPTY_LOG;
}

/** SLOWLOG GET [count]: newest first; count -1 for all, 10 by default, as in Redis. */
function slowlogGet(ctx: CommandContext, args: readonly Buffer[]): Reply {
  const count = args.length === 0 ? 10 : parseSafeInt(args[0]!);
  if (count < -1) fail('ERR count should be greater than or equal to -1');
  return array(
    slowlogOf(ctx)
      .entries(count)
      .map((e) => array([int(e.id), int(e.time), int(e.usec), array(e.args.map((a) => bulk(a))), bulk(e.addr), bulk(e.clientName)])),
  );
}

const sub = (spec: Parameters<typeof defineCommand>[0]): CommandSpec =>
  defineCommand({ flags: ['admin', 'loading', 'stale'], categories: ['admin', 'slow', 'dangerous'], group: 'server', since: '2.2.12', ...spec });

export const slowlogCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'slowlog',
    arity: -2,
    categories: ['slow'],
    summary: 'A container for slow log commands.',
    since: '2.2.12',
    group: 'server',
    handler: containerHandler,
    subcommands: [
      sub({ name: 'get', arity: -2, summary: 'Returns the slow log\'s entries.', handler: slowlogGet }),
      sub({ name: 'len', arity: 2, summary: 'Returns the number of entries in the slow log.', handler: (ctx) => int(slowlogOf(ctx).length) }),
      sub({
        name: 'reset',
        arity: 2,
        summary: 'Clears all entries from the slow log.',
        handler: (ctx) => {
          slowlogOf(ctx).reset();
          return OK;
        },
      }),
      sub({
        name: 'help',
        arity: 2,
        summary: 'Show helpful text about the different subcommands',
        since: '6.2.0',
        flags: ['loading', 'stale'],
        categories: ['slow'],
        handler: () =>
          array(
            [
              'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
              'GET [<count>]',
              '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
              '    Entries are made of:',
              '    id, timestamp, time in microseconds, arguments array, client IP and port,',
              '    client name',
              'LEN',
              '    Return the length of the slowlog.',
              'RESET',
              '    Reset the slowlog.',
              'HELP',
              '    Print this help.',
            ].map((l) => simple(l)),
          ),
      }),
    ],
  }),
];
