import { QkvError } from '../core/errors.js';
import type { KeyRange } from '../storage/engine.js';

/**
 * Where hints live in the node's engine, beside the records:
 *
 *   'h' | len(target) (1) | target | seq (8, BE) | size (4, BE)  -> hint value
 *   hint value: epoch (8, BE) | len(key) (4, BE) | key | encoded object
 *
 * Keys sort by target, then by sequence number, so one target's hints are
 * one contiguous range, oldest first. The hint's size is in its key, so a
 * restart rebuilds every target's count and bytes from the keys alone, and
 * removing delivered hints reads no values.
 *
 * The record store only reads and deletes its own prefixes ('d', 'x', 'm':
 * see src/storage/key-layout.ts); FLUSHALL, key counts, scans and range
 * streaming never see 'h'.
 */
export const HINT_PREFIX = 0x68; // 'h'

const SEQ_BYTES = 8;
const SIZE_BYTES = 4;
const MAX_TARGET_BYTES = 255;

export interface HintKey {
  readonly target: string;
  readonly seq: number;
  /** Bytes the hint counts for: its stored value plus its key. */
  readonly size: number;
}

export interface HintValue {
  readonly epoch: number;
  readonly key: Buffer;
  readonly obj: Buffer;
}

function targetBytes(target: string): Buffer {
  const b = Buffer.from(target, 'utf8');
  if (b.length === 0 || b.length > MAX_TARGET_BYTES) throw new QkvError('ERR', `a hint target must be 1..${MAX_TARGET_BYTES} bytes`);
  return b;
}

function targetPrefix(target: string): Buffer {
  const t = targetBytes(target);
  const out = Buffer.allocUnsafe(2 + t.length);
  out[0] = HINT_PREFIX;
  out[1] = t.length;
  t.copy(out, 2);
  return out;
}

export function hintKey(target: string, seq: number, size: number): Buffer {
  const prefix = targetPrefix(target);
  const out = Buffer.allocUnsafe(prefix.length + SEQ_BYTES + SIZE_BYTES);
  prefix.copy(out, 0);
  out.writeBigUInt64BE(BigInt(seq), prefix.length);
  out.writeUInt32BE(Math.min(size, 0xffff_ffff), prefix.length + SEQ_BYTES);
  return out;
}

export function parseHintKey(stored: Buffer): HintKey {
  if (stored.length < 2 || stored[0] !== HINT_PREFIX) throw malformed();
  const len = stored[1]!;
  if (stored.length !== 2 + len + SEQ_BYTES + SIZE_BYTES) throw malformed();
  const at = 2 + len;
  return {
    target: stored.toString('utf8', 2, at),
    seq: Number(stored.readBigUInt64BE(at)),
    size: stored.readUInt32BE(at + SEQ_BYTES),
  };
}

/** One target's hints from sequence number `fromSeq` on. */
export function targetRange(target: string, fromSeq = 0, limit?: number, keysOnly = false): KeyRange {
  const prefix = targetPrefix(target);
  const gte = Buffer.allocUnsafe(prefix.length + SEQ_BYTES);
  prefix.copy(gte, 0);
  gte.writeBigUInt64BE(BigInt(fromSeq), prefix.length);
  // Past every key of this target (they are all prefix + 12 bytes) and before any other target's.
  const end = Buffer.concat([prefix, Buffer.alloc(SEQ_BYTES + SIZE_BYTES + 1, 0xff)]);
  return { gte, lt: end, ...(limit !== undefined ? { limit } : {}), ...(keysOnly ? { keysOnly } : {}) };
}

/** Every hint of every target. */
export function allHintsRange(): KeyRange {
  return { gte: Buffer.from([HINT_PREFIX]), lt: Buffer.from([HINT_PREFIX + 1]), keysOnly: true };
}

export function encodeHintValue(epoch: number, key: Buffer, obj: Buffer): Buffer {
  const out = Buffer.allocUnsafe(8 + 4 + key.length + obj.length);
  out.writeBigUInt64BE(BigInt(epoch), 0);
  out.writeUInt32BE(key.length, 8);
  key.copy(out, 12);
  obj.copy(out, 12 + key.length);
  return out;
}

export function decodeHintValue(b: Buffer): HintValue {
  if (b.length < 12) throw malformed();
  const keyLen = b.readUInt32BE(8);
  if (b.length < 12 + keyLen) throw malformed();
  return { epoch: Number(b.readBigUInt64BE(0)), key: b.subarray(12, 12 + keyLen), obj: b.subarray(12 + keyLen) };
}

function malformed(): QkvError {
  return new QkvError('ERR', 'corrupt storage key: malformed hint');
}
