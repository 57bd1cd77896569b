/**
 * The errors a request parser raises, worded exactly as Redis 7 words them
 * (src/networking.c, processMultibulkBuffer and processInlineBuffer). A
 * message is the text after the leading '-' of the reply; Redis sends it and
 * then closes the connection.
 */
export const PROTO_INVALID_MULTIBULK = 'ERR Protocol error: invalid multibulk length';
export const PROTO_INVALID_BULK = 'ERR Protocol error: invalid bulk length';
export const PROTO_TOO_BIG_MBULK = 'ERR Protocol error: too big mbulk count string';
export const PROTO_TOO_BIG_BULK = 'ERR Protocol error: too big bulk count string';
export const PROTO_TOO_BIG_INLINE = 'ERR Protocol error: too big inline request';
export const PROTO_UNBALANCED_QUOTES = 'ERR Protocol error: unbalanced quotes in request';
export const PROTO_UNAUTH_MULTIBULK = 'ERR Protocol error: unauthenticated multibulk length';
export const PROTO_UNAUTH_BULK = 'ERR Protocol error: unauthenticated bulk length';
/** Not a reply: Redis closes a client whose query buffer passes the limit without a word. */
export const QUERY_BUFFER_LIMIT = 'query buffer limit reached';

/**
 * `expected '$', got 'X'` where X is the offending byte as Redis prints it
 * with %c: a CR or LF shows as a space (Redis maps them so the reply stays
 * one line), any other byte as itself (latin1).
 */
export function protoExpectedDollar(byte: number): string {
  const shown = byte === 13 || byte === 10 ? ' ' : String.fromCharCode(byte);
  return `ERR Protocol error: expected '$', got '${shown}'`;
}

export class ProtocolError extends Error {
  /**
   * True when Redis closes the connection without sending the text (the query
   * buffer limit); otherwise the server replies `-<message>\r\n`, then closes.
   */
  readonly silent: boolean;
  /**
   * Complete commands that came before the bad input in the data given to the
   * failing `feed()` call. Redis runs them before it sends the error, so the
   * server should too. Always empty when thrown by `next()`.
   */
  commands: Buffer[][] = [];

  constructor(message: string, silent = false) {
    super(message);
    this.name = 'ProtocolError';
    this.silent = silent;
  }
}
