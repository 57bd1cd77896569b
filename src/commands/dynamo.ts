import { NULL, array, bulk, int } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import type { Supersedes, WriteAcks, WriteOptions } from '../coordinator/api.js';
import { checkLevel, type ConsistencyLevel } from '../coordinator/consistency.js';
import { clockToText } from '../versioning/clock.js';
import { decodeContext, encodeContext } from '../versioning/codec.js';
import { liveSiblings } from '../versioning/object.js';
import type { VersionVector, VersionedObject } from '../versioning/types.js';
import { fail, keyword, tryParseInt64 } from './args.js';
import { ERR_INVALID_CONTEXT, ERR_QUORUM_RANGE, ERR_SYNTAX, ERR_WRONGTYPE } from './errors.js';
import { expireAtFrom } from './expiry.js';
import type { ExpireArg } from './expiry.js';
import type { CommandContext, CommandSpec } from './types.js';
import { EMPTY, LOCAL, checkKey, checkValue } from './write-helpers.js';

/**
 * The Dynamo commands: siblings and causal contexts made visible.
 *
 *   QGET key [R r | CL level] -> [context | nil if the key never existed, [live sibling values]]
 *   QSET key value [W w] [PW pw] [CL level] [ACKS] [CONTEXT ctx] [IF ctx] [EX s | PX ms] -> new context
 *   QDEL key [W w] [PW pw] [CL level] [ACKS] [CONTEXT ctx]                               -> the tombstone's context
 *   VCLOCK key [R r]      -> one entry per stored sibling:
 *                            [object clock text, timestamp ms, tombstone 0|1, dot text, expireAt ms (0 none)]
 *   QLOCAL key            -> like QGET, from this node's own store
 *
 * A context is the object's whole causal clock (opaque base64url). QSET
 * without CONTEXT is blind: it becomes a sibling of whatever exists. IF
 * makes the write conditional on the replicas holding exactly that version;
 * given without CONTEXT, IF's clock is also the context, so a compare-and-set
 * replaces the version it checked. QDEL without CONTEXT deletes every version
 * the coordinating replica holds, as DEL does.
 *
 * PW (0..N) is how many of the W acknowledgements must come from the key's
 * home replicas rather than stand-ins holding hints (sloppy quorum); the
 * node's default is 0, or W when its sloppy quorum is off. ACKS changes the
 * reply to [context, home acknowledgements, all acknowledgements], counted
 * when the write was acknowledged; without it the reply is the bare context.
 *
 * CL is a consistency level instead of the numbers (ONE, LOCAL_ONE, QUORUM,
 * LOCAL_QUORUM, EACH_QUORUM, ALL; coordinator/consistency.ts); it cannot be
 * given with R, W or PW.
 *
 * VCLOCK's first three fields are the ones the product contract names (the
 * clock, the timestamp, the tombstone flag). With dotted version vectors a
 * sibling carries only its dot, so the clock shown is the object's (what a
 * context must cover to replace the sibling), and the dot that created the
 * sibling follows, so concurrent siblings can be told apart.
 */
interface DynamoOptions {
  r?: number;
  w?: number;
  pw?: number;
  cl?: ConsistencyLevel;
  acks?: boolean;
  context?: VersionVector;
  ifClock?: VersionVector;
  expire?: ExpireArg;
}

type OptionName = 'R' | 'W' | 'PW' | 'CL' | 'ACKS' | 'CONTEXT' | 'IF' | 'EX' | 'PX';

function quorum(ctx: CommandContext, which: 'R' | 'W', arg: Buffer): number {
  const v = tryParseInt64(arg);
  if (v === undefined || v < 1n || v > BigInt(ctx.kv.n)) fail(ERR_QUORUM_RANGE(which, ctx.kv.n));
  return Number(v);
}

function homeQuorum(ctx: CommandContext, arg: Buffer): number {
  const v = tryParseInt64(arg);
  if (v === undefined || v < 0n || v > BigInt(ctx.kv.n)) fail(`ERR PW must be an integer between 0 and ${ctx.kv.n}`);
  return Number(v);
}

function context(arg: Buffer): VersionVector {
  try {
    return decodeContext(arg);
  } catch {
    fail(ERR_INVALID_CONTEXT);
  }
}

function parseOptions(ctx: CommandContext, args: readonly Buffer[], start: number, allowed: readonly OptionName[]): DynamoOptions {
  const o: DynamoOptions = {};
  for (let i = start; i < args.length; i += 2) {
    const opt = keyword(args[i]!) as OptionName;
    if (opt === 'ACKS' && allowed.includes(opt)) {
      // A flag: no value follows.
      o.acks = true;
      i--;
      continue;
    }
    const value = args[i + 1];
    if (!allowed.includes(opt) || !value) fail(ERR_SYNTAX);
    if (opt === 'R' || opt === 'W') o[opt === 'R' ? 'r' : 'w'] = quorum(ctx, opt, value);
    else if (opt === 'PW') o.pw = homeQuorum(ctx, value);
    else if (opt === 'CL') o.cl = checkLevel(value.toString('latin1'));
    else if (opt === 'CONTEXT') o.context = context(value);
    else if (opt === 'IF') o.ifClock = context(value);
    else {
      const unit = opt === 'EX' ? 's' : 'ms';
      // EX and PX are one choice; repeating the same one keeps the last.
      if (o.expire && o.expire.unit !== unit) fail(ERR_SYNTAX);
      o.expire = { raw: value, unit, absolute: false };
    }
  }
  if (o.cl && (o.r !== undefined || o.w !== undefined || o.pw !== undefined)) fail('ERR CL cannot be combined with R, W or PW');
  return o;
}

