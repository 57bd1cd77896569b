/** Every byte value 0..255 once, then again reversed: a value no text encoding survives. */
export function allByteValues(): Buffer {
  const up = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  return Buffer.concat([up, Buffer.from(up).reverse()]);
}

/** A flat RESP2-style [field, value, ...] reply (e.g. HELLO) as a record. */
export function pairsToRecord(flat: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}
