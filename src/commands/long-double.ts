/**
 * The x87 80-bit long double that Redis's INCRBYFLOAT computes with on x86-64
 * (64-bit significand, exponents down to subnormal 2^-16445, overflow at
 * 2^16384), emulated exactly with BigInt so results match Redis digit for
 * digit: parsing is strtold's (correctly rounded, decimal and hex forms,
 * inf), addition rounds once to nearest-even, and formatting is Redis's
 * human form, printf("%.17Lf") with trailing zeros removed.
 *
 * A JS double cannot stand in: 3 + 1e-16 is 3 in a double but
 * 3.0000000000000001 in Redis, and 10.5 + 0.1 prints as 10.6 only because
 * the long double carries 11 more bits.
 */

/** A finite value (-1)^neg * mant * 2^exp with mant < 2^64, or an infinity. */
export interface LongDouble {
  readonly neg: boolean;
  readonly mant: bigint;
  readonly exp: number;
  readonly infinite: boolean;
}

const MANT_BITS = 64;
/** Exponent of the least subnormal's unit: nothing finer than 2^-16445 exists. */
const MIN_EXP = -16445;
/** A value of 2^16384 or more overflows to infinity. */
const MAX_MAGNITUDE_BITS = 16384;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer texts are not numbers. */
const MAX_TEXT = 5 * 1024;
/** Decimal magnitudes beyond these are certainly infinite or zero; exponents are clamped to them. */
const MAX_DECIMAL_MAGNITUDE = 4933;
const MIN_DECIMAL_MAGNITUDE = -4951;
const EXPONENT_CLAMP = 1_000_000;

const DECIMAL_RE = /^([+-]?)(?:(\d+)\.?(\d*)|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const HEX_RE = /^([+-]?)0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
const INF_RE = /^([+-]?)(?:inf|infinity)$/i;

const ZERO: LongDouble = { neg: false, mant: 0n, exp: 0, infinite: false };

/**
 * Parses text the way Redis's string2ld does: the whole text must be a
 * number (no spaces, no NUL), NaN is refused, and so is a value that
 * overflows to infinity or underflows to zero. Undefined when it is not a
 * valid float.
 */
export function parseLongDouble(text: Buffer | string): LongDouble | undefined {
  const s = typeof text === 'string' ? text : text.toString('latin1');
  if (s.length === 0 || s.length >= MAX_TEXT) return undefined;
  const inf = INF_RE.exec(s);
  if (inf) return { neg: inf[1] === '-', mant: 0n, exp: 0, infinite: true };
  const dec = DECIMAL_RE.exec(s);
  const result = dec ? parseDecimal(dec) : parseHex(HEX_RE.exec(s));
  if (!result || result.infinite) return undefined;
  return result;
}

function clampExponent(text: string | undefined): number {
  if (!text) return 0;
  const v = Number(text);
  return Math.max(-EXPONENT_CLAMP, Math.min(EXPONENT_CLAMP, v));
}

function parseDecimal(m: RegExpExecArray): LongDouble | undefined {
  const neg = m[1] === '-';
  const intPart = m[2] ?? '';
  // Either 'digits[.digits]' or '.digits' matched.
  const fracPart = m[3] ?? m[4]!;
  const digits = (intPart + fracPart).replace(/^0+/, '');
  if (digits === '') return { ...ZERO, neg };
  const exp10 = clampExponent(m[5]) - fracPart.length;
  const magnitude = digits.length + exp10;
  if (magnitude - 1 >= MAX_DECIMAL_MAGNITUDE) return undefined;
  if (magnitude <= MIN_DECIMAL_MAGNITUDE) return undefined;
  const d = BigInt(digits);
  const r = exp10 >= 0 ? roundBinary(neg, d * 10n ** BigInt(exp10), 0, false) : roundRational(neg, d, 10n ** BigInt(-exp10));
  return r.mant === 0n ? undefined : r;
}

function parseHex(m: RegExpExecArray | null): LongDouble | undefined {
  if (!m) return undefined;
  const neg = m[1] === '-';
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? m[4]!;
  const h = BigInt('0x' + intPart + fracPart);
  if (h === 0n) return { ...ZERO, neg };
  const exp2 = clampExponent(m[5]) - 4 * fracPart.length;
  const r = roundBinary(neg, h, exp2, false);
  return r.mant === 0n ? undefined : r;
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** num / den rounded to a long double (num, den > 0). */
function roundRational(neg: boolean, num: bigint, den: bigint): LongDouble {
  // Enough quotient bits that the rounding bit and a sticky remainder decide correctly.
  const k = Math.max(0, MANT_BITS + 2 + bitLength(den) - bitLength(num));
  const scaled = num << BigInt(k);
  const q = scaled / den;
  return roundBinary(neg, q, -k, q * den !== scaled);
}

/**
 * Rounds the exact value num * 2^exp (plus a sticky part below its last bit
 * when `sticky`) to the nearest long double, ties to even.
 */
function roundBinary(neg: boolean, num: bigint, exp: number, sticky: boolean): LongDouble {
  if (num === 0n) return { ...ZERO, neg };
  const bits = bitLength(num);
  if (bits + exp > MAX_MAGNITUDE_BITS) return { neg, mant: 0n, exp: 0, infinite: true };
  // Far below half the least subnormal: nothing to shift, it is zero.
  if (bits + exp < MIN_EXP - 1) return { ...ZERO, neg };
  const shift = Math.max(bits - MANT_BITS, MIN_EXP - exp);
  let mant = num;
  let e = exp;
  if (shift > 0) {
    const s = BigInt(shift);
    mant = num >> s;
    const rest = num - (mant << s);
    const half = 1n << (s - 1n);
    if (rest > half || (rest === half && (sticky || (mant & 1n) === 1n))) mant += 1n;
    e += shift;
    if (bitLength(mant) > MANT_BITS) {
      mant >>= 1n;
      e += 1;
    }
  }
  if (mant !== 0n && bitLength(mant) + e > MAX_MAGNITUDE_BITS) return { neg, mant: 0n, exp: 0, infinite: true };
  return { neg, mant, exp: e, infinite: false };
}

/** a + b rounded once, or undefined when the sum is infinite or NaN. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | undefined {
  if (a.infinite || b.infinite) return undefined;
  const exp = Math.min(a.exp, b.exp);
  const av = (a.mant << BigInt(a.exp - exp)) * (a.neg ? -1n : 1n);
  const bv = (b.mant << BigInt(b.exp - exp)) * (b.neg ? -1n : 1n);
  const sum = av + bv;
  const r = roundBinary(sum < 0n, sum < 0n ? -sum : sum, exp, false);
  return r.infinite ? undefined : r;
}

/** Redis's human-friendly form: "%.17Lf", trailing zeros and a bare '.' removed, never "-0". */
export function formatLongDouble(x: LongDouble): string {
  if (x.mant === 0n) return '0';
  const sign = x.neg ? '-' : '';
  if (x.exp >= 0) return sign + (x.mant << BigInt(x.exp)).toString();
  const s = BigInt(-x.exp);
  const scaled = x.mant * 10n ** 17n;
  let q = scaled >> s;
  const rest = scaled - (q << s);
  const half = 1n << (s - 1n);
  if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
  const digits = q.toString().padStart(18, '0');
  const frac = digits.slice(-17).replace(/0+$/, '');
  const out = sign + digits.slice(0, -17) + (frac ? '.' + frac : '');
  return out === '-0' ? '0' : out;
}
