import { QkvError } from '../core/errors.js';
import { NULL, OK, array, bulkOrNull, int } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { fail } from './args.js';
import { ERR_WRONG_ARITY } from './errors.js';
import { expireAtFrom, parseSetOptions } from './expiry.js';
import type { Sibling } from '../versioning/types.js';
import type { CommandContext, CommandSpec } from './types.js';
import { NOT_CACHED } from '../coordinator/api.js';
import { checkKey, checkValue, keep, lastValuePerKey, lookedUp, remove, store, visible, visibleAny, writeValue } from './write-helpers.js';

/**
 * Whole-value string commands: GET, SET and its variants, GETSET, GETDEL,
 * MGET, MSET, MSETNX. A plain SET is one write that supersedes what the
 * coordinating replica holds; anything that depends on the current value
 * (NX, XX, GET, KEEPTTL) is a read-modify-write through kv.update.
 */

/** GET answers at once when the record is in memory and nothing on the key is pending. */
function get(ctx: CommandContext, args: readonly Buffer[]): Reply | Promise<Reply> {
  const key = args[0]!;
  const cached = ctx.kv.readCached ? ctx.kv.readCached(key) : NOT_CACHED;
  if (cached !== NOT_CACHED) return bulkOrNull(lookedUp(ctx, visible(ctx, cached))?.value);
  return ctx.kv.read(key).then((obj) => bulkOrNull(lookedUp(ctx, visible(ctx, obj))?.value));
}

/** A string set: 'set', then 'expire' when the write gave it an expiry (Redis's SET, SETEX, PSETEX). */
function notifySet(ctx: CommandContext, key: Buffer, expireAt: number): void {
  ctx.keyspace?.notify('string', 'set', key);
  if (expireAt !== 0) ctx.keyspace?.notify('generic', 'expire', key);
}

/** SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL] */
async function set(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const [key, value] = args as [Buffer, Buffer];
  const o = parseSetOptions(args, 2, 'set');
  const expireAt = o.expire ? expireAtFrom(o.expire, ctx.clock.now(), 'set') : 0;
  checkKey(ctx, key);
  checkValue(ctx, value);
  if (!o.nx && !o.xx && !o.get && !o.keepTtl) {
    await writeValue(ctx, key, value, expireAt);
    notifySet(ctx, key, expireAt);
    return OK;
  }
  const r = await ctx.kv.update(key, (cur) => {
    // NX, XX and KEEPTTL ask only whether the key exists, of any type; GET reads it as a string (WRONGTYPE for a hash or a set).
    const s = o.get ? visible(ctx, cur) : visibleAny(ctx, cur);
    const old = s?.value;
    if ((o.nx && s) || (o.xx && !s)) return keep({ written: false, old });
    const at = o.expire ? expireAt : o.keepTtl && s ? s.expireAt : 0;
    return store(ctx, value, at, { written: true, old });
  });
  if (r.written) notifySet(ctx, key, expireAt);
  if (o.get) return bulkOrNull(r.old);
  return r.written ? OK : NULL;
}

async function setnx(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const [key, value] = args as [Buffer, Buffer];
  checkKey(ctx, key);
  checkValue(ctx, value);
  const written = await ctx.kv.update(key, (cur) => (visibleAny(ctx, cur) ? keep(false) : store(ctx, value, 0, true)));
  if (written) notifySet(ctx, key, 0);
  return int(written ? 1 : 0);
}

