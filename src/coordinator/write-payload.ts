import { QkvError } from '../core/errors.js';
import { applyCollectionOp, type OpReply } from '../versioning/collection-ops.js';
import { counterIncrement, resolveCollection } from '../versioning/counter-view.js';
import { emptyDotMap, encodeDotMap } from '../versioning/dot-map.js';
import type { VersionedObject, WritePayload } from '../versioning/types.js';
import type { WriteRequest } from './api.js';
import { NOT_AN_INTEGER, WOULD_OVERFLOW, WRONG_TYPE, tooManyMembers, collectionTooLarge, HASH_NOT_AN_INTEGER, FIELD_CHANGED } from './refusals.js';

/**
 * The new sibling a coordinating replica writes for a request, from its own
 * copy of the key: the request's value, or for an increment (counterDelta)
 * the counter it holds plus the delta, or for a collection op the hash or
 * set it holds with the op applied. Worked out where the write is decided
 * (under a replica's key lock, or when a cluster of one builds its batch)
 * so increments and collection writes through different nodes all count
 * instead of conflicting. `reply` is a collection op's answer.
 */
export function payloadFor(req: WriteRequest, local: VersionedObject | undefined, actor: string, now: number): { payload: WritePayload; reply?: OpReply } {
  if (req.op) {
    const out = applyCollectionOp(local, req.op, actor, now);
    if ('refused' in out) {
      switch (out.refused) {
        case 'wrong-type':
          throw new QkvError('WRONGTYPE', WRONG_TYPE);
        case 'not-an-integer':
          throw new QkvError('ERR', HASH_NOT_AN_INTEGER);
        case 'overflow':
          throw new QkvError('ERR', WOULD_OVERFLOW);
        case 'too-many':
          throw new QkvError('ERR', tooManyMembers('max' in req.op ? req.op.max : 0));
        case 'too-large':
          throw new QkvError('ERR', collectionTooLarge('maxBytes' in req.op ? req.op.maxBytes : 0));
        case 'changed':
          throw new QkvError('CONFLICT', FIELD_CHANGED);
      }
    }
    return { payload: { ...out.payload, ts: now }, reply: out.reply };
  }
  if (deletesWhatItHolds(req)) {
    const held = resolveCollection(local);
    // A delete of a hash or set empties it, keeping its context: it removes what this replica saw, and an add
    // made at the same time elsewhere survives (a plain tombstone would start a newer origin and drop it whole).
    if (held && held !== 'other') {
      const emptied = encodeDotMap(emptyDotMap(held.state.origin, held.state.clock));
      return { payload: { value: emptied, kind: held.kind, tombstone: true, expireAt: 0, ts: now } };
    }
  }
  if (req.counterDelta === undefined) {
    const { value, tombstone, expireAt } = req;
    if (req.counter) return { payload: { value, tombstone, expireAt, ts: now, counter: true } };
    if (req.kind) return { payload: { value, tombstone, expireAt, ts: now, kind: req.kind } };
    return { payload: { value, tombstone, expireAt, ts: now } };
  }
  const inc = counterIncrement(local, actor, req.counterDelta, now);
  if ('refused' in inc) {
    if (inc.refused === 'wrong-type') throw new QkvError('WRONGTYPE', WRONG_TYPE);
    throw new QkvError('ERR', inc.refused === 'overflow' ? WOULD_OVERFLOW : NOT_AN_INTEGER);
  }
  return { payload: { ...inc.payload, ts: now } };
}

/** A plain delete of whatever the coordinating replica holds (DEL through a write, an expiry in the past). */
export function deletesWhatItHolds(req: WriteRequest): boolean {
  return req.tombstone && req.supersedes.kind === 'local' && !req.kind && !req.counter && req.counterDelta === undefined && !req.op;
}
