import t from 'tap';
import { makeHarness, plain } from '../support/command-harness.js';
import { scriptingCommands } from '../../src/commands/scripting.js';
import { defineCommand } from '../../src/commands/table.js';
import { QkvError } from '../../src/core/errors.js';
import { error } from '../../resp/reply.js';
import type { CommandContext, CommandSpec, ClusterView } from '../../src/commands/types.js';

/**
 * EVAL and SCRIPT as commands, on the in-memory harness (no node: the
 * command layer makes its own Lua state): compile errors, handlers that
 * throw inside redis.call, and the one-replica-set rule with hash tags.
 */

const thrower = (name: string, e: unknown): CommandSpec =>
  defineCommand({
    name,
    arity: 1,
    handler: () => {
      throw e;
    },
  });

function harness(cluster?: ClusterView): { ctx: CommandContext; call: (...args: string[]) => Promise<unknown> } {
  const h = makeHarness();
  const specs = new Map<string, CommandSpec>();
  for (const s of [...h.ctx.table.all(), ...scriptingCommands, thrower('throwsqkv', new QkvError('TIMEOUT', 'too slow')), thrower('throwsplain', new Error('bad'))]) specs.set(s.name, s);
  specs.set('rejects', defineCommand({ name: 'rejects', arity: 1, handler: () => Promise.reject(new Error('later')) }));
  const ctx: CommandContext = { ...h.ctx, table: { lookup: (n) => specs.get(n), all: () => [...specs.values()] }, server: { ...h.ctx.server, ...(cluster ? { cluster } : {}) } };
  const call = async (...args: string[]): Promise<unknown> => {
    const spec = specs.get(args[0]!.toLowerCase())!;
    const sub = spec.subcommands?.find((s) => s.name === args[1]?.toLowerCase());
    try {
      return plain(await (sub ?? spec).handler(ctx, args.slice(sub ? 2 : 1).map((a) => Buffer.from(a))));
    } catch (e) {
      return plain(error((e as QkvError).toReplyText()));
    }
  };
  return { ctx, call };
}

t.test('compile errors, from EVAL and SCRIPT LOAD', async (t) => {
  const { call } = harness();
  t.match(await call('EVAL', 'return +', '0'), { error: /^ERR Error compiling script \(new function\): user_script:1: unexpected symbol near/ });
  t.match(await call('SCRIPT', 'LOAD', 'if then'), { error: /^ERR Error compiling script \(new function\): user_script:1:/ });
  t.same(await call('SCRIPT', 'EXISTS', 'abc'), [0]);
  const help = (await call('SCRIPT', 'HELP')) as string[];
  t.equal(help[0], 'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
  t.ok(help.includes('KILL') && !help.some((l) => l.startsWith('DEBUG')), 'no DEBUG: there is no script debugger');
});

t.test('handlers that throw inside redis.call become error replies', async (t) => {
  const { call } = harness();
  t.same(await call('EVAL', "return redis.pcall('throwsqkv')", '0'), { error: 'TIMEOUT too slow' });
  t.same(await call('EVAL', "return redis.pcall('throwsplain')", '0'), { error: 'ERR bad' });
  t.same(await call('EVAL', "return redis.pcall('rejects')", '0'), { error: 'ERR later' });
  t.same(await call('EVAL', "return redis.call('SET', KEYS[1], 'v')", '1', 'k'), 'OK', 'the harness has no node: scripting is made on demand');
  t.same(await call('EVAL', "redis.log(redis.LOG_WARNING, 'into the void')", '0'), null, 'redis.log without a node log writes nowhere');
});

t.test('keys on different replica sets are refused unless they share a hash tag', async (t) => {
  const view = {
    self: 'a',
    members: () => [],
    replicasOf: (key: Buffer) => (key.toString().includes('{t}') || key.toString() === 'x' ? ['a', 'b'] : ['b', 'c']),
    hints: () => ({}),
    repair: () => ({}),
  } as ClusterView;
  const { call } = harness(view);
  t.same(await call('EVAL', 'return 1', '2', 'x', 'y'), {
    error: "CROSSSLOT Keys in request don't hash to the same slot: 'x' and 'y' live on different replica sets (give them a common hash tag, e.g. {user42}:a and {user42}:b)",
  });
  t.same(await call('EVAL', 'return #KEYS', '2', '{t}:a', '{t}:b'), 2);
  t.same(await call('EVAL', 'return #KEYS', '1', 'y'), 1);
});

t.test("a shebang names the engine and the script's flags; no-writes makes the script read-only", async (t) => {
  const { call } = harness();
  t.same(await call('EVAL', '#!not-lua\nreturn 1', '0'), { error: 'ERR Unexpected engine in script shebang: #!not-lua' });
  t.same(await call('EVAL', '#! lua\nreturn 1', '0'), { error: 'ERR Unexpected engine in script shebang: #!' });
  t.same(await call('EVAL', '#!lua badger=data\nreturn 1', '0'), { error: 'ERR Unknown lua shebang option: badger=data' });
  t.same(await call('EVAL', '#!lua flags=allow-oom,what?\nreturn 1', '0'), { error: 'ERR Unexpected flag in script shebang: what?' });
  t.same(await call('SCRIPT', 'LOAD', '#!lua'), { error: 'ERR Invalid script shebang' });
  t.same(await call('EVAL', '#!lua\nreturn 1', '0'), 1);
  t.same(await call('EVAL', '#!lua flags=\nreturn 2', '0'), 2);
  t.same(await call('EVAL', '#!lua flags=allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 3', '0'), 3);
  t.match(await call('EVAL', '#!lua\nerror("x")', '0'), { error: /^ERR user_script:2: x script: [0-9a-f]{40}, on @user_script:2\.$/ }, 'lines count from the shebang');
  const readOnly = '#!lua flags=no-writes\nreturn redis.call("set", KEYS[1], 1)';
  t.match(await call('EVAL', readOnly, '1', 'x'), { error: /^ERR Write commands are not allowed from read-only scripts\. script: / });
  const sha = (await call('SCRIPT', 'LOAD', readOnly)) as string;
  t.match(await call('EVALSHA', sha, '1', 'x'), { error: /^ERR Write commands are not allowed from read-only scripts\./ }, 'the flags stay with the cached script');
  t.same(await call('EVAL', '#!lua flags=no-writes\nreturn redis.call("get", KEYS[1])', '1', 'x'), null);
});
