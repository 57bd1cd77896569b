import { bulk, int } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { fail, parseInt64 } from './args.js';
import { ERR_OFFSET_RANGE, ERR_STRING_TOO_LONG, ERR_VALUE_TOO_LARGE } from './errors.js';
import type { CommandContext, CommandSpec } from './types.js';
import { EMPTY, checkKey, checkValue, keep, lookedUp, store, visible } from './write-helpers.js';

/**
 * Byte ranges of a string: APPEND, STRLEN, GETRANGE, SETRANGE. Writes keep
 * the key's expiry. Result sizes are checked before any buffer is allocated:
 * first Redis's 512MB proto-max-bulk-len, then this node's max-value-bytes.
 */
const PROTO_MAX_BULK_LEN = 512 * 1024 * 1024;

function checkResultLength(ctx: CommandContext, length: bigint): void {
  if (length > BigInt(PROTO_MAX_BULK_LEN)) fail(ERR_STRING_TOO_LONG);
  if (length > BigInt(ctx.limits.maxValueBytes)) fail(ERR_VALUE_TOO_LARGE(ctx.limits.maxValueBytes));
}

async function append(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const [key, tail] = args as [Buffer, Buffer];
  checkKey(ctx, key);
  checkValue(ctx, tail);
  const length = await ctx.kv.update(key, (cur) => {
    const s = visible(ctx, cur);
    if (!s) return store(ctx, tail, 0, tail.length);
    checkResultLength(ctx, BigInt(s.value.length + tail.length));
    const value = Buffer.concat([s.value, tail]);
    return store(ctx, value, s.expireAt, value.length);
  });
  ctx.keyspace?.notify('string', 'append', key);
  return int(length);
}

async function strlen(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  return int(lookedUp(ctx, visible(ctx, await ctx.kv.read(args[0]!)))?.value.length ?? 0);
}

/** GETRANGE key start end: inclusive, negative indexes count from the end, out-of-range clamps. */
async function getrange(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  let start = parseInt64(args[1]!);
  let end = parseInt64(args[2]!);
  const value = lookedUp(ctx, visible(ctx, await ctx.kv.read(args[0]!)))?.value ?? EMPTY;
  const len = BigInt(value.length);
  if (start < 0n && end < 0n && start > end) return bulk(EMPTY);
  if (start < 0n) start += len;
  if (end < 0n) end += len;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= len) end = len - 1n;
  if (start > end || len === 0n) return bulk(EMPTY);
  return bulk(value.subarray(Number(start), Number(end) + 1));
}

/** SETRANGE key offset value: overwrites from offset, padding with zero bytes; the new length. */
async function setrange(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const [key, offsetArg, patch] = args as [Buffer, Buffer, Buffer];
  const offset = parseInt64(offsetArg);
  if (offset < 0n) fail(ERR_OFFSET_RANGE);
  checkKey(ctx, key);
  const length = await ctx.kv.update(key, (cur) => {
    const s = visible(ctx, cur);
    const old = s?.value ?? EMPTY;
    // Writing nothing changes nothing, and creates no key.
    if (patch.length === 0) return keep(old.length);
    const needed = offset + BigInt(patch.length);
    checkResultLength(ctx, needed);
    const value = Buffer.alloc(Math.max(old.length, Number(needed)));
    old.copy(value);
    patch.copy(value, Number(offset));
    return store(ctx, value, s?.expireAt ?? 0, value.length);
  });
  if (patch.length > 0) ctx.keyspace?.notify('string', 'setrange', key);
  return int(length);
}

function spec(name: string, arity: number, flags: string[], categories: string[], summary: string, since: string, handler: CommandSpec['handler']): CommandSpec {
  return { name, arity, flags, firstKey: 1, lastKey: 1, step: 1, categories, summary, since, group: 'string', handler };
}

export const stringRangeCommands: readonly CommandSpec[] = [
  spec('append', 3, ['write', 'denyoom', 'fast'], ['write', 'string', 'fast'], 'Append a value to a key', '2.0.0', append),
  spec('strlen', 2, ['readonly', 'fast'], ['read', 'string', 'fast'], 'Get the length of the value stored in a key', '2.2.0', strlen),
  spec('getrange', 4, ['readonly'], ['read', 'string', 'slow'], 'Get a substring of the string stored at a key', '2.4.0', getrange),
  spec(
    'setrange',
    4,
    ['write', 'denyoom'],
    ['write', 'string', 'slow'],
    'Overwrite part of a string at key starting at the specified offset',
    '2.2.0',
    setrange,
  ),
];
