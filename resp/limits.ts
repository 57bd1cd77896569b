/**
 * Bounds on what one client may send. Every one is checked before the bytes
 * it governs are kept, so a hostile client cannot make the parser hold more.
 */
export interface ParserLimits {
  /** Largest `*<n>` count; more is `invalid multibulk length`. */
  maxMultibulkLength: number;
  /** Largest `$<n>` length (Redis's proto-max-bulk-len); more is `invalid bulk length`. */
  maxBulkLength: number;
  /**
   * Longest inline request and longest `*`/`$` header line, in bytes before
   * the line's terminator (Redis's PROTO_INLINE_MAX_SIZE).
   */
  maxInlineLength: number;
  /**
   * Most bytes one command may take on the wire, counted as they arrive
   * (Redis's client-query-buffer-limit). Past it the connection is closed
   * without a reply, as Redis does.
   */
  maxQueryBufferBytes: number;
  /**
   * Bytes charged to maxQueryBufferBytes for each argument on top of its
   * wire bytes: what holding one argument costs the heap (an object and a
   * slot, about 100-200 bytes), so a command of millions of empty
   * arguments (6 bytes each on the wire) meets the bound long before it
   * exhausts the heap.
   */
  argumentOverheadBytes: number;
  /** Largest `*<n>` count while `authenticated` is false. */
  unauthMaxMultibulkLength: number;
  /** Largest `$<n>` length while `authenticated` is false. */
  unauthMaxBulkLength: number;
}

/**
 * Redis 7.0's values. Its multibulk bound is INT_MAX (7.0 dropped the old
 * 1024*1024 bound and grows argv as arguments arrive, as this parser does);
 * the query buffer bound keeps the memory of one command in check.
 */
export const DEFAULT_LIMITS: Readonly<ParserLimits> = Object.freeze({
  maxMultibulkLength: 2147483647,
  maxBulkLength: 512 * 1024 * 1024,
  maxInlineLength: 64 * 1024,
  maxQueryBufferBytes: 1024 * 1024 * 1024,
  argumentOverheadBytes: 160,
  unauthMaxMultibulkLength: 10,
  unauthMaxBulkLength: 16384,
});

export function resolveLimits(overrides: Partial<ParserLimits> = {}): ParserLimits {
  const limits: ParserLimits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ParserLimits)[]) {
    const v = overrides[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${key} must be a non-negative integer, got ${v}`);
    limits[key] = v;
  }
  return limits;
}
