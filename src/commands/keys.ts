import { keyHash } from '../core/hash.js';
import { NULL, OK, array, bulk, int, simple } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import type { Dot } from '../versioning/types.js';
import { fail, keyword, parseInt64 } from './args.js';
import { ERR_INVALID_CURSOR, ERR_NO_SUCH_KEY, ERR_SYNTAX } from './errors.js';
import { globMatch, matchesEverything } from '../core/glob.js';
import type { CommandContext, CommandSpec } from './types.js';
import { checkKey, deleteIfPresent, distinctKeys, keep, lookedUp, removeSeen, typeName, visibleAny, writeCopy } from './write-helpers.js';

/**
 * Keyspace commands. KEYS, SCAN, RANDOMKEY, DBSIZE and FLUSHALL see the
 * whole cluster through the coordinator; SCAN's cursor is a ring position,
 * so it needs no server-side state and survives membership changes.
 */
const RING_MAX = 2n ** 64n - 1n;
/** COUNT is a hint; larger values are clamped so one SCAN page stays bounded. */
const MAX_SCAN_COUNT = 10_000;
const KEYS_PAGE = 1000;
const RANDOMKEY_PAGE = 16;

/** DEL and UNLINK: tombstones for the keys that exist, all at once; a key named twice counts once. */
async function del(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const keys = distinctKeys(args);
  const deleted = await Promise.all(keys.map((key) => deleteIfPresent(ctx, key)));
  keys.forEach((key, i) => deleted[i] && ctx.keyspace?.notify('generic', 'del', key));
  return int(deleted.filter(Boolean).length);
}

/** EXISTS counts every argument, so a key named twice counts twice. */
async function exists(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const keys = distinctKeys(args);
  const objs = await ctx.kv.readMany(keys);
  const present = new Set<string>();
  keys.forEach((key, i) => {
    if (lookedUp(ctx, visibleAny(ctx, objs[i]))) present.add(key.toString('latin1'));
  });
  return int(args.filter((key) => present.has(key.toString('latin1'))).length);
}

async function type(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  return simple(typeName(lookedUp(ctx, visibleAny(ctx, await ctx.kv.read(args[0]!)))));
}

function sameDot(a: Dot, b: Dot): boolean {
  return a.node === b.node && a.counter === b.counter;
}

/**
 * RENAME src dst, keeping the expiry. Not atomic across the cluster: the two
 * keys live on different replicas, so it copies to dst, then deletes src
 * only if src still holds the version it copied. A crash in between leaves
 * both keys (never neither); a concurrent write to src wins over the delete.
 */
async function rename(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const [src, dst] = args as [Buffer, Buffer];
  const copied = visibleAny(ctx, await ctx.kv.read(src));
  if (!copied) fail(ERR_NO_SUCH_KEY);
  if (src.equals(dst)) return OK;
  checkKey(ctx, dst);
  await writeCopy(ctx, dst, copied, copied.expireAt);
  await ctx.kv.update(src, (cur) => {
    const s = visibleAny(ctx, cur);
    return s && sameDot(s.dot, copied.dot) ? removeSeen(s, true) : keep(false);
  });
  ctx.keyspace?.notify('generic', 'rename_from', src);
  ctx.keyspace?.notify('generic', 'rename_to', dst);
  return OK;
}

/** KEYS pattern: every live key in the cluster, page by page over the ring. */
async function keys(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const pattern = args[0]!;
  const all = matchesEverything(pattern);
  const out: Reply[] = [];
  let cursor = 0n;
  do {
    const page = await ctx.kv.scan(cursor, KEYS_PAGE);
    for (const { key, obj } of page.keys) {
      if (visibleAny(ctx, obj) && (all || globMatch(pattern, key))) out.push(bulk(key));
    }
    cursor = page.next;
  } while (cursor !== 0n);
  return array(out);
}

/**
 * A SCAN cursor as Redis's strtoul reads it: decimal, optional sign (a
 * negative one wraps, as in C), no spaces, at most 2^64-1; '' is 0.
 */
export function parseCursor(arg: Buffer): bigint {
  const m = /^([+-]?)(\d*)$/.exec(arg.toString('latin1'));
  if (!m || (m[2] === '' && m[1] !== '')) fail(ERR_INVALID_CURSOR);
  const v = m[2] === '' ? 0n : BigInt(m[2]!);
  if (v > RING_MAX) fail(ERR_INVALID_CURSOR);
  return m[1] === '-' && v !== 0n ? RING_MAX + 1n - v : v;
}

interface ScanOptions {
  count: number;
  pattern: Buffer | null;
  type: string | null;
}

function parseScanOptions(args: readonly Buffer[]): ScanOptions {
  const o: ScanOptions = { count: 10, pattern: null, type: null };
  for (let i = 1; i < args.length; i += 2) {
    const opt = keyword(args[i]!);
    const value = args[i + 1];
    if (!value) fail(ERR_SYNTAX);
    if (opt === 'COUNT') {
      const n = parseInt64(value);
      if (n < 1n) fail(ERR_SYNTAX);
      o.count = n > BigInt(MAX_SCAN_COUNT) ? MAX_SCAN_COUNT : Number(n);
    } else if (opt === 'MATCH') {
      o.pattern = matchesEverything(value) ? null : value;
    } else if (opt === 'TYPE') {
      o.type = keyword(value);
    } else {
      fail(ERR_SYNTAX);
    }
  }
  return o;
}