function qgetReply(ctx: CommandContext, obj: VersionedObject | undefined): Reply {
  const live = liveSiblings(obj, ctx.clock.now());
  // A hash's or set's siblings are states, not values: QHGET shows a field's siblings.
  if (live.some((s) => s.kind)) fail(ERR_WRONGTYPE);
  const values = live.map((s) => bulk(s.value));
  return array([obj ? bulk(encodeContext(obj.clock)) : NULL, array(values)]);
}

async function qget(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const o = parseOptions(ctx, args, 1, ['R', 'CL']);
  return qgetReply(ctx, await ctx.kv.read(args[0]!, { r: o.r, ...(o.cl ? { cl: o.cl } : {}) }));
}

async function qlocal(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  return qgetReply(ctx, await ctx.kv.readLocal(args[0]!));
}

function supersedes(clock: VersionVector | undefined, otherwise: Supersedes): Supersedes {
  return clock ? { kind: 'context', clock } : otherwise;
}

async function qset(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const [key, value] = args as [Buffer, Buffer];
  const o = parseOptions(ctx, args, 2, ['W', 'PW', 'CL', 'ACKS', 'CONTEXT', 'IF', 'EX', 'PX']);
  const expireAt = o.expire ? expireAtFrom(o.expire, ctx.clock.now(), 'qset') : 0;
  const acks: AckBox = {};
  checkKey(ctx, key);
  checkValue(ctx, value);
  const stored = await ctx.kv.write(
    key,
    { value, tombstone: false, expireAt, supersedes: supersedes(o.context ?? o.ifClock, { kind: 'blind' }), ifClock: o.ifClock },
    writeOptions(o, acks),
  );
  return writeReply(stored, acks);
}

/** What a QSET or QDEL with ACKS learns about its acknowledgements. */
interface AckBox {
  acks?: WriteAcks;
}

function writeOptions(o: DynamoOptions, box: AckBox): WriteOptions {
  return { w: o.w, pw: o.pw, ...(o.cl ? { cl: o.cl } : {}), ...(o.acks ? { onAcks: (a: WriteAcks) => (box.acks = a) } : {}) };
}

function writeReply(stored: VersionedObject, box: AckBox): Reply {
  const ctx = bulk(encodeContext(stored.clock));
  return box.acks ? array([ctx, int(box.acks.home), int(box.acks.total)]) : ctx;
}

async function qdel(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const o = parseOptions(ctx, args, 1, ['W', 'PW', 'CL', 'ACKS', 'CONTEXT']);
  const acks: AckBox = {};
  // QDEL always writes a tombstone, even for a key that does not exist.
  checkKey(ctx, args[0]!);
  const stored = await ctx.kv.write(
    args[0]!,
    { value: EMPTY, tombstone: true, expireAt: 0, supersedes: supersedes(o.context, LOCAL) },
    writeOptions(o, acks),
  );
  return writeReply(stored, acks);
}

async function vclock(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const o = parseOptions(ctx, args, 1, ['R']);
  const obj = await ctx.kv.read(args[0]!, { r: o.r });
  if (!obj) return array([]);
  const clock = clockToText(obj.clock);
  return array(
    obj.siblings.map((s) =>
      array([bulk(clock), int(Math.trunc(s.ts)), int(s.tombstone ? 1 : 0), bulk(clockToText({ [s.dot.node]: s.dot.counter })), int(Math.trunc(s.expireAt))]),
    ),
  );
}

function spec(name: string, arity: number, flags: string[], categories: string[], summary: string, handler: CommandSpec['handler']): CommandSpec {
  return { name, arity, flags, firstKey: 1, lastKey: 1, step: 1, categories, summary, since: '0.1.0', group: 'dynamo', handler };
}

export const dynamoCommands: readonly CommandSpec[] = [
  spec('qget', -2, ['readonly'], ['read', 'string', 'slow'], 'Get every live sibling of a key and its causal context', qget),
  spec('qset', -3, ['write', 'denyoom'], ['write', 'string', 'slow'], 'Write a value as a new sibling or, with a context, superseding what the context covers', qset),
  spec('qdel', -2, ['write'], ['keyspace', 'write', 'slow'], 'Delete a key with a tombstone, superseding what the context covers', qdel),
  spec('vclock', -2, ['readonly'], ['keyspace', 'read', 'slow'], "Show a key's siblings with their clocks, timestamps and tombstone flags", vclock),
  spec('qlocal', 2, ['readonly'], ['read', 'string', 'slow'], "Show this node's own stored versions of a key, without coordination", qlocal),
];
