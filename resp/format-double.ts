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
  // toExponential rounds to 17 significant digits exactly as printf does, and
  // tells the exponent that %g uses to choose its form.
  const e = v.toExponential(16);
  const at = e.indexOf('e');
  const exp = Number(e.slice(at + 1));
  if (exp < -4 || exp >= 17) {
    const abs = Math.abs(exp);
    return `${dropZeros(e.slice(0, at))}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  return dropZeros(v.toFixed(16 - exp));
}

function dropZeros(s: string): string {
  if (!s.includes('.')) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}
