import { array, bulk } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { globMatch, matchesEverything } from '../core/glob.js';
import type { CollectionOp, OpReply } from '../versioning/collection-ops.js';
import type { DotMapState } from '../versioning/dot-map.js';
import type { CollectionKind, Sibling, VersionedObject } from '../versioning/types.js';
import { fail, keyword, parseInt64 } from './args.js';
import { ERR_SYNTAX, ERR_WRONGTYPE } from './errors.js';
import { parseCursor } from './keys.js';
import type { CommandContext } from './types.js';
import { EMPTY, LOCAL, checkKey, checkValue, lookedUp, visibleAny } from './write-helpers.js';

/**
 * What the hash and set commands share: reading a key as a collection of
 * one kind (WRONGTYPE for any other), sending an op to the coordinating
 * replica, and HSCAN/SSCAN's options.
 */

/** The collection a read key holds, undefined when absent; WRONGTYPE when it holds another type. */
export function collectionOf(ctx: CommandContext, obj: VersionedObject | undefined, kind: CollectionKind): DotMapState | undefined {
  const s: Sibling | undefined = visibleAny(ctx, obj);
  if (!s) return undefined;
  if (s.kind !== kind) fail(ERR_WRONGTYPE);
  return s.collection;
}

export async function readCollection(ctx: CommandContext, key: Buffer, kind: CollectionKind): Promise<DotMapState | undefined> {
  return lookedUp(ctx, collectionOf(ctx, await ctx.kv.read(key), kind));
}

/** How a collection write is announced (keyspace notifications): its event, always or only when it changed something. */
export interface OpEvent {
  readonly cls: 'hash' | 'set';
  readonly name: string;
  readonly onlyIfChanged: boolean;
}

/** True when an op's reply counts a change: added, removed or popped members. */
export function changedSomething(reply: OpReply): boolean {
  if (typeof reply === 'bigint') return reply > 0n;
  return Array.isArray(reply) && reply.length > 0;
}

/**
 * Applies op at the key's coordinating replica and answers what it worked
 * out there. With an event, announces it once the write succeeded, and
 * 'del' when the write removed the last member (Redis then deletes the key).
 */
export async function applyOp(ctx: CommandContext, key: Buffer, op: CollectionOp, event?: OpEvent): Promise<OpReply> {
  checkKey(ctx, key);
  let reply: OpReply = null;
  const stored = await ctx.kv.write(key, { value: EMPTY, tombstone: false, expireAt: 0, supersedes: LOCAL, op }, { onReply: (r) => (reply = r) });
  // With notifications off, nothing about the stored object is looked at.
  if (event && ctx.keyspace?.enabled()) {
    const changed = changedSomething(reply);
    if (changed || !event.onlyIfChanged) ctx.keyspace.notify(event.cls, event.name, key);
    if (changed && !visibleAny(ctx, stored)) ctx.keyspace.notify('generic', 'del', key);
  }
  return reply;
}

/** Members and field names are limited like keys, values like values. */
export function checkNames(ctx: CommandContext, names: readonly Buffer[]): void {
  for (const n of names) checkValue(ctx, n);
}

export function names(state: DotMapState | undefined): string[] {
  return state ? [...state.entries.keys()] : [];
}

export const asBuffer = (name: string): Buffer => Buffer.from(name, 'latin1');

const ERR_NOVALUES_HSCAN_ONLY = 'ERR NOVALUES option can only be used in HSCAN';

export interface CollectionScanOptions {
  readonly pattern: Buffer | null;
  readonly noValues: boolean;
}

/**
 * HSCAN/SSCAN key cursor [MATCH p] [COUNT n] [NOVALUES]: a hash or set is
 * one record, so the first call answers every member with cursor 0, as Redis
 * does for its small encodings; COUNT is checked and otherwise a hint. As in
 * Redis, the cursor is checked first, then the key (a missing one answers the
 * empty scan, another type WRONGTYPE), and only then the options.
 */
export async function scanCollection(
  ctx: CommandContext,
  args: readonly Buffer[],
  kind: CollectionKind,
): Promise<{ state: DotMapState; options: CollectionScanOptions } | undefined> {
  parseCursor(args[1]!);
  const state = await readCollection(ctx, args[0]!, kind);
  if (!state) return undefined;
  return { state, options: parseCollectionScan(args, kind === 'hash') };
}

function parseCollectionScan(args: readonly Buffer[], allowNoValues: boolean): CollectionScanOptions {
  let pattern: Buffer | null = null;
  let noValues = false;
  for (let i = 2; i < args.length; i++) {
    const opt = keyword(args[i]!);
    if (opt === 'NOVALUES') {
      if (!allowNoValues) fail(ERR_NOVALUES_HSCAN_ONLY);
      noValues = true;
      continue;
    }
    const value = args[i + 1];
    if (!value) fail(ERR_SYNTAX);
    i++;
    if (opt === 'COUNT') {
      if (parseInt64(value) < 1n) fail(ERR_SYNTAX);
    } else if (opt === 'MATCH') {
      pattern = matchesEverything(value) ? null : value;
    } else {
      fail(ERR_SYNTAX);
    }
  }
  return { pattern, noValues };
}

export function scanReply(items: Reply[]): Reply {
  return array([bulk('0'), array(items)]);
}

export function nameMatches(o: CollectionScanOptions, name: string): boolean {
  return o.pattern === null || globMatch(o.pattern, asBuffer(name));
}

/** The count of HRANDFIELD/SRANDMEMBER: an integer within -LONG_MAX..LONG_MAX, in Redis's words. */
export function countArg(arg: Buffer): bigint {
  const c = parseInt64(arg);
  if (c < -INT64_MAX) fail(`ERR value is out of range, value must between ${-INT64_MAX} and ${INT64_MAX}`);
  return c;
}

const INT64_MAX = 2n ** 63n - 1n;

/** Picks for HRANDFIELD/SRANDMEMBER: count > 0 distinct (at most all), count < 0 |count| with repeats. */
export function randomPicks(ctx: CommandContext, all: readonly string[], count: number): string[] {
  if (all.length === 0 || count === 0) return [];
  if (count < 0) {
    const out: string[] = [];
    for (let i = 0; i < -count; i++) out.push(all[ctx.rng.int(all.length)]!);
    return out;
  }
  if (count >= all.length) return [...all];
  const pool = [...all];
  // A partial Fisher-Yates shuffle: the first `count` of a random permutation.
  for (let i = 0; i < count; i++) {
    const j = i + ctx.rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}
