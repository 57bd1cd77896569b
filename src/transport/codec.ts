import { Packr } from 'msgpackr';
import { QkvError } from '../core/errors.js';

/**
 * The one msgpack codec of peer messages, shared by TCP and the in-memory
 * network so both carry exactly the same values. Records (msgpackr's shared
 * structures) are off: every frame decodes on its own. Decoded Buffers are
 * copies, so a small value never pins a whole socket read buffer.
 */
const packr = new Packr({ useRecords: false, copyBuffers: true });

export function encodeMessage(value: unknown): Buffer {
  return packr.pack(value);
}

/** Throws on bytes that are not exactly one msgpack value. */
export function decodeMessage(bytes: Buffer): unknown {
  return packr.unpack(bytes);
}

/** A deep copy of value as the receiving side would see it. */
export function copyMessage(value: unknown): unknown {
  return decodeMessage(encodeMessage(value));
}

/**
 * Encodes a message that must fit in one frame; throws QkvError ERR if it
 * cannot be encoded or is larger than maxBytes (the caller gets that error,
 * the connection is unaffected).
 */
export function encodeBounded(value: unknown, maxBytes: number): Buffer {
  let body: Buffer;
  try {
    body = packr.pack(value);
  } catch (err) {
    throw new QkvError('ERR', `message cannot be encoded: ${(err as Error).message}`);
  }
  if (body.length > maxBytes) {
    throw new QkvError('ERR', `message of ${body.length} bytes exceeds the maximum frame of ${maxBytes}`);
  }
  return body;
}
