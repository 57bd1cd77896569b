import { QkvError } from '../core/errors.js';
import { NULL, OK, array, bulk, bulkOrNull, int, map } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { fieldValue, type OpReply } from '../versioning/collection-ops.js';
import type { DotMapState } from '../versioning/dot-map.js';
import { resolveVisible } from '../versioning/counter-view.js';
import { fail, keyword, parseInt64 } from './args.js';
import { ERR_INCR_NAN, ERR_NOT_FLOAT, ERR_SYNTAX, ERR_WRONG_ARITY } from './errors.js';
import { addLongDouble, formatLongDouble, parseLongDouble } from './long-double.js';
import {
  applyOp,
  asBuffer,
  checkNames,
  countArg,
  nameMatches,
  names,
  randomPicks,
  readCollection,
  scanCollection,
  scanReply,
  type OpEvent,
} from './collections.js';
import type { CommandContext, CommandSpec } from './types.js';

/**
 * Hashes. Each is an observed-remove map (versioning/dot-map.ts) stored as
 * one record: writes are applied by the key's coordinating replica to the
 * copy it holds, so writes of different fields through different nodes all
 * survive, concurrent writes of one field keep both values as siblings of
 * that field (HGET answers the newest; QHGET shows them all), and HINCRBY
 * through several nodes at once counts every increment.
 */

const ERR_HASH_NOT_FLOAT = 'ERR hash value is not a float';
const ERR_RANGE = 'ERR value is out of range';
/** LONG_MAX / 2: the bound Redis puts on HRANDFIELD's count with WITHVALUES. */
const HALF_LONG = 2n ** 62n - 1n;
/** HINCRBYFLOAT reads, adds and writes on condition; a field changed by another writer in between is read again. */
const FLOAT_RETRIES = 10;

/** Redis's events for the hash writes: HSET and HMSET announce even an update, HSETNX and HDEL only a change. */
const HSET: OpEvent = { cls: 'hash', name: 'hset', onlyIfChanged: false };
const HSETNX: OpEvent = { cls: 'hash', name: 'hset', onlyIfChanged: true };
const HDEL: OpEvent = { cls: 'hash', name: 'hdel', onlyIfChanged: true };
const HINCRBY: OpEvent = { cls: 'hash', name: 'hincrby', onlyIfChanged: false };
const HINCRBYFLOAT: OpEvent = { cls: 'hash', name: 'hincrbyfloat', onlyIfChanged: false };

function value(state: DotMapState | undefined, field: Buffer, now: number): Buffer | undefined {
  return state ? fieldValue(state.entries, field.toString('latin1'), now) : undefined;
}

function intReply(r: OpReply): Reply {
  return int(typeof r === 'bigint' ? r : 0n);
}

function pairs(ctx: CommandContext, args: readonly Buffer[], cmd: string): Array<readonly [Buffer, Buffer]> {
  if ((args.length - 1) % 2 !== 0) fail(ERR_WRONG_ARITY(cmd));
  const out: Array<readonly [Buffer, Buffer]> = [];
  for (let i = 1; i < args.length; i += 2) out.push([args[i]!, args[i + 1]!]);
  checkNames(ctx, out.flat());
  return out;
}

async function hset(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const ps = pairs(ctx, args, 'hset');
  return intReply(await applyOp(ctx, args[0]!, { t: 'hset', pairs: ps, nx: false, max: ctx.limits.maxCollectionMembers, maxBytes: ctx.limits.maxValueBytes }, HSET));
}

async function hmset(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const ps = pairs(ctx, args, 'hmset');
  await applyOp(ctx, args[0]!, { t: 'hset', pairs: ps, nx: false, max: ctx.limits.maxCollectionMembers, maxBytes: ctx.limits.maxValueBytes }, HSET);
  return OK;
}

async function hsetnx(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  checkNames(ctx, [args[1]!, args[2]!]);
  return intReply(await applyOp(ctx, args[0]!, { t: 'hset', pairs: [[args[1]!, args[2]!]], nx: true, max: ctx.limits.maxCollectionMembers, maxBytes: ctx.limits.maxValueBytes }, HSETNX));
}

async function hget(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  return bulkOrNull(value(await readCollection(ctx, args[0]!, 'hash'), args[1]!, ctx.clock.now()));
}