/** SETEX key seconds value, PSETEX key ms value. */
function setWithExpiry(cmd: string, unit: 'ms' | 's') {
  return async (ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> => {
    const [key, time, value] = args as [Buffer, Buffer, Buffer];
    const expireAt = expireAtFrom({ raw: time, unit, absolute: false }, ctx.clock.now(), cmd);
    checkKey(ctx, key);
    checkValue(ctx, value);
    await writeValue(ctx, key, value, expireAt);
    notifySet(ctx, key, expireAt);
    return OK;
  };
}

/** GETSET key value: the old value; the new one has no expiry. */
async function getset(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const [key, value] = args as [Buffer, Buffer];
  checkKey(ctx, key);
  checkValue(ctx, value);
  const old = await ctx.kv.update(key, (cur) => store(ctx, value, 0, visible(ctx, cur)?.value));
  notifySet(ctx, key, 0);
  return bulkOrNull(old);
}

async function getdel(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const old = await ctx.kv.update(args[0]!, (cur) => {
    const s = visible(ctx, cur);
    return s ? remove(s.value) : keep(undefined);
  });
  if (old) ctx.keyspace?.notify('generic', 'del', args[0]!);
  return bulkOrNull(old);
}

/** MGET: one multi-key read (the coordinator scatters it), nil for each absent key. */
function mget(ctx: CommandContext, args: readonly Buffer[]): Reply | Promise<Reply> {
  const readCached = ctx.kv.readCached?.bind(ctx.kv);
  if (readCached) {
    const values: Reply[] = [];
    for (const key of args) {
      const cached = readCached(key);
      if (cached === NOT_CACHED) break;
      values.push(bulkOrNull(stringOnly(visibleAny(ctx, cached))));
    }
    if (values.length === args.length) return array(values.map((v) => lookedUpReply(ctx, v)));
  }
  return ctx.kv.readMany(args).then((objs) => array(objs.map((obj) => bulkOrNull(lookedUp(ctx, stringOnly(visibleAny(ctx, obj)))))));
}

function lookedUpReply(ctx: CommandContext, r: Reply): Reply {
  lookedUp(ctx, r === NULL ? undefined : r);
  return r;
}

/** MGET answers nil for a key holding a hash or a set, as Redis does. */
function stringOnly(s: Sibling | undefined): Buffer | undefined {
  return s && !s.kind ? s.value : undefined;
}

/** Keys and values of MSET/MSETNX, checked in full before anything is written. */
function msetPairs(ctx: CommandContext, args: readonly Buffer[], cmd: string): Array<{ key: Buffer; value: Buffer }> {
  if (args.length % 2 !== 0) fail(ERR_WRONG_ARITY(cmd));
  for (let i = 0; i < args.length; i += 2) {
    checkKey(ctx, args[i]!);
    checkValue(ctx, args[i + 1]!);
  }
  return lastValuePerKey(args);
}

/** MSET and MSETNX: one 'set' per pair given, in order, a key named twice twice (as Redis). */
function notifyEachSet(ctx: CommandContext, pairs: readonly Buffer[]): void {
  if (!ctx.keyspace) return;
  for (let i = 0; i < pairs.length; i += 2) ctx.keyspace.notify('string', 'set', pairs[i]!);
}

async function mset(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const pairs = msetPairs(ctx, args, 'mset');
  await Promise.all(pairs.map((p) => writeValue(ctx, p.key, p.value, 0)));
  notifyEachSet(ctx, args);
  return OK;
}

/**
 * MSETNX: 0 if any key exists, else sets them all. Keys live on different
 * replicas, so the check and the writes cannot be one atomic step: each
 * write is conditional on its key still being absent, and if another client
 * created one in between, the command fails with CONFLICT (the other keys
 * may have been set) rather than pretending nothing was written.
 */
async function msetnx(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const pairs = msetPairs(ctx, args, 'msetnx');
  const objs = await ctx.kv.readMany(pairs.map((p) => p.key));
  if (objs.some((obj) => visibleAny(ctx, obj))) return int(0);
  const written = await Promise.all(
    pairs.map((p) => ctx.kv.update(p.key, (cur) => (visibleAny(ctx, cur) ? keep(false) : store(ctx, p.value, 0, true)))),
  );
  if (written.every(Boolean)) {
    notifyEachSet(ctx, args);
    return int(1);
  }
  throw new QkvError('CONFLICT', 'msetnx: another client created one of the keys meanwhile; the other keys may have been set');
}

function spec(
  name: string,
  arity: number,
  flags: string[],
  keys: [number, number, number],
  categories: string[],
  summary: string,
  since: string,
  handler: CommandSpec['handler'],
): CommandSpec {
  return { name, arity, flags, firstKey: keys[0], lastKey: keys[1], step: keys[2], categories, summary, since, group: 'string', handler };
}

const ONE_KEY: [number, number, number] = [1, 1, 1];

export const stringCommands: readonly CommandSpec[] = [
  spec('get', 2, ['readonly', 'fast'], ONE_KEY, ['read', 'string', 'fast'], 'Get the value of a key', '1.0.0', get),
  spec('set', -3, ['write', 'denyoom'], ONE_KEY, ['write', 'string', 'slow'], 'Set the string value of a key', '1.0.0', set),
  spec('setnx', 3, ['write', 'denyoom', 'fast'], ONE_KEY, ['write', 'string', 'fast'], 'Set the value of a key, only if the key does not exist', '1.0.0', setnx),
  spec('setex', 4, ['write', 'denyoom'], ONE_KEY, ['write', 'string', 'slow'], 'Set the value and expiration of a key', '2.0.0', setWithExpiry('setex', 's')),
  spec(
    'psetex',
    4,
    ['write', 'denyoom'],
    ONE_KEY,
    ['write', 'string', 'slow'],
    'Set the value and expiration in milliseconds of a key',
    '2.6.0',
    setWithExpiry('psetex', 'ms'),
  ),
  spec('getset', 3, ['write', 'denyoom', 'fast'], ONE_KEY, ['write', 'string', 'fast'], 'Set the string value of a key and return its old value', '1.0.0', getset),
  spec('getdel', 2, ['write', 'fast'], ONE_KEY, ['write', 'string', 'fast'], 'Get the value of a key and delete the key', '6.2.0', getdel),
  spec('mget', -2, ['readonly', 'fast'], [1, -1, 1], ['read', 'string', 'fast'], 'Get the values of all the given keys', '1.0.0', mget),
  spec('mset', -3, ['write', 'denyoom'], [1, -1, 2], ['write', 'string', 'slow'], 'Set multiple keys to multiple values', '1.0.1', mset),
  spec(
    'msetnx',
    -3,
    ['write', 'denyoom'],
    [1, -1, 2],
    ['write', 'string', 'slow'],
    'Set multiple keys to multiple values, only if none of the keys exist',
    '1.0.1',
    msetnx,
  ),
];
