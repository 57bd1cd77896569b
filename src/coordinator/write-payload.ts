import { QkvError } from '../core/errors.js';
import { counterIncrement } from '../versioning/counter-view.js';
import type { VersionedObject, WritePayload } from '../versioning/types.js';
import type { WriteRequest } from './api.js';
import { NOT_AN_INTEGER, WOULD_OVERFLOW } from './refusals.js';

/**
 * The new sibling a coordinating replica writes for a request, from its own
 * copy of the key: the request's value, or for an increment (counterDelta)
 * the counter it holds plus the delta, worked out where the write is decided
 * (under a replica's key lock, or when a cluster of one builds its batch)
 * so increments through different nodes all count instead of conflicting.
 */
export function payloadFor(req: WriteRequest, local: VersionedObject | undefined, actor: string, now: number): WritePayload {
  if (req.counterDelta === undefined) {
    const { value, tombstone, expireAt } = req;
    return req.counter ? { value, tombstone, expireAt, ts: now, counter: true } : { value, tombstone, expireAt, ts: now };
  }
  const inc = counterIncrement(local, actor, req.counterDelta, now);
  if ('refused' in inc) throw new QkvError('ERR', inc.refused === 'overflow' ? WOULD_OVERFLOW : NOT_AN_INTEGER);
  return { ...inc.payload, ts: now };
}
