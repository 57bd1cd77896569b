import { OK, array, error, int, bulk, simple, type Reply } from '../../resp/reply.js';
import { Scripting, type LuaEngine } from '../scripting/index.js';
import { fail, parseSafeInt } from './args.js';
import { scriptHost } from './script-host.js';
import { defineCommand } from './table.js';
import type { KvApi } from '../coordinator/api.js';
import type { CommandContext, CommandSpec, RoutedScript, ServerApi } from './types.js';

export const ERR_NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';
export const ERR_NUMKEYS_NEGATIVE = "ERR Number of keys can't be negative";
export const ERR_NUMKEYS_TOO_MANY = "ERR Number of keys can't be greater than number of args";
export const ERR_CROSS_REPLICA_SET = (a: Buffer, b: Buffer): string =>
  `CROSSSLOT Keys in request don't hash to the same slot: '${a.toString('latin1')}' and '${b.toString('latin1')}' live on different replica sets (give them a common hash tag, e.g. {user42}:a and {user42}:b)`;

/** SCRIPT HELP as Redis 7.0 prints it, without DEBUG (no script debugger here). */
const SCRIPT_HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
  'HELP',
  '    Prints this help.',
];

/** Nodes wired without scripting (command tests) get one of their own. */
const fallback = new WeakMap<ServerApi, Scripting>();

export function scriptingOf(ctx: CommandContext): Scripting {
  if (ctx.server.scripts) return ctx.server.scripts;
  let s = fallback.get(ctx.server);
  if (!s) fallback.set(ctx.server, (s = new Scripting(() => 5000, () => performance.now())));
  return s;
}

/** EVAL's arguments after the script: numkeys, keys..., args..., checked with Redis's texts. */
function splitKeys(args: readonly Buffer[]): { keys: Buffer[]; argv: Buffer[] } {
  const numkeys = parseSafeInt(args[1]!);
  if (numkeys < 0) fail(ERR_NUMKEYS_NEGATIVE);
  if (numkeys > args.length - 2) fail(ERR_NUMKEYS_TOO_MANY);
  return { keys: args.slice(2, 2 + numkeys), argv: args.slice(2 + numkeys) };
}

/** A script's keys must share one replica set, so one coordinating replica serialises it (README, "How QuorumKV differs"). */
function checkOneReplicaSet(ctx: CommandContext, keys: readonly Buffer[]): void {
  const cluster = ctx.server.cluster;
  if (!cluster || keys.length < 2) return;
  const setOf = (k: Buffer): string => [...cluster.replicasOf(k)].sort().join(',');
  const first = setOf(keys[0]!);
  for (const k of keys.slice(1)) if (setOf(k) !== first) fail(ERR_CROSS_REPLICA_SET(keys[0]!, k));
}

async function runScript(ctx: CommandContext, args: readonly Buffer[], byBody: boolean, readOnly: boolean): Promise<Reply> {
  const { keys, argv } = splitKeys(args);
  checkOneReplicaSet(ctx, keys);
  const scripting = scriptingOf(ctx);
  const engine = await scripting.engine();
  let sha: string;
  if (byBody) {
    const loaded = engine.load(args[0]!);
    if ('error' in loaded) return error(loaded.error);
    sha = loaded.sha;
  } else {
    sha = args[0]!.toString('latin1').toLowerCase();
    if (!engine.has(sha)) return error(ERR_NOSCRIPT);
  }
  // In a cluster a script runs at its keys' first reachable replica, where scripts on those keys serialise.
  const router = ctx.server.scriptRouter;
  if (router && keys.length > 0) {
    const remote = await router.runAtHome({ body: engine.bodyOf(sha)!, keys, argv, readOnly, protocol: ctx.session.protocol, ...(ctx.session.user !== undefined ? { user: ctx.session.user } : {}) });
    if (remote) return remote;
  }
  return runCached(ctx, engine, sha, keys, argv, readOnly);
}

/** Runs a script another node sent here (ScriptRouter): compiled into this node's cache, then run as EVAL would. */
export async function runRoutedScript(ctx: CommandContext, script: RoutedScript): Promise<Reply> {
  const engine = await scriptingOf(ctx).engine();
  const loaded = engine.load(script.body);
  if ('error' in loaded) return error(loaded.error);
  return runCached(ctx, engine, loaded.sha, script.keys, script.argv, script.readOnly);
}

/**
 * Runs a cached script alone on its keys on this node (the script gate) and,
 * in a cluster, holding them at the coordinator, so writes forwarded by
 * other nodes wait for it too (coordinator/key-holds.ts).
 */
