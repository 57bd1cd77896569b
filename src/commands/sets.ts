import { NULL, array, bulk, int, set } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import type { OpReply } from '../versioning/collection-ops.js';
import type { DotMapState } from '../versioning/dot-map.js';
import { fail, tryParseInt64 } from './args.js';
import { ERR_SYNTAX, ERR_WRONGTYPE } from './errors.js';
import {
  applyOp,
  asBuffer,
  checkNames,
  countArg as randomCount,
  collectionOf,
  nameMatches,
  names,
  randomPicks,
  readCollection,
  scanCollection,
  scanReply,
  type OpEvent,
} from './collections.js';
import type { CommandContext, CommandSpec } from './types.js';
import { checkKey, distinctKeys, lookedUp, visibleAny } from './write-helpers.js';

/**
 * Sets: observed-remove sets (versioning/dot-map.ts) stored as one record
 * each. Adds through different nodes all survive, and a concurrent add and
 * remove of one member leave it present (add-wins: a remove takes away
 * only the adds it saw). Commands over several keys (SMOVE, SINTER, ...)
 * read and write each key on its own replicas, so they are not atomic
 * across keys in a cluster (README, "How QuorumKV differs").
 */

const ERR_POSITIVE = 'ERR value is out of range, must be positive';
const ERR_NOT_INTEGER = 'ERR value is not an integer or out of range';

/** Redis's events for the set writes, each announced only when it changed the set. */
const SADD: OpEvent = { cls: 'set', name: 'sadd', onlyIfChanged: true };
const SREM: OpEvent = { cls: 'set', name: 'srem', onlyIfChanged: true };
const SPOP: OpEvent = { cls: 'set', name: 'spop', onlyIfChanged: true };

function count(r: OpReply): bigint {
  if (typeof r === 'bigint') return r;
  return Array.isArray(r) ? BigInt(r.length) : 0n;
}

const members = (state: DotMapState | undefined): Reply[] => names(state).map((m) => bulk(asBuffer(m)));

async function sadd(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  checkNames(ctx, args.slice(1));
  return int(count(await applyOp(ctx, args[0]!, { t: 'sadd', names: args.slice(1), max: ctx.limits.maxCollectionMembers, maxBytes: ctx.limits.maxValueBytes }, SADD)));
}

async function srem(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  return int(count(await applyOp(ctx, args[0]!, { t: 'srem', names: args.slice(1) }, SREM)));
}

async function smembers(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  return set(members(await readCollection(ctx, args[0]!, 'set')));
}

async function sismember(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const state = await readCollection(ctx, args[0]!, 'set');
  return int(state?.entries.has(args[1]!.toString('latin1')) ? 1 : 0);
}

async function smismember(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const state = await readCollection(ctx, args[0]!, 'set');
  return array(args.slice(1).map((m) => int(state?.entries.has(m.toString('latin1')) ? 1 : 0)));
}

async function scard(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  return int(names(await readCollection(ctx, args[0]!, 'set')).length);
}

/** The count argument of SPOP/SRANDMEMBER, undefined when absent. */
function countArg(args: readonly Buffer[]): bigint | undefined {
  if (args.length > 2) fail(ERR_SYNTAX);
  if (args.length < 2) return undefined;
  const c = tryParseInt64(args[1]!);
  if (c === undefined) fail(ERR_NOT_INTEGER);
  return c;
}

/**
 * SPOP key [count]: picks members at random, then removes them at the
 * coordinating replica; the reply is the members that removal took (so two
 * clients popping at once through one node never get the same member).
 */
async function spop(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  // Redis reads SPOP's count as a positive long: any other text is 'out of range, must be positive'.
  if (args.length === 2 && tryParseInt64(args[1]!) === undefined) fail(ERR_POSITIVE);
  const c = countArg(args);
  if (c !== undefined && c < 0n) fail(ERR_POSITIVE);
  const state = await readCollection(ctx, args[0]!, 'set');
  const all = names(state);
  const picks = randomPicks(ctx, all, c === undefined ? 1 : Number(c > 1_000_000n ? 1_000_000n : c));
  if (picks.length === 0) return c === undefined ? NULL : set([]);
  const removed = await applyOp(ctx, args[0]!, { t: 'srem', names: picks.map(asBuffer) }, SPOP);
  const got = Array.isArray(removed) ? removed : [];
  if (c === undefined) return got.length > 0 ? bulk(got[0]!) : NULL;
  return set(got.map((m) => bulk(m)));
}

