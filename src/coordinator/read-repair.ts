import { encodeObject } from '../versioning/codec.js';
import { clocksEqual } from '../versioning/clock.js';
import { mergeObjects } from '../versioning/object.js';
import type { VersionedObject } from '../versioning/types.js';
import type { DataPath } from './data-path.js';

/** What the replicas of one key answered to a read: node -> its copy (undefined: it has none). */
export type ReplicaReplies = ReadonlyMap<string, VersionedObject | undefined>;

/** The merge of every copy in the replies, or undefined when none has the key. */
export function mergeReplies(replies: ReplicaReplies): VersionedObject | undefined {
  let merged: VersionedObject | undefined;
  for (const obj of replies.values()) if (obj) merged = merged ? mergeObjects(merged, obj) : obj;
  return merged;
}

/** The replicas whose copy is missing or older than `merged`. */
export function staleReplicas(replies: ReplicaReplies, merged: VersionedObject): string[] {
  const out: string[] = [];
  for (const [node, obj] of replies) if (!obj || !clocksEqual(obj.clock, merged.clock)) out.push(node);
  return out;
}

/**
 * Read repair, fire and forget: sends the merge of everything the replicas
 * answered to each replica that answered with less. Replicas that did not
 * answer are left to hints and anti-entropy. `epochs` are the flush epochs
 * the replies were read at; when they differ a FLUSHALL is in progress and
 * nothing is repaired. Errors are only logged.
 */
export function repairKey(dp: DataPath, key: Buffer, replies: ReplicaReplies, epochs: ReadonlySet<number>, timeoutMs: number): void {
  if (epochs.size !== 1) return;
  const merged = mergeReplies(replies);
  if (!merged) return;
  const targets = staleReplicas(replies, merged);
  if (targets.length === 0) return;
  const [epoch] = epochs as Set<number>;
  let encoded: Buffer | undefined;
  for (const node of targets) {
    dp.metrics?.readRepairs.inc();
    const failed = (err: Error): void => dp.log('debug', 'read repair failed', { node, error: err.message });
    if (node === dp.self) dp.replica.merge(key, merged, epoch!).catch(failed);
    else dp.batch.merge(node, key, (encoded ??= encodeObject(merged)), epoch!, timeoutMs, (err) => err && failed(err));
  }
}
