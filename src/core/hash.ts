import { createHash } from 'node:crypto';

/**
 * The ring position of a key: the first 8 bytes of its MD5, big-endian. It is
 * shared by the ring (placement) and storage (key layout), so a ring range is
 * one contiguous range of stored keys.
 */
export function keyHashBytes(key: Buffer | string): Buffer {
  return createHash('md5').update(key).digest().subarray(0, 8);
}

export function keyHash(key: Buffer | string): bigint {
  return keyHashBytes(key).readBigUInt64BE(0);
}

export const RING_SIZE = 1n << 64n;