/** SRANDMEMBER key [count]: count > 0 distinct members, count < 0 that many with repeats. */
async function srandmember(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  if (args.length > 2) fail(ERR_SYNTAX);
  const c = args.length === 2 ? randomCount(args[1]!) : undefined;
  const all = names(await readCollection(ctx, args[0]!, 'set'));
  if (c === undefined) return all.length === 0 ? NULL : bulk(asBuffer(randomPicks(ctx, all, 1)[0]!));
  const n = Number(c < -1_000_000n ? -1_000_000n : c > 1_000_000n ? 1_000_000n : c);
  return array(randomPicks(ctx, all, n).map((m) => bulk(asBuffer(m))));
}

async function sscan(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const scan = await scanCollection(ctx, args, 'set');
  if (!scan) return scanReply([]);
  return scanReply(names(scan.state).filter((m) => nameMatches(scan.options, m)).map((m) => bulk(asBuffer(m))));
}

/**
 * SMOVE src dst member: adds the member to dst at dst's coordinating
 * replica, then removes it from src at src's. Not atomic across the two
 * keys: a failure between the two steps (or a refused add) leaves the member
 * in both or only in src, never in neither.
 */
async function smove(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const [src, dst, member] = args as [Buffer, Buffer, Buffer];
  checkKey(ctx, dst);
  checkNames(ctx, [member]);
  const [srcObj, dstObj] = await ctx.kv.readMany([src, dst]);
  const from = collectionOf(ctx, srcObj, 'set');
  // A missing src answers 0 whatever dst holds; otherwise dst of another type is WRONGTYPE (Redis's order).
  if (!from) return int(0);
  const to = collectionOf(ctx, dstObj, 'set');
  if (!from.entries.has(member.toString('latin1'))) return int(0);
  if (src.equals(dst)) return int(1);
  // Added first: a refused add (dst full) or a failure between the steps leaves the member in both, never in neither.
  const added = await applyOp(ctx, dst, { t: 'sadd', names: [member], max: ctx.limits.maxCollectionMembers, maxBytes: ctx.limits.maxValueBytes });
  const removed = await applyOp(ctx, src, { t: 'srem', names: [member] }, SREM);
  if (count(removed) > 0n) {
    // Announced in Redis's order: src's srem (and del) above, then dst's sadd.
    if (count(added) > 0n) ctx.keyspace?.notify('set', 'sadd', dst);
    return int(1);
  }
  // Another client removed it from src first: as if this SMOVE came after, nothing moves.
  if (!to?.entries.has(member.toString('latin1'))) await applyOp(ctx, dst, { t: 'srem', names: [member] });
  return int(0);
}

type Algebra = 'inter' | 'union' | 'diff';

/** The sets named, read at once; a missing key is an empty set, any other type WRONGTYPE. */
async function readSets(ctx: CommandContext, keys: readonly Buffer[]): Promise<Array<Set<string>>> {
  const distinct = distinctKeys(keys);
  const objs = await ctx.kv.readMany(distinct);
  const byKey = new Map<string, Set<string>>();
  distinct.forEach((k, i) => {
    const s = lookedUp(ctx, visibleAny(ctx, objs[i]));
    if (s && s.kind !== 'set') fail(ERR_WRONGTYPE);
    byKey.set(k.toString('latin1'), new Set(names(s?.collection)));
  });
  return keys.map((k) => byKey.get(k.toString('latin1'))!);
}

function combine(op: Algebra, sets: Array<Set<string>>): string[] {
  const [first, ...rest] = sets;
  let out = new Set(first);
  for (const s of rest) {
    if (op === 'union') for (const m of s) out.add(m);
    else if (op === 'inter') out = new Set([...out].filter((m) => s.has(m)));
    else for (const m of s) out.delete(m);
  }
  return [...out].sort();
}