/**
 * SCAN cursor [MATCH p] [COUNT n] [TYPE t]: one page of the ring from the
 * cursor's position, filtered after fetching (so a page may come back
 * empty with a non-zero cursor, as in Redis). Every key present for the
 * whole iteration is returned, and none twice while the ring is unchanged.
 */
async function scan(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const cursor = parseCursor(args[0]!);
  const o = parseScanOptions(args);
  const page = await ctx.kv.scan(cursor, o.count);
  const out: Reply[] = [];
  for (const { key, obj } of page.keys) {
    const s = visibleAny(ctx, obj);
    if (!s || (o.type !== null && typeName(s) !== o.type.toLowerCase())) continue;
    if (!o.pattern || globMatch(o.pattern, key)) out.push(bulk(key));
  }
  return array([bulk(page.next.toString()), array(out)]);
}

/**
 * RANDOMKEY: the first live key at or after a random ring position,
 * wrapping around once; nil when there is none. Keys are uniformly spread
 * over the ring, so this is close to uniform over keys.
 */
async function randomkey(ctx: CommandContext): Promise<Reply> {
  const start = ctx.rng.bytes(8).readBigUInt64BE(0);
  let cursor = start;
  do {
    const page = await ctx.kv.scan(cursor, RANDOMKEY_PAGE);
    const hit = page.keys.find((e) => visibleAny(ctx, e.obj));
    if (hit) return bulk(hit.key);
    cursor = page.next;
  } while (cursor !== 0n);
  // Around the ring from 0 up to where the first pass started.
  do {
    const page = await ctx.kv.scan(cursor, RANDOMKEY_PAGE);
    for (const { key, obj } of page.keys) {
      if (keyHash(key) >= start) return NULL;
      if (visibleAny(ctx, obj)) return bulk(key);
    }
    cursor = page.next;
  } while (cursor !== 0n && cursor < start);
  return NULL;
}

async function dbsize(ctx: CommandContext): Promise<Reply> {
  return int(await ctx.kv.dbsize());
}

/** FLUSHALL / FLUSHDB [ASYNC|SYNC]: both empty the one database everywhere; the mode changes nothing. */
async function flushall(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  if (args.length > 1) fail(ERR_SYNTAX);
  if (args.length === 1) {
    const mode = keyword(args[0]!);
    if (mode !== 'SYNC' && mode !== 'ASYNC') fail(ERR_SYNTAX);
  }
  await ctx.kv.flushAll();
  return OK;
}

type Keys = [first: number, last: number, step: number];
const NO_KEYS: Keys = [0, 0, 0];

function spec(
  name: string,
  arity: number,
  flags: string[],
  keys: Keys,
  categories: string[],
  summary: string,
  since: string,
  group: string,
  handler: CommandSpec['handler'],
): CommandSpec {
  return { name, arity, flags, firstKey: keys[0], lastKey: keys[1], step: keys[2], categories, summary, since, group, handler };
}

export const keyCommands: readonly CommandSpec[] = [
  spec('del', -2, ['write'], [1, -1, 1], ['keyspace', 'write', 'slow'], 'Delete a key', '1.0.0', 'generic', del),
  spec(
    'unlink',
    -2,
    ['write', 'fast'],
    [1, -1, 1],
    ['keyspace', 'write', 'fast'],
    'Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.',
    '4.0.0',
    'generic',
    del,
  ),
  spec('exists', -2, ['readonly', 'fast'], [1, -1, 1], ['keyspace', 'read', 'fast'], 'Determine if a key exists', '1.0.0', 'generic', exists),
  spec('type', 2, ['readonly', 'fast'], [1, 1, 1], ['keyspace', 'read', 'fast'], 'Determine the type stored at key', '1.0.0', 'generic', type),
  spec('rename', 3, ['write'], [1, 2, 1], ['keyspace', 'write', 'slow'], 'Rename a key', '1.0.0', 'generic', rename),
  spec('keys', 2, ['readonly'], NO_KEYS, ['keyspace', 'read', 'slow', 'dangerous'], 'Find all keys matching the given pattern', '1.0.0', 'generic', keys),
  spec('scan', -2, ['readonly'], NO_KEYS, ['keyspace', 'read', 'slow'], 'Incrementally iterate the keys space', '2.8.0', 'generic', scan),
  spec('randomkey', 1, ['readonly'], NO_KEYS, ['keyspace', 'read', 'slow'], 'Return a random key from the keyspace', '1.0.0', 'generic', randomkey),
  spec('dbsize', 1, ['readonly', 'fast'], NO_KEYS, ['keyspace', 'read', 'fast'], 'Return the number of keys in the selected database', '1.0.0', 'server', dbsize),
  spec('flushall', -1, ['write'], NO_KEYS, ['keyspace', 'write', 'slow', 'dangerous'], 'Remove all keys from all databases', '1.0.0', 'server', flushall),
  spec(
    'flushdb',
    -1,
    ['write'],
    NO_KEYS,
    ['keyspace', 'write', 'slow', 'dangerous'],
    'Remove all keys from the current database',
    '1.0.0',
    'server',
    flushall,
  ),
];
