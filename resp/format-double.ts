/**
 * A double as Redis 7.0 prints it in replies: C's "%.17g" (17 significant
 * digits, trailing zeros dropped, exponent form below 1e-4 or from 1e17 on,
 * with at least two exponent digits), and inf, -inf, nan spelled so.
 */
export function formatDouble(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const sign = v < 0 ? '-' : '';
  const abs = Math.abs(v);
  // toExponential rounds the exact value to 17 digits, ties away from zero;
  // printf rounds ties to even, which only an exact tie can tell apart.
  const e = abs.toExponential(16);
  let digits = e[0]! + e.slice(2, 18);
  let exp = Number(e.slice(19));
  const even = evenTie(abs);
  if (even !== null) [digits, exp] = even;
  return sign + layout(digits, exp);
}

/** %g's choice of form for 17 significant `digits` and a decimal exponent. */
function layout(digits: string, exp: number): string {
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--;
  const d = digits.slice(0, end);
  if (exp < -4 || exp >= 17) {
    const abs = Math.abs(exp);
    const mantissa = d.length > 1 ? `${d[0]}.${d.slice(1)}` : d;
    return `${mantissa}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  if (exp < 0) return `0.${'0'.repeat(-exp - 1)}${d}`;
  if (d.length <= exp + 1) return d + '0'.repeat(exp + 1 - d.length);
  return `${d.slice(0, exp + 1)}.${d.slice(exp + 1)}`;
}

/**
 * When `abs` lies exactly halfway between two 17-digit decimals and the lower
 * one ends in an even digit, that one's digits and exponent (where printf and
 * toExponential part ways); otherwise null. Only values whose 18-digit
 * rounding ends in 5 can be ties, so most never reach the exact arithmetic.
 */
function evenTie(abs: number): [string, number] | null {
  if (abs.toExponential(17).charCodeAt(18) !== 53) return null;
  const [digits, exp] = exactDecimal(abs);
  if (digits.length !== 18 || digits.charCodeAt(17) !== 53) return null;
  if ((digits.charCodeAt(16) - 48) % 2 !== 0) return null;
  return [digits.slice(0, 17), exp];
}

/** The exact decimal digits of a finite positive double (no trailing zeros) and its exponent. */
function exactDecimal(abs: number): [string, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, abs);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = hi >>> 20;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased !== 0) mantissa |= 1n << 52n;
  const e2 = (biased === 0 ? 1 : biased) - 1075;
  let digits: string;
  let exp: number;
  if (e2 >= 0) {
    digits = (mantissa << BigInt(e2)).toString();
    exp = digits.length - 1;
  } else {
    // m / 2^k is m * 5^k / 10^k.
    digits = (mantissa * 5n ** BigInt(-e2)).toString();
    exp = digits.length - 1 + e2;
  }
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--;
  return [digits.slice(0, end), exp];
}