async function hmget(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const state = await readCollection(ctx, args[0]!, 'hash');
  const now = ctx.clock.now();
  return array(args.slice(1).map((f) => bulkOrNull(value(state, f, now))));
}

async function hgetall(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const state = await readCollection(ctx, args[0]!, 'hash');
  const now = ctx.clock.now();
  return map(names(state).map((f) => [bulk(asBuffer(f)), bulk(fieldValue(state!.entries, f, now)!)] as const));
}

async function hdel(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  return intReply(await applyOp(ctx, args[0]!, { t: 'hdel', names: args.slice(1) }, HDEL));
}

async function hlen(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  return int(names(await readCollection(ctx, args[0]!, 'hash')).length);
}

async function hexists(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const state = await readCollection(ctx, args[0]!, 'hash');
  return int(state?.entries.has(args[1]!.toString('latin1')) ? 1 : 0);
}

async function hkeys(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  return array(names(await readCollection(ctx, args[0]!, 'hash')).map((f) => bulk(asBuffer(f))));
}

async function hvals(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const state = await readCollection(ctx, args[0]!, 'hash');
  const now = ctx.clock.now();
  return array(names(state).map((f) => bulk(fieldValue(state!.entries, f, now)!)));
}

async function hstrlen(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  return int(value(await readCollection(ctx, args[0]!, 'hash'), args[1]!, ctx.clock.now())?.length ?? 0);
}

/** HINCRBY: a per-actor counter in the field, so increments through any nodes at once all count. */
async function hincrby(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const delta = parseInt64(args[2]!);
  checkNames(ctx, [args[1]!]);
  return intReply(await applyOp(ctx, args[0]!, { t: 'hincrby', name: args[1]!, delta, max: ctx.limits.maxCollectionMembers, maxBytes: ctx.limits.maxValueBytes }, HINCRBY));
}

/**
 * HINCRBYFLOAT in Redis's long double arithmetic (long-double.ts): read the
 * field, add, and write the text on condition that the field still holds
 * what was read. Concurrent float increments do not merge (as a float
 * counter could not be exact); one that lost the race is retried.
 */
async function hincrbyfloat(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const [key, field] = args as [Buffer, Buffer];
  const by = parseLongDouble(args[2]!);
  if (!by) fail(ERR_NOT_FLOAT);
  if (by.infinite) fail('ERR value is NaN or Infinity');
  checkNames(ctx, [field]);
  for (let attempt = 0; ; attempt++) {
    const current = value(await readCollection(ctx, key, 'hash'), field, ctx.clock.now());
    const base = current === undefined ? { neg: false, mant: 0n, exp: 0, infinite: false } : parseLongDouble(current);
    if (!base) fail(ERR_HASH_NOT_FLOAT);
    const sum = addLongDouble(base, by);
    if (!sum) fail(ERR_INCR_NAN);
    const out = Buffer.from(formatLongDouble(sum), 'latin1');
    try {
      await applyOp(ctx, key, { t: 'hsetif', name: field, expect: current ?? null, value: out, max: ctx.limits.maxCollectionMembers, maxBytes: ctx.limits.maxValueBytes }, HINCRBYFLOAT);
      return bulk(out);
    } catch (err) {
      if (!(err instanceof QkvError) || err.code !== 'CONFLICT' || attempt >= FLOAT_RETRIES) throw err;
    }
  }
}

/** HRANDFIELD key [count [WITHVALUES]] */
async function hrandfield(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  // Redis's order: the count, then the syntax, then WITHVALUES's bound (twice the count's replies must fit a long).
  const count = args.length >= 2 ? countArg(args[1]!) : undefined;
  if (args.length > 3) fail(ERR_SYNTAX);
  const withValues = args.length === 3;
  if (withValues && keyword(args[2]!) !== 'WITHVALUES') fail(ERR_SYNTAX);
  if (withValues && (count! < -HALF_LONG || count! > HALF_LONG)) fail(ERR_RANGE);
  const state = await readCollection(ctx, args[0]!, 'hash');
  const all = names(state);
  if (count === undefined) return all.length === 0 ? NULL : bulk(asBuffer(randomPicks(ctx, all, 1)[0]!));
  const n = Number(count < -1_000_000n ? -1_000_000n : count > 1_000_000n ? 1_000_000n : count);
  const picks = randomPicks(ctx, all, n);
  if (!withValues) return array(picks.map((f) => bulk(asBuffer(f))));
  const now = ctx.clock.now();
  const val = (f: string): Reply => bulk(fieldValue(state!.entries, f, now)!);
  if (ctx.session.protocol === 3) return array(picks.map((f) => array([bulk(asBuffer(f)), val(f)])));
  return array(picks.flatMap((f) => [bulk(asBuffer(f)), val(f)]));
}

