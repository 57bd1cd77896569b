import { hash } from 'node:crypto';

/**
 * The ring position of a key: the first 8 bytes of the MD5 of its hash part,
 * big-endian. It is shared by the ring (placement) and storage (key layout),
 * so a ring range is one contiguous range of stored keys.
 *
 * The hash part is the key's hash tag when it has one, as in Redis Cluster:
 * the bytes between the first '{' and the first '}' after it, when there is
 * at least one; otherwise the whole key. `{user42}:a` and `{user42}:b` so
 * share a position (one replica set, so one script may use both); `{}x` and
 * `a{b` hash whole.
 */
export function keyHashBytes(key: Buffer | string): Buffer {
  // crypto.hash (Node >= 20.12) is the one-shot form: about 30% cheaper than createHash.
  return hash('md5', hashPart(key), 'buffer').subarray(0, 8);
}

export function keyHash(key: Buffer | string): bigint {
  return keyHashBytes(key).readBigUInt64BE(0);
}

/** The position of a plain string on the ring, with no hash-tag rule (vnode tokens). */
export function stringHash(s: string): bigint {
  return hash('md5', s, 'buffer').readBigUInt64BE(0);
}

/**
 * A key's 16-byte digest, computed once per command and passed along: its
 * first 8 bytes are the ring position (keyHash), the rest, from the whole
 * key's MD5, anti-entropy's tag (so keys sharing a hash tag still differ there).
 */
export function keyMd5(key: Buffer): Buffer {
  const whole = hash('md5', key, 'buffer');
  const part = hashPart(key);
  if (part === key) return whole;
  hash('md5', part, 'buffer').copy(whole, 0, 0, 8);
  return whole;
}

const OPEN = 0x7b;
const CLOSE = 0x7d;

/** The bytes a key's ring position is computed from: its non-empty {hash tag}, or the key itself. */
export function hashPart<K extends Buffer | string>(key: K): K | Buffer | string {
  if (typeof key === 'string') {
    const open = key.indexOf('{');
    if (open < 0) return key;
    const close = key.indexOf('}', open + 1);
    return close > open + 1 ? key.slice(open + 1, close) : key;
  }
  const open = key.indexOf(OPEN);
  if (open < 0) return key;
  const close = key.indexOf(CLOSE, open + 1);
  return close > open + 1 ? key.subarray(open + 1, close) : key;
}

export const RING_SIZE = 1n << 64n;
