import type { Counter } from 'prom-client';
import type { Supersedes, WriteRequest } from '../../src/coordinator/api.js';
import type { VersionVector } from '../../src/versioning/types.js';

/** A write of value that supersedes what the coordinating replica holds (plain SET). */
export function setReq(value: string, extra: Partial<WriteRequest> = {}): WriteRequest {
  return { value: Buffer.from(value), tombstone: false, expireAt: 0, supersedes: { kind: 'local' }, ...extra };
}

/** An increment (INCRBY delta): the coordinating replica adds it to the counter it holds. */
export function incrReq(delta: bigint): WriteRequest {
  return { value: Buffer.alloc(0), tombstone: false, expireAt: 0, supersedes: { kind: 'local' }, counterDelta: delta };
}

/** A blind write (QSET without CONTEXT): a new sibling. */
export function blindReq(value: string): WriteRequest {
  return setReq(value, { supersedes: { kind: 'blind' } });
}

/** A write that supersedes exactly what `clock` covers (QSET CONTEXT). */
export function contextReq(value: string, clock: VersionVector): WriteRequest {
  const supersedes: Supersedes = { kind: 'context', clock };
  return setReq(value, { supersedes });
}

/** Sum of a prom-client counter's values matching labels. */
export async function counterValue(metric: Counter<string>, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}