function algebra(op: Algebra) {
  return async (ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> => {
    const result = combine(op, await readSets(ctx, args));
    return set(result.map((m) => bulk(asBuffer(m))));
  };
}

/** SINTERSTORE, SUNIONSTORE, SDIFFSTORE dst key...: dst becomes the result whatever it held; an empty result deletes it. */
function algebraStore(op: Algebra) {
  return async (ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> => {
    const [dst, ...keys] = args as [Buffer, ...Buffer[]];
    const result = combine(op, await readSets(ctx, keys));
    // An empty result deletes dst: Redis announces 'del' only if dst existed, so look first (only when someone listens).
    const existed = result.length === 0 && ctx.keyspace?.wants('generic') ? visibleAny(ctx, await ctx.kv.read(dst)) !== undefined : false;
    const reply = await applyOp(ctx, dst, { t: 'sreplace', names: result.map(asBuffer), max: ctx.limits.maxCollectionMembers, maxBytes: ctx.limits.maxValueBytes });
    if (result.length > 0) ctx.keyspace?.notify('set', `s${op}store`, dst);
    else if (existed) ctx.keyspace?.notify('generic', 'del', dst);
    return int(count(reply));
  };
}

const READ = ['readonly', 'fast'];
const WRITE = ['write', 'denyoom', 'fast'];

function spec(name: string, arity: number, flags: string[], keys: [number, number], summary: string, since: string, handler: CommandSpec['handler']): CommandSpec {
  const categories = [flags.includes('write') ? 'write' : 'read', 'set', flags.includes('fast') ? 'fast' : 'slow'];
  return { name, arity, flags, firstKey: keys[0], lastKey: keys[1], step: 1, categories, summary, since, group: 'set', handler };
}

const ONE: [number, number] = [1, 1];
const ALL: [number, number] = [1, -1];

export const setCommands: readonly CommandSpec[] = [
  spec('sadd', -3, WRITE, ONE, 'Add one or more members to a set', '1.0.0', sadd),
  spec('srem', -3, ['write', 'fast'], ONE, 'Remove one or more members from a set', '1.0.0', srem),
  spec('smembers', 2, ['readonly'], ONE, 'Get all the members in a set', '1.0.0', smembers),
  spec('sismember', 3, READ, ONE, 'Determine if a given value is a member of a set', '1.0.0', sismember),
  spec('smismember', -3, READ, ONE, 'Returns the membership associated with the given elements for a set', '6.2.0', smismember),
  spec('scard', 2, READ, ONE, 'Get the number of members in a set', '1.0.0', scard),
  spec('spop', -2, ['write', 'fast'], ONE, 'Remove and return one or multiple random members from a set', '1.0.0', spop),
  spec('srandmember', -2, ['readonly'], ONE, 'Get one or multiple random members from a set', '1.0.0', srandmember),
  spec('sscan', -3, ['readonly'], ONE, 'Incrementally iterate Set elements', '2.8.0', sscan),
  spec('smove', 4, ['write', 'fast'], [1, 2], 'Move a member from one set to another', '1.0.0', smove),
  spec('sinter', -2, ['readonly'], ALL, 'Intersect multiple sets', '1.0.0', algebra('inter')),
  spec('sunion', -2, ['readonly'], ALL, 'Add multiple sets', '1.0.0', algebra('union')),
  spec('sdiff', -2, ['readonly'], ALL, 'Subtract multiple sets', '1.0.0', algebra('diff')),
  spec('sinterstore', -3, ['write', 'denyoom'], ALL, 'Intersect multiple sets and store the resulting set in a key', '1.0.0', algebraStore('inter')),
  spec('sunionstore', -3, ['write', 'denyoom'], ALL, 'Add multiple sets and store the resulting set in a key', '1.0.0', algebraStore('union')),
  spec('sdiffstore', -3, ['write', 'denyoom'], ALL, 'Subtract multiple sets and store the resulting set in a key', '1.0.0', algebraStore('diff')),
];