function runCached(ctx: CommandContext, engine: LuaEngine, sha: string, keys: readonly Buffer[], argv: readonly Buffer[], readOnly: boolean): Promise<Reply> {
  const scripting = scriptingOf(ctx);
  // A shebang's no-writes flag makes the script read-only, as EVAL_RO does.
  const noWrites = readOnly || engine.flagsOf(sha)!.has('no-writes');
  const run = (kv: KvApi): Promise<Reply> => engine.run(sha, keys, argv, scriptHost(kv === ctx.kv ? ctx : { ...ctx, kv }, noWrites, () => engine.running, scripting.log));
  // A script without KEYS may touch any key: it runs alone on the node.
  return scripting.gate.exclusive(ctx.session.id, keys.length > 0 ? keys : null, () =>
    keys.length > 0 && ctx.kv.holding ? ctx.kv.holding(keys, run) : run(ctx.kv),
  );
}

const evalSpec = (name: string, byBody: boolean, readOnly: boolean, since: string, summary: string): CommandSpec =>
  defineCommand({
    name,
    arity: -3,
    flags: ['noscript', 'stale', 'skip_monitor', 'no_mandatory_keys', 'movablekeys', ...(readOnly ? ['readonly'] : ['may_replicate'])],
    categories: ['slow', 'scripting'],
    summary,
    since,
    group: 'scripting',
    handler: (ctx, args) => runScript(ctx, args, byBody, readOnly),
  });

const scriptSub = (spec: Parameters<typeof defineCommand>[0]): CommandSpec =>
  defineCommand({ flags: ['noscript'], categories: ['slow', 'scripting'], group: 'scripting', since: '2.6.0', ...spec });

async function engineOf(ctx: CommandContext): Promise<LuaEngine> {
  return scriptingOf(ctx).engine();
}

export const scriptingCommands: readonly CommandSpec[] = [
  evalSpec('eval', true, false, '2.6.0', 'Executes a server-side Lua script.'),
  evalSpec('evalsha', false, false, '2.6.0', 'Executes a server-side Lua script by SHA1 digest.'),
  evalSpec('eval_ro', true, true, '7.0.0', 'Executes a read-only server-side Lua script.'),
  evalSpec('evalsha_ro', false, true, '7.0.0', 'Executes a read-only server-side Lua script by SHA1 digest.'),
  defineCommand({
    name: 'script',
    arity: -2,
    categories: ['slow'],
    summary: 'A container for Lua scripts management commands.',
    since: '2.6.0',
    group: 'scripting',
    handler: () => error('ERR missing subcommand'),
    subcommands: [
      scriptSub({
        name: 'load',
        arity: 3,
        flags: ['noscript', 'stale'],
        summary: 'Loads a server-side Lua script to the script cache.',
        handler: async (ctx, args) => {
          const loaded = (await engineOf(ctx)).load(args[0]!);
          return 'error' in loaded ? error(loaded.error) : bulk(loaded.sha);
        },
      }),
      scriptSub({
        name: 'exists',
        arity: -3,
        flags: ['noscript'],
        summary: 'Determines whether server-side Lua scripts exist in the script cache.',
        handler: (ctx, args) => {
          const engine = scriptingOf(ctx).current;
          return array(args.map((a) => int(engine?.has(a.toString('latin1').toLowerCase()) ? 1 : 0)));
        },
      }),
      scriptSub({
        name: 'flush',
        arity: -2,
        flags: ['noscript'],
        summary: 'Removes all server-side Lua scripts from the script cache.',
        handler: (ctx, args) => {
          if (args.length > 1) fail('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
          const mode = args[0]?.toString('latin1').toLowerCase();
          if (mode !== undefined && mode !== 'sync' && mode !== 'async') fail('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
          scriptingOf(ctx).current?.flush();
          return OK;
        },
      }),
      scriptSub({
        name: 'kill',
        arity: 2,
        flags: ['noscript', 'allow_busy'],
        summary: 'Terminates a server-side Lua script during execution.',
        handler: (ctx) => {
          // Scripts on different keys may be in progress together: every one that has not written is stopped.
          const runs = scriptingOf(ctx).current?.inProgress ?? [];
          if (runs.length === 0) return error('NOTBUSY No scripts in execution right now.');
          const killable = runs.filter((r) => !r.wrote);
          if (killable.length === 0)
            return error(
              'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.',
            );
          for (const r of killable) r.killed = true;
          return OK;
        },
      }),
      scriptSub({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        summary: 'Returns helpful text about the different subcommands.',
        since: '5.0.0',
        handler: () => array(SCRIPT_HELP.map((l) => simple(l))),
      }),
    ],
  }),
];
