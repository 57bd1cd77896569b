import { encodeOp } from '../versioning/collection-ops.js';
import type { WriteRequest } from './api.js';
import type { WriteForward } from './messages.js';
import type { WriteParams } from './quorum-write.js';

/**
 * A write as it travels from an entry node to the replica that coordinates
 * it ('c.write'), and back into a request there. The op of a hash or set
 * write is decoded by the receiver (it may refuse a malformed one).
 */
export function writeForwardOf(key: Buffer, req: WriteRequest, p: WriteParams): WriteForward {
  return {
    type: 'c.write',
    key,
    value: req.value,
    tombstone: req.tombstone,
    expireAt: req.expireAt,
    supersedes: req.supersedes.kind,
    ...(req.supersedes.kind === 'context' ? { context: req.supersedes.clock } : {}),
    ...(req.ifClock ? { ifClock: req.ifClock } : {}),
    ...(req.counter ? { counter: true } : {}),
    ...(req.counterDelta !== undefined ? { delta: req.counterDelta.toString() } : {}),
    ...(req.kind ? { kind: req.kind } : {}),
    ...(req.op ? { op: encodeOp(req.op) } : {}),
    w: p.w,
    r: p.r,
    pw: p.pw,
    ...(p.level ? { cl: p.level.cl, dc: p.level.dc } : {}),
  };
}

/** The request a forwarded write carries, without its op (decoded apart). */
export function writeRequestOf(req: WriteForward): WriteRequest {
  return {
    value: req.value,
    tombstone: req.tombstone,
    expireAt: req.expireAt,
    supersedes: req.supersedes === 'context' ? { kind: 'context', clock: req.context ?? {} } : { kind: req.supersedes },
    ...(req.ifClock ? { ifClock: req.ifClock } : {}),
    ...(req.counter ? { counter: true } : {}),
    ...(req.delta !== undefined ? { counterDelta: BigInt(req.delta) } : {}),
    ...(req.kind ? { kind: req.kind } : {}),
  };
}
