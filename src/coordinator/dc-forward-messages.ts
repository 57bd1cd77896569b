import { QkvError } from '../core/errors.js';
import { isValidNodeId } from '../core/ids.js';

/**
 * r.dcfwd: one write crossing the WAN once per remote DC. The coordinator
 * sends the version to one replica of the key in that DC (the forwarder),
 * naming the replicas of the DC to reach; the forwarder merges it, sends it
 * on to the others over its LAN and answers with what became of each.
 *
 * The answer names every target: acked (merged and durable there), hinted
 * (the forwarder keeps a durable hint for it in its own DC), failed
 * (neither; the coordinator handles it as a replica that failed) or later.
 * A request may say how many acknowledgements of the DC the write's level
 * needs (`need`): the forwarder answers once that many acked, and the
 * targets still on their way are `later`, carried on by the forwarder (a
 * hint in its DC if they fail) as hints are after an answer.
 */
export const DC_FORWARD_TYPE = 'r.dcfwd';

/** Most replicas one DC holds of a key that a forward may name. */
const MAX_TARGETS = 64;

export interface DcForwardRequest {
  readonly type: typeof DC_FORWARD_TYPE;
  readonly key: Buffer;
  readonly obj: Buffer;
  readonly epoch: number;
  /** Replicas of the key in the forwarder's DC to reach, the forwarder among them. */
  readonly targets: string[];
  /** How long the forwarder waits for the others of its DC. */
  readonly timeoutMs: number;
  /** Answer once this many targets acknowledged (absent: once every target is settled). */
  readonly need?: number;
}

export interface DcForwardReply {
  readonly acked: string[];
  readonly hinted: string[];
  readonly failed: string[];
  /** Still on their way when the forwarder answered; it carries them on. */
  readonly later: string[];
}

function bad(why: string): never {
  throw new QkvError('ERR', `bad request: ${why}`);
}

function nodeList(v: unknown, what: string, bad: (why: string) => never): string[] {
  if (!Array.isArray(v) || v.length > MAX_TARGETS) bad(`${what} must be a list of at most ${MAX_TARGETS} node ids`);
  for (const id of v) if (typeof id !== 'string' || !isValidNodeId(id)) bad(`${what} must hold node ids`);
  return v as string[];
}

export function isDcForward(msg: unknown): boolean {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === DC_FORWARD_TYPE;
}

export function parseDcForward(msg: Record<string, unknown>): DcForwardRequest {
  const { key, obj, epoch, timeoutMs } = msg;
  if (!Buffer.isBuffer(key) || !Buffer.isBuffer(obj)) bad('r.dcfwd needs key and obj byte strings');
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) bad('r.dcfwd needs an epoch');
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 1 || timeoutMs > 3_600_000) bad('r.dcfwd needs a timeout in ms');
  const targets = nodeList(msg.targets, 'targets', bad);
  if (targets.length === 0) bad('r.dcfwd needs at least one target');
  const need = msg.need;
  if (need !== undefined && need !== null && (typeof need !== 'number' || !Number.isInteger(need) || need < 1)) bad('need must be a positive integer');
  return { type: DC_FORWARD_TYPE, key, obj, epoch, targets, timeoutMs, ...(typeof need === 'number' ? { need } : {}) };
}

function badReply(why: string): never {
  throw new QkvError('ERR', `bad reply from peer: ${why}`);
}

/** The forwarder's answer, checked against the targets it was sent (any target it does not name counts as failed). */
export function parseDcForwardReply(msg: unknown, targets: readonly string[]): DcForwardReply {
  if (typeof msg !== 'object' || msg === null) badReply('r.dcfwd');
  const r = msg as Record<string, unknown>;
  const wanted = new Set(targets);
  const pick = (v: unknown, what: string): string[] => nodeList(v, what, badReply).filter((id) => wanted.delete(id));
  const acked = pick(r.acked, 'acked');
  const hinted = pick(r.hinted, 'hinted');
  const later = r.later === undefined || r.later === null ? [] : pick(r.later, 'later');
  const failed = [...pick(r.failed, 'failed'), ...wanted];
  return { acked, hinted, failed, later };
}
