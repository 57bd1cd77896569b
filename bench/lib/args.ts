/** A positive integer option, or the fallback when it was not given. */
export function positiveInt(s: string | undefined, fallback: number, name: string): number {
  const n = s === undefined ? fallback : Number(s);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${s}`);
  return n;
}
