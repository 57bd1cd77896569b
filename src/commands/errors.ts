/**
 * Every error text a client can see, in one place, worded as Redis 7 words
 * them (the text after the leading '-'). Functions for texts that carry
 * arguments.
 */
import { NOT_AN_INTEGER, WOULD_OVERFLOW } from '../coordinator/refusals.js';

export const ERR_SYNTAX = 'ERR syntax error';
export const ERR_NOT_INTEGER = `ERR ${NOT_AN_INTEGER}`;
export const ERR_NOT_FLOAT = 'ERR value is not a valid float';
export const ERR_OVERFLOW = `ERR ${WOULD_OVERFLOW}`;
export const ERR_INCR_NAN = 'ERR increment would produce NaN or Infinity';
export const ERR_NO_SUCH_KEY = 'ERR no such key';
export const ERR_WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const ERR_NOAUTH = 'NOAUTH Authentication required.';
export const ERR_WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
export const ERR_AUTH_NOT_CONFIGURED =
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?';
export const ERR_DB_INDEX = 'ERR DB index is out of range';
export const ERR_SELECT_NOT_SUPPORTED = 'ERR SELECT is not allowed in cluster mode';
export const ERR_INVALID_EXPIRE = (cmd: string): string => `ERR invalid expire time in '${cmd}' command`;
export const ERR_STRING_TOO_LONG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
export const ERR_OFFSET_RANGE = 'ERR offset is out of range';
export const ERR_NOPROTO = 'NOPROTO unsupported protocol version';
export const ERR_MAXCLIENTS = 'ERR max number of clients reached';
export const ERR_VALUE_TOO_LARGE = (max: number): string => `ERR value exceeds the maximum of ${max} bytes (max-value-bytes)`;
export const ERR_KEY_TOO_LARGE = (max: number): string => `ERR key exceeds the maximum of ${max} bytes (max-key-bytes)`;
export const ERR_INVALID_CONTEXT = 'ERR invalid context';
export const ERR_QUORUM_RANGE = (which: 'R' | 'W', n: number): string => `ERR ${which} must be an integer between 1 and ${n}`;

export const ERR_UNKNOWN_COMMAND = (name: string, args: readonly Buffer[]): string => {
  const shown = args
    .slice(0, 32)
    .map((a) => `'${truncate(a.toString('latin1'), 128)}'`)
    .join(' ');
  return `ERR unknown command '${truncate(name, 128)}', with args beginning with: ${shown}${shown ? ' ' : ''}`;
};

export const ERR_UNKNOWN_SUBCOMMAND = (sub: string, cmd: string): string =>
  `ERR unknown subcommand '${truncate(sub, 128)}'. Try ${cmd.toUpperCase()} HELP.`;

export const ERR_WRONG_ARITY = (name: string): string => `ERR wrong number of arguments for '${name}' command`;

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) : s;
}

// Keyspace and expiry commands.
export const ERR_DECR_OVERFLOW = 'ERR decrement would overflow';
export const ERR_INVALID_CURSOR = 'ERR invalid cursor';
/** Redis turns CR and LF in formatted errors into spaces so the reply stays one line. */
export const ERR_EXPIRE_UNSUPPORTED_OPTION = (opt: string): string => `ERR Unsupported option ${opt.replace(/[\r\n]/g, ' ')}`;
export const ERR_EXPIRE_NX_CONFLICT = 'ERR NX and XX, GT or LT options at the same time are not compatible';
export const ERR_EXPIRE_GT_LT = 'ERR GT and LT options at the same time are not compatible';

// Transactions (MULTI/EXEC), Redis's texts.
export const ERR_MULTI_NESTED = 'ERR MULTI calls can not be nested';
export const ERR_EXEC_WITHOUT_MULTI = 'ERR EXEC without MULTI';
export const ERR_DISCARD_WITHOUT_MULTI = 'ERR DISCARD without MULTI';
export const ERR_WATCH_IN_MULTI = 'ERR WATCH inside MULTI is not allowed';
export const ERR_EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';
