import type { EngineWrite } from './engine.js';
import type { VersionedObject } from '../versioning/types.js';
import { encodeObject } from '../versioning/codec.js';
import { recordExpiry } from './expiry.js';
import { isExpiringRecord, isLiveRecord } from './key-count.js';
import { dataKey, expiryKey, indexTime, metaKey } from './key-layout.js';
import type { CachedRecord } from './record-cache.js';

/**
 * Turns the writes of one group commit into engine writes. It runs when the
 * batch is taken (no other batch in flight), with each key's durable record
 * read just before, so the expiry index and the key count are computed from
 * what is really stored, and conditional removals decide on what is really
 * there rather than on what some earlier read saw.
 */

/** What a conditional removal decides about the record as it stands. */
export type PurgeDecision = 'purge' | 'keep' | 'stale' | { readonly retryAt: number };

export interface PutOp {
  readonly kind: 'put';
  readonly id: string;
  readonly key: Buffer;
  /** The key's ring position (8 bytes), computed once per write. */
  readonly hash: Buffer;
  readonly obj: VersionedObject;
  readonly encoded: Buffer;
  readonly seq: number;
}

export interface RemoveOp {
  readonly kind: 'remove';
  readonly id: string;
  readonly key: Buffer;
  readonly hash: Buffer;
  readonly seq: number;
}

/**
 * Removes the record if decide() says so. indexEntries are the expiry index
 * entries that led here: removed on 'purge' and 'stale', kept on 'keep',
 * moved to retryAt on a retry.
 */
export interface PurgeOp {
  readonly kind: 'purge';
  readonly id: string;
  readonly key: Buffer;
  readonly hash: Buffer;
  readonly decide: (obj: VersionedObject) => PurgeDecision;
  readonly indexEntries: readonly Buffer[];
  /** Set when the batch is built: whether the record was removed. */
  purged: boolean;
}

/**
 * A write decided when its batch is built: build() gets the record as it
 * stands after every earlier write (undefined when absent) and returns the
 * object to store, or null to leave the record as it is. Versions are thus
 * issued from the latest state, in submission order, with no read of its own.
 */
export interface BuildOp {
  readonly kind: 'build';
  readonly id: string;
  readonly key: Buffer;
  readonly hash: Buffer;
  readonly seq: number;
  readonly build: (current: VersionedObject | undefined) => VersionedObject | null;
  /** Set when the batch is built: the object stored (null when build left the record). */
  result: VersionedObject | null;
  /** Set when build threw, or the record could not be read: this write alone fails. */
  error: unknown;
}

export interface MetaOp {
  readonly kind: 'meta';
  readonly name: string;
  readonly value: Buffer;
  readonly seq: number;
}

export type RecordOp = PutOp | RemoveOp | PurgeOp | BuildOp | MetaOp;

/** A record as stored before the batch. exists without obj: present but unreadable. */
export interface Prior {
  readonly exists: boolean;
  readonly obj: VersionedObject | null;
  /** Why an existing record could not be read (exists, obj null). */
  readonly error?: unknown;
}

export interface BuiltBatch {
  readonly writes: EngineWrite[];
  /** Records added minus records removed. */
  readonly keyDelta: number;
  /** Change in records that read as present (see isLiveRecord). */
  readonly liveDelta: number;
  /** Change in live records with an expiry (see isExpiringRecord). */
  readonly expiresDelta: number;
  /** Each record's stored state after the batch (null: absent); unreadable ones are left out. */
  readonly finals: Map<string, CachedRecord>;
}

export interface RecordKey {
  readonly key: Buffer;
  readonly hash: Buffer;
}

/** The distinct record keys the ops touch, by id. */
export function recordKeys(ops: readonly RecordOp[]): Map<string, RecordKey> {
  const keys = new Map<string, RecordKey>();
  for (const op of ops) if (op.kind !== 'meta') keys.set(op.id, op);
  return keys;
}

interface KeyState {
  readonly key: Buffer;
  readonly hash: Buffer;
  readonly prior: Prior;
  exists: boolean;
  obj: VersionedObject | null;
  encoded: Buffer | null;
  changed: boolean;
}

