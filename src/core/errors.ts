/**
 * Why a request was refused, when a caller decides something on it (an
 * entry node retrying a write on another replica): carried as data, never
 * read back out of the message text.
 *
 * - not-sent       the request never left this node (no connection could be made)
 * - not-a-replica  the receiver is not a replica of the key in its view of the ring
 * - storage        the receiver's disk failed or stalls; it stored nothing
 * - forming        the receiver cannot serve yet (its ring is still forming)
 * - unknown-request  the receiver has no handler for the peer request's type
 */
export type ErrorReason = 'not-sent' | 'not-a-replica' | 'storage' | 'forming' | 'unknown-request';

export const ERROR_REASONS: readonly ErrorReason[] = ['not-sent', 'not-a-replica', 'storage', 'forming', 'unknown-request'];

export function isErrorReason(v: unknown): v is ErrorReason {
  return typeof v === 'string' && (ERROR_REASONS as readonly string[]).includes(v);
}

/**
 * The base error every module throws. `code` is the first word of the RESP
 * error a client sees (ERR, WRONGTYPE, UNAVAILABLE, TIMEOUT, CONFLICT, ...),
 * `message` the rest, so a handler error maps to a reply without a lookup.
 * `reason`, when set, says in a typed way why (see ErrorReason).
 */
export class QkvError extends Error {
  readonly code: string;
  readonly reason: ErrorReason | undefined;

  constructor(code: string, message: string, reason?: ErrorReason) {
    super(message);
    this.name = 'QkvError';
    this.code = code;
    this.reason = reason;
  }

  /** The text after the leading '-' of a RESP error reply. */
  toReplyText(): string {
    return `${this.code} ${this.message}`;
  }
}

export function isQkvError(e: unknown): e is QkvError {
  return e instanceof QkvError;
}
