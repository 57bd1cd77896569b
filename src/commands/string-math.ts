import { bulk, int } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { counterValue } from '../versioning/counter-view.js';
import { fail, parseInt64 } from './args.js';
import { ERR_DECR_OVERFLOW, ERR_INCR_NAN, ERR_NOT_FLOAT } from './errors.js';
import { addLongDouble, formatLongDouble, parseLongDouble } from './long-double.js';
import type { LongDouble } from './long-double.js';
import type { CommandContext, CommandSpec } from './types.js';
import { EMPTY, LOCAL, checkKey, checkValue, store, visible } from './write-helpers.js';

/**
 * INCR, DECR, INCRBY and DECRBY: counters that merge. The coordinating
 * replica adds the increment to the counter it holds (a per-actor
 * PN-counter, versioning/counter.ts), so increments through several nodes
 * at once are all counted rather than refused. A missing key counts from 0,
 * an integer string from its value; the key's expiry is kept, as Redis
 * keeps it. The reply is the total the coordinating replica holds after
 * the increment (increments still on their way from other nodes are not in
 * it yet). INCRBYFLOAT stays a conditional read-modify-write of the text.
 */
const INT64_MIN = -(2n ** 63n);

async function incrBy(ctx: CommandContext, key: Buffer, delta: bigint): Promise<Reply> {
  checkKey(ctx, key);
  const obj = await ctx.kv.write(key, { value: EMPTY, tombstone: false, expireAt: 0, supersedes: LOCAL, counterDelta: delta });
  ctx.keyspace?.notify('string', 'incrby', key);
  return int(counterValue(obj) ?? 0n);
}

async function incr(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  return incrBy(ctx, args[0]!, 1n);
}

async function decr(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  return incrBy(ctx, args[0]!, -1n);
}

async function incrby(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  return incrBy(ctx, args[0]!, parseInt64(args[1]!));
}

async function decrby(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const by = parseInt64(args[1]!);
  // Its negation does not fit an int64.
  if (by === INT64_MIN) fail(ERR_DECR_OVERFLOW);
  return incrBy(ctx, args[0]!, -by);
}

/**
 * INCRBYFLOAT in Redis's 80-bit long double arithmetic, so results and their
 * text match Redis exactly (see long-double.ts). The stored value and the
 * increment are both parsed as strtold would; the result is stored as text.
 */
async function incrbyfloat(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const key = args[0]!;
  const by = parseLongDouble(args[1]!);
  if (!by) fail(ERR_NOT_FLOAT);
  checkKey(ctx, key);
  const text = await ctx.kv.update(key, (cur) => {
    const s = visible(ctx, cur);
    let value: LongDouble | undefined = { neg: false, mant: 0n, exp: 0, infinite: false };
    if (s) value = parseLongDouble(s.value);
    if (!value) fail(ERR_NOT_FLOAT);
    const sum = addLongDouble(value, by);
    if (!sum) fail(ERR_INCR_NAN);
    const out = Buffer.from(formatLongDouble(sum), 'latin1');
    checkValue(ctx, out);
    return store(ctx, out, s?.expireAt ?? 0, out);
  });
  ctx.keyspace?.notify('string', 'incrbyfloat', key);
  return bulk(text);
}

const WRITE_FAST = ['write', 'denyoom', 'fast'];
const CATEGORIES = ['write', 'string', 'fast'];

function spec(name: string, arity: number, summary: string, since: string, handler: CommandSpec['handler']): CommandSpec {
  return { name, arity, flags: WRITE_FAST, firstKey: 1, lastKey: 1, step: 1, categories: CATEGORIES, summary, since, group: 'string', handler };
}

export const stringMathCommands: readonly CommandSpec[] = [
  spec('incr', 2, 'Increment the integer value of a key by one', '1.0.0', incr),
  spec('decr', 2, 'Decrement the integer value of a key by one', '1.0.0', decr),
  spec('incrby', 3, 'Increment the integer value of a key by the given amount', '1.0.0', incrby),
  spec('decrby', 3, 'Decrement the integer value of a key by the given number', '1.0.0', decrby),
  spec('incrbyfloat', 3, 'Increment the float value of a key by the given amount', '2.6.0', incrbyfloat),
];
