import { QkvError } from '../core/errors.js';
import type { Message } from './types.js';

/**
 * What travels in a frame once a connection is established, as a msgpack
 * array led by a kind:
 *   [REQUEST, id, msg]            a request the receiver answers under id
 *   [REPLY, id, msg]              its result
 *   [ERROR, id, code, message]    the QkvError its handler threw
 * Arrays rather than objects keep per-message overhead at a few bytes.
 */
export const REQUEST = 0;
export const REPLY = 1;
export const ERROR = 2;

export type Envelope =
  | { kind: typeof REQUEST; id: number; msg: Message }
  | { kind: typeof REPLY; id: number; msg: Message }
  | { kind: typeof ERROR; id: number; code: string; message: string };

/** The peer broke the protocol; its connection is dropped. */
export class ProtocolViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolViolation';
  }
}

export function requestEnvelope(id: number, msg: Message): unknown[] {
  return [REQUEST, id, msg];
}

export function replyEnvelope(id: number, msg: Message): unknown[] {
  return [REPLY, id, msg];
}

/** Longest error code and message sent back; an error reply must always fit in a frame. */
const MAX_ERROR_TEXT = 4096;

export function errorEnvelope(id: number, err: unknown): unknown[] {
  const e = toQkvError(err);
  return [ERROR, id, e.code.slice(0, 64), e.message.slice(0, MAX_ERROR_TEXT)];
}

/** What a handler's failure becomes on the wire: its own code if it threw a QkvError. */
export function toQkvError(err: unknown): QkvError {
  if (err instanceof QkvError) return err;
  if (err instanceof Error) return new QkvError('ERR', err.message);
  return new QkvError('ERR', String(err));
}

export function parseEnvelope(value: unknown): Envelope {
  if (!Array.isArray(value) || value.length < 3) throw new ProtocolViolation('frame is not an envelope');
  const [kind, id] = value as [unknown, unknown];
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw new ProtocolViolation('bad request id');
  switch (kind) {
    case REQUEST:
    case REPLY:
      if (value.length !== 3) break;
      return { kind, id, msg: value[2] as Message };
    case ERROR: {
      const [, , code, message] = value as unknown[];
      if (value.length !== 4 || typeof code !== 'string' || typeof message !== 'string') break;
      return { kind, id, code, message };
    }
  }
  throw new ProtocolViolation('unknown envelope');
}