/** HSCAN key cursor [MATCH p] [COUNT n] [NOVALUES] */
async function hscan(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const scan = await scanCollection(ctx, args, 'hash');
  if (!scan) return scanReply([]);
  const { state, options: o } = scan;
  const now = ctx.clock.now();
  const items: Reply[] = [];
  for (const f of names(state)) {
    if (!nameMatches(o, f)) continue;
    items.push(bulk(asBuffer(f)));
    if (!o.noValues) items.push(bulk(fieldValue(state.entries, f, now)!));
  }
  return scanReply(items);
}

/** QHGET key field: every concurrent value of one field (its siblings), the newest last; a counter as its total. */
async function qhget(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const state = await readCollection(ctx, args[0]!, 'hash');
  const entries = state?.entries.get(args[1]!.toString('latin1')) ?? [];
  const now = ctx.clock.now();
  const shown = [...entries].sort((a, b) => a.ts - b.ts || (a.dot.node < b.dot.node ? -1 : a.dot.node > b.dot.node ? 1 : a.dot.counter - b.dot.counter));
  // Counter entries of one field count together: show their total once.
  const plain = shown.filter((e) => !e.counter).map((e) => bulk(e.value));
  const counters = shown.filter((e) => e.counter);
  if (counters.length > 0) plain.push(bulk(resolveVisible({ clock: {}, siblings: counters }, now)!.value));
  return array(plain);
}

const READ = ['readonly', 'fast'];
const WRITE = ['write', 'denyoom', 'fast'];

function spec(name: string, arity: number, flags: string[], summary: string, since: string, handler: CommandSpec['handler']): CommandSpec {
  const categories = [flags.includes('write') ? 'write' : 'read', 'hash', flags.includes('fast') ? 'fast' : 'slow'];
  return { name, arity, flags, firstKey: 1, lastKey: 1, step: 1, categories, summary, since, group: 'hash', handler };
}

export const hashCommands: readonly CommandSpec[] = [
  spec('hset', -4, WRITE, 'Set the string value of a hash field', '2.0.0', hset),
  spec('hmset', -4, WRITE, 'Set multiple hash fields to multiple values', '2.0.0', hmset),
  spec('hsetnx', 4, WRITE, 'Set the value of a hash field, only if the field does not exist', '2.0.0', hsetnx),
  spec('hget', 3, READ, 'Get the value of a hash field', '2.0.0', hget),
  spec('hmget', -3, READ, 'Get the values of all the given hash fields', '2.0.0', hmget),
  spec('hgetall', 2, ['readonly'], 'Get all the fields and values in a hash', '2.0.0', hgetall),
  spec('hdel', -3, ['write', 'fast'], 'Delete one or more hash fields', '2.0.0', hdel),
  spec('hlen', 2, READ, 'Get the number of fields in a hash', '2.0.0', hlen),
  spec('hexists', 3, READ, 'Determine if a hash field exists', '2.0.0', hexists),
  spec('hkeys', 2, ['readonly'], 'Get all the fields in a hash', '2.0.0', hkeys),
  spec('hvals', 2, ['readonly'], 'Get all the values in a hash', '2.0.0', hvals),
  spec('hstrlen', 3, READ, 'Get the length of the value of a hash field', '3.2.0', hstrlen),
  spec('hincrby', 4, WRITE, 'Increment the integer value of a hash field by the given number', '2.0.0', hincrby),
  spec('hincrbyfloat', 4, WRITE, 'Increment the float value of a hash field by the given amount', '2.6.0', hincrbyfloat),
  spec('hrandfield', -2, ['readonly'], 'Get one or multiple random fields from a hash', '6.2.0', hrandfield),
  spec('hscan', -3, ['readonly'], 'Incrementally iterate hash fields and associated values', '2.8.0', hscan),
  spec('qhget', 3, READ, 'Returns every concurrent value (sibling) of a field in a hash', '0.1.0', qhget),
];
