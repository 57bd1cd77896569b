import { OK, array, bulk, verbatim } from '../../resp/reply.js';
import { defineCommand } from './table.js';
import type { CommandContext, CommandSpec } from './types.js';

/** Sections INFO prints with no argument ('default'), in Redis's order. */
const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'errorstats', 'cluster', 'keyspace', 'quorumkv'];

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** INFO [section ...]: 'all', 'default', 'everything' or section names, case-insensitive. */
export function renderInfo(ctx: CommandContext, args: readonly Buffer[]): string {
  const sections = ctx.server.info();
  const wanted = new Set(args.map((a) => a.toString().toLowerCase()));
  const everything = wanted.has('all') || wanted.has('everything');
  const defaults = wanted.size === 0 || wanted.has('default');
  const parts: string[] = [];
  for (const [name, fields] of sections) {
    const lower = name.toLowerCase();
    if (!everything && !wanted.has(lower) && !(defaults && DEFAULT_SECTIONS.includes(lower))) continue;
    const lines = [`# ${capitalise(name)}`, ...fields.map(([k, v]) => `${k}:${v}`)];
    parts.push(lines.join('\r\n') + '\r\n');
  }
  return parts.join('\r\n');
}

export const introspectionCommands: readonly CommandSpec[] = [
  defineCommand({
    name: 'info',
    arity: -1,
    flags: ['loading', 'stale'],
    categories: ['slow', 'dangerous'],
    summary: 'Returns information and statistics about the server.',
    group: 'server',
    handler: (ctx, args) => verbatim(renderInfo(ctx, args)),
  }),
  defineCommand({
    name: 'time',
    arity: 1,
    flags: ['loading', 'stale', 'fast'],
    categories: ['fast'],
    summary: 'Returns the server time.',
    since: '2.6.0',
    group: 'server',
    handler: (ctx: CommandContext) => {
      const ms = ctx.clock.now();
      const seconds = Math.floor(ms / 1000);
      const micros = Math.floor((ms - seconds * 1000) * 1000);
      return array([bulk(String(seconds)), bulk(String(micros))]);
    },
  }),
  defineCommand({
    name: 'lastsave',
    arity: 1,
    flags: ['loading', 'stale', 'fast'],
    categories: ['fast', 'admin', 'dangerous'],
    summary: 'Returns the Unix timestamp of the last successful save to disk.',
    group: 'server',
    // Every acknowledged write is in the WAL: the data is always saved.
    handler: (ctx) => ({ t: 'int', v: Math.floor(ctx.clock.now() / 1000) }),
  }),
  defineCommand({
    name: 'save',
    arity: 1,
    flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'],
    categories: ['slow', 'admin', 'dangerous'],
    summary: 'Synchronously saves the database(s) to disk.',
    group: 'server',
    // Every acknowledged write is already in the RocksDB write-ahead log; nothing to do.
    handler: () => OK,
  }),
];
