import type { Supersedes, UpdateDecision } from '../coordinator/api.js';
import { visibleSibling } from '../versioning/object.js';
import { emptyDotMap, encodeDotMap } from '../versioning/dot-map.js';
import type { Sibling, VersionedObject } from '../versioning/types.js';
import { fail } from './args.js';
import { ERR_KEY_TOO_LARGE, ERR_VALUE_TOO_LARGE, ERR_WRONGTYPE } from './errors.js';
import type { CommandContext } from './types.js';

/**
 * What every data command shares: how a key reads (present, absent, expired),
 * the size limits, and the shapes of the writes they ask the coordinator for.
 */
export const EMPTY = Buffer.alloc(0);
export const LOCAL: Supersedes = { kind: 'local' };

/**
 * The string a key holds, or undefined when it reads as absent (missing,
 * deleted or expired); a hash or a set is refused with WRONGTYPE, as the
 * string commands refuse them in Redis.
 */
export function visible(ctx: CommandContext, obj: VersionedObject | undefined): Sibling | undefined {
  const s = visibleSibling(obj, ctx.clock.now());
  if (s?.kind) fail(ERR_WRONGTYPE);
  return s;
}

/** Counts a reading command's lookup of one key (INFO keyspace_hits/misses, as Redis counts them); returns s. */
export function lookedUp<T>(ctx: CommandContext, s: T | undefined): T | undefined {
  ctx.server.countLookups?.(s === undefined ? 0 : 1, s === undefined ? 1 : 0);
  return s;
}

/** What a key reads as, of any type (DEL, EXISTS, TYPE, EXPIRE, TTL, RENAME, SCAN). */
export function visibleAny(ctx: CommandContext, obj: VersionedObject | undefined): Sibling | undefined {
  return visibleSibling(obj, ctx.clock.now());
}

/** The type TYPE names for what a key reads as. */
export function typeName(s: Sibling | undefined): 'string' | 'hash' | 'set' | 'none' {
  if (!s) return 'none';
  return s.kind ?? 'string';
}

/** Refuses a key longer than --max-key-bytes before anything is stored. */
export function checkKey(ctx: CommandContext, key: Buffer): void {
  if (key.length > ctx.limits.maxKeyBytes) fail(ERR_KEY_TOO_LARGE(ctx.limits.maxKeyBytes));
}

/** Refuses a value longer than --max-value-bytes before anything is stored. */
export function checkValue(ctx: CommandContext, value: Buffer): void {
  if (value.length > ctx.limits.maxValueBytes) fail(ERR_VALUE_TOO_LARGE(ctx.limits.maxValueBytes));
}

/** True when an absolute expiry has already passed, so storing means deleting. */
export function alreadyExpired(expireAt: number, now: number): boolean {
  return expireAt !== 0 && expireAt <= now;
}

/** A decision that leaves the key as it is. */
export function keep<T>(result: T): UpdateDecision<T> {
  return { write: null, result };
}

/** A decision that deletes the key (a tombstone, so it cannot come back from a lagging replica). */
export function remove<T>(result: T): UpdateDecision<T> {
  return { write: { value: EMPTY, tombstone: true, expireAt: 0 }, result };
}

/**
 * A decision that deletes what a key read as (s). A hash or a set is
 * emptied rather than replaced: the tombstone keeps the state's context and
 * origin, so it removes exactly the members it saw, and an add made at the
 * same time through a replica that had not seen the delete still survives
 * (add-wins, as for one member). A plain tombstone would start a newer
 * origin and drop that add whole.
 */
export function removeSeen<T>(s: Sibling, result: T): UpdateDecision<T> {
  if (!s.kind || !s.collection) return remove(result);
  const emptied = emptyDotMap(s.collection.origin, s.collection.clock);
  return { write: { value: encodeDotMap(emptied), tombstone: true, expireAt: 0, kind: s.kind }, result };
}

/**
 * A decision that stores value with the given absolute expiry (0 for none).
 * An expiry already in the past deletes instead, as Redis does.
 */
export function store<T>(ctx: CommandContext, value: Buffer, expireAt: number, result: T): UpdateDecision<T> {
  if (alreadyExpired(expireAt, ctx.clock.now())) return remove(result);
  return { write: { value, tombstone: false, expireAt }, result };
}

/**
 * A decision that stores what the key reads as again with another expiry
 * (EXPIRE, PERSIST, GETEX): a counter stays a counter, so increments made
 * meanwhile through other nodes still merge with it.
 */
export function restore<T>(ctx: CommandContext, s: Sibling, expireAt: number, result: T): UpdateDecision<T> {
  if (s.kind) return alreadyExpired(expireAt, ctx.clock.now()) ? removeSeen(s, result) : { write: { value: s.value, tombstone: false, expireAt, kind: s.kind }, result };
  if (!s.counterState || alreadyExpired(expireAt, ctx.clock.now())) return store(ctx, s.value, expireAt, result);
  return { write: { value: s.counterState, tombstone: false, expireAt, counter: true }, result };
}

/** A plain write: supersedes every version the coordinating replica holds (SET, MSET). */
export async function writeValue(ctx: CommandContext, key: Buffer, value: Buffer, expireAt: number): Promise<void> {
  const tombstone = alreadyExpired(expireAt, ctx.clock.now());
  await ctx.kv.write(key, {
    value: tombstone ? EMPTY : value,
    tombstone,
    expireAt: tombstone ? 0 : expireAt,
    supersedes: LOCAL,
  });
}

/** Deletes key, of any type, if it reads as present; true when it did (DEL, UNLINK). */
export function deleteIfPresent(ctx: CommandContext, key: Buffer): Promise<boolean> {
  return ctx.kv.update(key, (cur) => {
    const s = visibleAny(ctx, cur);
    return s ? removeSeen(s, true) : keep(false);
  });
}

/** Stores what a key read as (s) under another key, keeping its type and the given expiry (RENAME, COPY). */
export async function writeCopy(ctx: CommandContext, key: Buffer, s: Sibling, expireAt: number): Promise<void> {
  if (!s.kind && !s.counterState) return writeValue(ctx, key, s.value, expireAt);
  const tombstone = alreadyExpired(expireAt, ctx.clock.now());
  if (tombstone) return writeValue(ctx, key, EMPTY, expireAt);
  const typed = s.kind ? { value: s.value, kind: s.kind } : { value: s.counterState!, counter: true };
  await ctx.kv.write(key, { ...typed, tombstone: false, expireAt, supersedes: LOCAL });
}

/**
 * Duplicate keys of a multi-key write collapse to the last value given, as
 * Redis's sequential writes leave them; the writes then run concurrently.
 */
export function lastValuePerKey(pairs: readonly Buffer[]): Array<{ key: Buffer; value: Buffer }> {
  const byKey = new Map<string, { key: Buffer; value: Buffer }>();
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const key = pairs[i]!;
    const id = key.toString('latin1');
    byKey.delete(id);
    byKey.set(id, { key, value: pairs[i + 1]! });
  }
  return [...byKey.values()];
}

/** Distinct keys in first-seen order. */
export function distinctKeys(keys: readonly Buffer[]): Buffer[] {
  const seen = new Set<string>();
  const out: Buffer[] = [];
  for (const key of keys) {
    const id = key.toString('latin1');
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(key);
  }
  return out;
}
