/**
 * The base error every module throws. `code` is the first word of the RESP
 * error a client sees (ERR, WRONGTYPE, UNAVAILABLE, TIMEOUT, CONFLICT, ...),
 * `message` the rest, so a handler error maps to a reply without a lookup.
 */
export class QkvError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'QkvError';
    this.code = code;
  }

  /** The text after the leading '-' of a RESP error reply. */
  toReplyText(): string {
    return `${this.code} ${this.message}`;
  }
}

export function isQkvError(e: unknown): e is QkvError {
  return e instanceof QkvError;
}
