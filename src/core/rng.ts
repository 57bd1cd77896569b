/**
 * Randomness comes in through this interface so that simulations replay
 * exactly from a seed. SeededRng is SplitMix64-seeded xoshiro128**.
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** n random bytes. */
  bytes(n: number): Buffer;
}

export class SeededRng implements Rng {
  private s: Uint32Array;

  constructor(seed: number | bigint) {
    let x = BigInt.asUintN(64, BigInt(seed));
    const out = new Uint32Array(4);
    for (let i = 0; i < 4; i += 2) {
      x = BigInt.asUintN(64, x + 0x9e3779b97f4a7c15n);
      let z = x;
      z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
      z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
      z = z ^ (z >> 31n);
      out[i] = Number(z & 0xffffffffn);
      out[i + 1] = Number(z >> 32n);
    }
    if (out.every((v) => v === 0)) out[0] = 1;
    this.s = out;
  }

  private nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  next(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.nextU32() & 0xff;
    return b;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
