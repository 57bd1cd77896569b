import { QkvError } from '../core/errors.js';
import { ERR_NOT_FLOAT, ERR_NOT_INTEGER } from './errors.js';

/**
 * Argument parsing with Redis's rules and error texts. Integers are the
 * strict form of Redis's string2ll: optional '-', no '+', no leading zeros,
 * no spaces, within int64.
 */
const INT_RE = /^(0|-?[1-9][0-9]{0,18})$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function fail(text: string): never {
  const space = text.indexOf(' ');
  throw new QkvError(text.slice(0, space), text.slice(space + 1));
}

/** Parses an int64 as a bigint, or undefined if the text is not one. */
export function tryParseInt64(arg: Buffer | string): bigint | undefined {
  const s = typeof arg === 'string' ? arg : arg.toString('latin1');
  if (!INT_RE.test(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

export function parseInt64(arg: Buffer | string, error = ERR_NOT_INTEGER): bigint {
  const v = tryParseInt64(arg);
  if (v === undefined) fail(error);
  return v;
}

/** An integer that fits a JS number exactly (counts, offsets, milliseconds). */
export function parseSafeInt(arg: Buffer | string, error = ERR_NOT_INTEGER): number {
  const v = parseInt64(arg, error);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail(error);
  return Number(v);
}

/** A float as Redis's strtold accepts it: no spaces, 'inf'/'-inf' allowed, no NaN. */
export function parseFloatArg(arg: Buffer | string, error = ERR_NOT_FLOAT): number {
  const s = typeof arg === 'string' ? arg : arg.toString('latin1');
  if (s.length === 0 || s.length > 5000 || /\s/.test(s)) fail(error);
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) fail(error);
  const v = Number(s);
  if (Number.isNaN(v)) fail(error);
  return v;
}

/** Upper-cased option keyword, for matching NX, XX, EX, ... */
export function keyword(arg: Buffer): string {
  return arg.toString('latin1').toUpperCase();
}