export function buildBatch(ops: readonly RecordOp[], priors: ReadonlyMap<string, Prior>, encode: (obj: VersionedObject) => Buffer = encodeObject): BuiltBatch {
  const states = new Map<string, KeyState>();
  const deletes = new Map<string, Buffer>();
  const puts = new Map<string, EngineWrite>();
  const put = (key: Buffer, value: Buffer): void => void puts.set(key.toString('latin1'), { type: 'put', key, value });
  const del = (key: Buffer): void => void deletes.set(key.toString('latin1'), key);

  for (const op of ops) {
    if (op.kind === 'meta') {
      put(metaKey(op.name), op.value);
      continue;
    }
    let s = states.get(op.id);
    if (!s) {
      const prior = priors.get(op.id) ?? { exists: false, obj: null };
      s = { key: op.key, hash: op.hash, prior, exists: prior.exists, obj: prior.obj, encoded: null, changed: false };
      states.set(op.id, s);
    }
    if (op.kind === 'put') Object.assign(s, { exists: true, obj: op.obj, encoded: op.encoded, changed: true });
    else if (op.kind === 'remove') Object.assign(s, { exists: false, obj: null, encoded: null, changed: true });
    else if (op.kind === 'build') applyBuild(op, s, encode);
    else applyPurge(op, s, put, del);
  }

  const finals = new Map<string, CachedRecord>();
  let keyDelta = 0;
  let liveDelta = 0;
  let expiresDelta = 0;
  for (const [id, s] of states) {
    keyDelta += Number(s.exists) - Number(s.prior.exists);
    liveDelta += Number(isLiveRecord(s.exists, s.obj)) - Number(isLiveRecord(s.prior.exists, s.prior.obj));
    expiresDelta += Number(isExpiringRecord(s.exists, s.obj)) - Number(isExpiringRecord(s.prior.exists, s.prior.obj));
    if (!s.changed) {
      if (s.prior.obj || !s.prior.exists) finals.set(id, s.prior.obj);
      continue;
    }
    const hash = s.hash;
    const d = dataKey(hash, s.key);
    if (s.exists) put(d, s.encoded!);
    else del(d);
    const priorAt = recordExpiry(s.prior.obj);
    const finalAt = s.exists ? recordExpiry(s.obj) : 0;
    if (priorAt && (!finalAt || indexTime(priorAt) !== indexTime(finalAt))) del(expiryKey(priorAt, hash, s.key));
    // Written on every put, not only on change: an entry moved or lost earlier is restored.
    if (finalAt) put(expiryKey(finalAt, hash, s.key), Buffer.alloc(0));
    finals.set(id, s.exists ? s.obj : null);
  }

  const writes: EngineWrite[] = [];
  for (const [k, key] of deletes) if (!puts.has(k)) writes.push({ type: 'del', key });
  writes.push(...puts.values());
  return { writes, keyDelta, liveDelta, expiresDelta, finals };
}

function applyBuild(op: BuildOp, s: KeyState, encode: (obj: VersionedObject) => Buffer): void {
  // A record that exists but cannot be read is not overwritten blindly: its versions are unknown.
  if (s.exists && !s.obj) {
    op.error = s.prior.error ?? new Error('the stored record cannot be read');
    return;
  }
  try {
    const obj = op.build(s.obj ?? undefined);
    if (!obj) return;
    const encoded = encode(obj);
    Object.assign(s, { exists: true, obj, encoded, changed: true });
    op.result = obj;
  } catch (e) {
    op.error = e;
  }
}

function applyPurge(op: PurgeOp, s: KeyState, put: (key: Buffer, value: Buffer) => void, del: (key: Buffer) => void): void {
  // Absent or unreadable: nothing to decide on, so the entries that pointed here are stale.
  const decision: PurgeDecision = s.obj ? op.decide(s.obj) : 'stale';
  if (decision === 'keep') return;
  op.indexEntries.forEach(del);
  if (decision === 'purge') {
    Object.assign(s, { exists: false, obj: null, encoded: null, changed: true });
    op.purged = true;
  } else if (decision !== 'stale') {
    put(expiryKey(decision.retryAt, s.hash, s.key), Buffer.alloc(0));
  }
}
