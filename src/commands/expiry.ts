import { bulkOrNull, int } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { fail, keyword, parseInt64 } from './args.js';
import {
  ERR_EXPIRE_GT_LT,
  ERR_EXPIRE_NX_CONFLICT,
  ERR_EXPIRE_UNSUPPORTED_OPTION,
  ERR_INVALID_EXPIRE,
  ERR_SYNTAX,
} from './errors.js';
import type { CommandContext, CommandSpec } from './types.js';
import { alreadyExpired, keep, lookedUp, removeSeen, restore, visible, visibleAny } from './write-helpers.js';

/**
 * Key expiry: the EXPIRE and TTL families, PERSIST, GETEX, and the option
 * parsing SET shares with GETEX. Expiry is an absolute epoch-ms time stored
 * with the value's sibling; an expired key reads as absent at once.
 */
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** An expiry argument as given, validated only when it is used (as Redis does). */
export interface ExpireArg {
  readonly raw: Buffer;
  readonly unit: 'ms' | 's';
  readonly absolute: boolean;
}

export interface SetOptions {
  readonly nx: boolean;
  readonly xx: boolean;
  readonly get: boolean;
  readonly keepTtl: boolean;
  readonly persist: boolean;
  readonly expire: ExpireArg | null;
}

const EXPIRE_KINDS: Record<string, { unit: 'ms' | 's'; absolute: boolean }> = {
  EX: { unit: 's', absolute: false },
  PX: { unit: 'ms', absolute: false },
  EXAT: { unit: 's', absolute: true },
  PXAT: { unit: 'ms', absolute: true },
};

/**
 * SET's options (NX XX GET KEEPTTL EX PX EXAT PXAT) or GETEX's (PERSIST EX
 * PX EXAT PXAT) from args[start]. Conflicting options are a syntax error;
 * repeating the same one is allowed, as in Redis 7.0.
 */
export function parseSetOptions(args: readonly Buffer[], start: number, mode: 'set' | 'getex'): SetOptions {
  const isSet = mode === 'set';
  let nx = false;
  let xx = false;
  let get = false;
  let keepTtl = false;
  let persist = false;
  let kind: string | null = null;
  let expire: ExpireArg | null = null;
  for (let i = start; i < args.length; i++) {
    const opt = keyword(args[i]!);
    const next = args[i + 1];
    if (isSet && opt === 'NX' && !xx) nx = true;
    else if (isSet && opt === 'XX' && !nx) xx = true;
    else if (isSet && opt === 'GET') get = true;
    else if (isSet && opt === 'KEEPTTL' && kind === null) keepTtl = true;
    else if (!isSet && opt === 'PERSIST' && kind === null) persist = true;
    else if (opt in EXPIRE_KINDS && !keepTtl && !persist && (kind === null || kind === opt) && next) {
      kind = opt;
      expire = { raw: next, ...EXPIRE_KINDS[opt]! };
      i++;
    } else fail(ERR_SYNTAX);
  }
  return { nx, xx, get, keepTtl, persist, expire };
}

/**
 * The absolute expiry an EX/PX/EXAT/PXAT argument means at `now`: it must be
 * a positive integer and the result must fit an int64 of milliseconds.
 */
export function expireAtFrom(arg: ExpireArg, now: number, cmd: string): number {
  const v = parseInt64(arg.raw);
  if (v <= 0n || (arg.unit === 's' && v > INT64_MAX / 1000n)) fail(ERR_INVALID_EXPIRE(cmd));
  let ms = arg.unit === 's' ? v * 1000n : v;
  if (!arg.absolute) ms += BigInt(now);
  if (ms > INT64_MAX) fail(ERR_INVALID_EXPIRE(cmd));
  return Number(ms);
}

interface ExpireFlags {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
}

function parseExpireFlags(args: readonly Buffer[]): ExpireFlags {
  const f: ExpireFlags = { nx: false, xx: false, gt: false, lt: false };
  for (const arg of args) {
    const opt = keyword(arg);
    if (opt === 'NX') f.nx = true;
    else if (opt === 'XX') f.xx = true;
    else if (opt === 'GT') f.gt = true;
    else if (opt === 'LT') f.lt = true;
    else fail(ERR_EXPIRE_UNSUPPORTED_OPTION(arg.toString('latin1')));
  }
  if (f.nx && (f.xx || f.gt || f.lt)) fail(ERR_EXPIRE_NX_CONFLICT);
  if (f.gt && f.lt) fail(ERR_EXPIRE_GT_LT);
  return f;
}

/** EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: 1 when the expiry was set (or the key deleted by a past time), else 0. */
function expireCommand(cmd: string, unit: 'ms' | 's', absolute: boolean) {
  return async (ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> => {
    const flags = parseExpireFlags(args.slice(2));
    let when = parseInt64(args[1]!);
    // Negative times are allowed (they delete); only int64 overflow is refused.
    if (unit === 's') {
      if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) fail(ERR_INVALID_EXPIRE(cmd));
      when *= 1000n;
    }
    const base = absolute ? 0n : BigInt(ctx.clock.now());
    if (when > INT64_MAX - base) fail(ERR_INVALID_EXPIRE(cmd));
    const at = Number(when + base);
    const changed = await ctx.kv.update<false | 'del' | 'expire'>(args[0]!, (cur) => {
      const s = visibleAny(ctx, cur);
      if (!s) return keep(false);
      const current = s.expireAt === 0 ? -1 : s.expireAt;
      if (flags.nx && current !== -1) return keep(false);
      if (flags.xx && current === -1) return keep(false);
      // No expiry counts as an infinite one: GT never beats it, LT always does.
      if (flags.gt && (current === -1 || at <= current)) return keep(false);
      if (flags.lt && current !== -1 && at >= current) return keep(false);
      // A time already past (or 0, which would read as 'no expiry') deletes the key: Redis then announces 'del'.
      return at <= 0 ? removeSeen(s, 'del') : restore(ctx, s, at, alreadyExpired(at, ctx.clock.now()) ? 'del' : 'expire');
    });
    if (changed) ctx.keyspace?.notify('generic', changed, args[0]!);
    return int(changed ? 1 : 0);
  };
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 for one without expiry. */
function ttlCommand(unit: 'ms' | 's', absolute: boolean) {
  return async (ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> => {
    const s = lookedUp(ctx, visibleAny(ctx, await ctx.kv.read(args[0]!)));
    if (!s) return int(-2);
    if (s.expireAt === 0) return int(-1);
    const ttl = Math.max(0, absolute ? s.expireAt : s.expireAt - ctx.clock.now());
    // Seconds round to nearest, as Redis's (ttl+500)/1000. Times are float64 ms: clamp to int64.
    const v = BigInt(unit === 'ms' ? ttl : Math.floor((ttl + 500) / 1000));
    return int(v > INT64_MAX ? INT64_MAX : v);
  };
}

async function persist(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const changed = await ctx.kv.update(args[0]!, (cur) => {
    const s = visibleAny(ctx, cur);
    if (!s || s.expireAt === 0) return keep(false);
    return restore(ctx, s, 0, true);
  });
  if (changed) ctx.keyspace?.notify('generic', 'persist', args[0]!);
  return int(changed ? 1 : 0);
}

/**
 * GETEX key [EX|PX|EXAT|PXAT t | PERSIST]: the value, then the expiry change.
 * Without options it is a plain read. The expiry is validated only when the
 * key exists, as in Redis; a past EXAT/PXAT deletes the key.
 */
async function getex(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const opts = parseSetOptions(args, 1, 'getex');
  const key = args[0]!;
  if (!opts.expire && !opts.persist) return bulkOrNull(lookedUp(ctx, visible(ctx, await ctx.kv.read(key)))?.value);
  const r = await ctx.kv.update<{ value: Buffer | undefined; event: 'del' | 'expire' | 'persist' | null }>(key, (cur) => {
    const s = visible(ctx, cur);
    if (!s) return keep({ value: undefined, event: null });
    if (opts.expire) {
      const at = expireAtFrom(opts.expire, ctx.clock.now(), 'getex');
      return restore(ctx, s, at, { value: s.value, event: alreadyExpired(at, ctx.clock.now()) ? 'del' : 'expire' });
    }
    return s.expireAt === 0 ? keep({ value: s.value, event: null }) : restore(ctx, s, 0, { value: s.value, event: 'persist' });
  });
  if (r.event) ctx.keyspace?.notify('generic', r.event, key);
  return bulkOrNull(r.value);
}

const KEYSPACE_WRITE = ['keyspace', 'write', 'fast'];
const KEYSPACE_READ = ['keyspace', 'read', 'fast'];

function spec(name: string, arity: number, flags: string[], categories: string[], summary: string, since: string, group: string, handler: CommandSpec['handler']): CommandSpec {
  return { name, arity, flags, firstKey: 1, lastKey: 1, step: 1, categories, summary, since, group, handler };
}

export const expiryCommands: readonly CommandSpec[] = [
  spec('expire', -3, ['write', 'fast'], KEYSPACE_WRITE, "Set a key's time to live in seconds", '1.0.0', 'generic', expireCommand('expire', 's', false)),
  spec('pexpire', -3, ['write', 'fast'], KEYSPACE_WRITE, "Set a key's time to live in milliseconds", '2.6.0', 'generic', expireCommand('pexpire', 'ms', false)),
  spec('expireat', -3, ['write', 'fast'], KEYSPACE_WRITE, 'Set the expiration for a key as a UNIX timestamp', '1.2.0', 'generic', expireCommand('expireat', 's', true)),
  spec(
    'pexpireat',
    -3,
    ['write', 'fast'],
    KEYSPACE_WRITE,
    'Set the expiration for a key as a UNIX timestamp specified in milliseconds',
    '2.6.0',
    'generic',
    expireCommand('pexpireat', 'ms', true),
  ),
  spec('ttl', 2, ['readonly', 'fast'], KEYSPACE_READ, 'Get the time to live for a key in seconds', '1.0.0', 'generic', ttlCommand('s', false)),
  spec('pttl', 2, ['readonly', 'fast'], KEYSPACE_READ, 'Get the time to live for a key in milliseconds', '2.6.0', 'generic', ttlCommand('ms', false)),
  spec('expiretime', 2, ['readonly', 'fast'], KEYSPACE_READ, 'Get the expiration Unix timestamp for a key', '7.0.0', 'generic', ttlCommand('s', true)),
  spec(
    'pexpiretime',
    2,
    ['readonly', 'fast'],
    KEYSPACE_READ,
    'Get the expiration Unix timestamp for a key in milliseconds',
    '7.0.0',
    'generic',
    ttlCommand('ms', true),
  ),
  spec('persist', 2, ['write', 'fast'], KEYSPACE_WRITE, 'Remove the expiration from a key', '2.2.0', 'generic', persist),
  spec('getex', -2, ['write', 'fast'], ['write', 'string', 'fast'], 'Get the value of a key and optionally set its expiration', '6.2.0', 'string', getex),
];
