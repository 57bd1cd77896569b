/**
 * Redis's string2ll over bytes: an optional '-', then digits with no leading
 * zero ("0" alone is fine, "-0", "+1", "01" and "" are not), within a signed
 * 64-bit integer, fewer than 21 bytes. Returns null where Redis says "not a
 * number". Values past 2^53 come back rounded, which is harmless: every
 * caller compares them with limits far below that.
 */
const LLONG_MAX_DIGITS = '9223372036854775807';
const LLONG_MIN_DIGITS = '9223372036854775808';

export function parseRedisInt(buf: Uint8Array, start: number, end: number): number | null {
  const len = end - start;
  if (len <= 0 || len >= 21) return null;
  let p = start;
  const negative = buf[p] === 45; // '-'
  if (negative) {
    p++;
    if (p === end) return null;
  }
  const first = buf[p]!;
  if (first === 48 /* '0' */) return len === 1 ? 0 : null;
  if (first < 49 || first > 57) return null;
  let v = first - 48;
  for (p++; p < end; p++) {
    const c = buf[p]!;
    if (c < 48 || c > 57) return null;
    v = v * 10 + (c - 48);
  }
  const digits = end - start - (negative ? 1 : 0);
  if (digits >= 19 && overflows(buf, end - digits, end, negative)) return null;
  return negative ? -v : v;
}

function overflows(buf: Uint8Array, start: number, end: number, negative: boolean): boolean {
  if (end - start > 19) return true;
  const bound = negative ? LLONG_MIN_DIGITS : LLONG_MAX_DIGITS;
  for (let i = 0; i < 19; i++) {
    const d = buf[start + i]!;
    const b = bound.charCodeAt(i);
    if (d !== b) return d > b;
  }
  return false;
}
