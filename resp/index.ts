/** The RESP protocol library: request parsing, reply values and their encoding. */
export { RequestParser } from './request-parser.js';
export { DEFAULT_LIMITS, resolveLimits, type ParserLimits } from './limits.js';
export {
  ProtocolError,
  PROTO_INVALID_BULK,
  PROTO_INVALID_MULTIBULK,
  PROTO_TOO_BIG_BULK,
  PROTO_TOO_BIG_INLINE,
  PROTO_TOO_BIG_MBULK,
  PROTO_UNAUTH_BULK,
  PROTO_UNAUTH_MULTIBULK,
  PROTO_UNBALANCED_QUOTES,
  QUERY_BUFFER_LIMIT,
  protoExpectedDollar,
} from './protocol-error.js';
export { splitInlineArgs } from './inline-args.js';
export { ReplyEncoder, encodeReply, oneLine, BY_REFERENCE_MIN } from './reply-encoder.js';
export { formatDouble } from './format-double.js';
export * from './reply.js';
