import { QkvError } from '../core/errors.js';

/**
 * Finds the token owning a hash without a branchy binary search: hashes are
 * compared as doubles (cheap, and rounding preserves order), a table over the
 * top bits jumps next to the answer, and only tokens whose double equals the
 * hash's are compared exactly. About 4 buckets per token, so a lookup
 * inspects one or two tokens.
 */
export class TokenLookup {
  private readonly tokens: BigUint64Array;
  private readonly approx: Float64Array;
  /** bucketStart[b]: the first token whose bucket is >= b; one extra entry for hashes that round up to 2^64. */
  private readonly bucketStart: Uint32Array;
  private readonly scale: number;

  constructor(tokens: BigUint64Array) {
    this.tokens = tokens;
    this.approx = Float64Array.from(tokens, (t) => Number(t));
    const bits = Math.min(20, Math.max(4, Math.ceil(Math.log2(Math.max(1, tokens.length) * 4))));
    this.scale = 2 ** (bits - 64);
    const buckets = 2 ** bits;
    this.bucketStart = new Uint32Array(buckets + 1);
    let i = 0;
    for (let b = 0; b <= buckets; b++) {
      while (i < tokens.length && this.bucketOf(this.approx[i]!) < b) i++;
      this.bucketStart[b] = i;
    }
  }

  /**
   * Index of the first token strictly greater than `hash`, wrapping to 0 past
   * the last (token i owns [tokens[i-1], tokens[i])). The ring must have a token.
   */
  ownerIndex(hash: bigint): number {
    const { tokens, approx } = this;
    const x = Number(hash);
    let i = this.bucketStart[this.bucketOf(x)];
    if (i === undefined) throw new QkvError('ERR', `ring position ${hash} is outside [0, 2^64)`);
    // Number() is monotone: approx[i] < x implies tokens[i] < hash, approx[i] > x implies tokens[i] > hash.
    while (i < approx.length && approx[i]! < x) i++;
    while (i < approx.length && approx[i] === x && tokens[i]! <= hash) i++;
    return i === tokens.length ? 0 : i;
  }

  private bucketOf(x: number): number {
    return Math.floor(x * this.scale);
  }
}
