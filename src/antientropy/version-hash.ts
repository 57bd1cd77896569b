import { hash } from 'node:crypto';
import { keyMd5 } from '../core/hash.js';
import { compareSiblingOrder } from '../versioning/object.js';
import type { VersionedObject } from '../versioning/types.js';

/**
 * What the Merkle trees know of a key: where it sits on the ring, a 31-bit
 * tag that tells apart keys sharing one ring position, and a 64-bit digest of
 * (key, version). The version is the causal clock plus each sibling's dot,
 * tombstone flag, timestamps and value. A dot should name exactly one write,
 * but if one was ever issued twice (a node that lost its records, before
 * actors never repeated) two replicas could hold different writes under one
 * dot; covering the content makes their digests differ, so the exchange
 * brings both writes together and the merge keeps both (divergence.ts).
 * Two replicas holding the same version digest it identically whatever
 * order they learned it in.
 */
export interface KeyIdentity {
  /** The ring position (first 8 bytes of MD5, as the ring and the store use). */
  readonly pos: bigint;
  /** 31 more bits of the key's MD5. */
  readonly tag: number;
}

export interface KeyDigest extends KeyIdentity {
  /** 64-bit digest of the key and its version; never 0 for a stored record. */
  readonly digest: bigint;
  /** Every sibling is a tombstone: a candidate for collection. */
  readonly tombstone: boolean;
}

export function keyIdentity(key: Buffer, known?: Buffer): KeyIdentity & { readonly md5: Buffer } {
  const md5 = known ?? keyMd5(key);
  return { pos: md5.readBigUInt64BE(0), tag: md5.readUInt32BE(8) >>> 1, md5 };
}

/** Text that two replicas holding the same version produce identically. */
export function versionText(obj: VersionedObject): string {
  const ids = Object.keys(obj.clock).sort();
  let out = '';
  for (const id of ids) out += `${JSON.stringify(id)}:${obj.clock[id]!},`;
  out += '|';
  const dots = obj.siblings.map((s) => `${JSON.stringify(s.dot.node)}:${s.dot.counter}:${s.tombstone ? 't' : 'v'}`).sort();
  return out + dots.join(',');
}

export function keyDigest(key: Buffer, obj: VersionedObject): KeyDigest {
  const id = keyIdentity(key);
  return { pos: id.pos, tag: id.tag, digest: versionDigest(id.md5, obj), tombstone: isTombstoneRecord(obj) };
}

/** The digest of a version of the key whose MD5 is keyMd5. */
export function versionDigest(keyMd5: Buffer, obj: VersionedObject): bigint {
  // One buffer and one-shot hashing: this runs on every stored write, and a Hash object per call cost more than the MD5.
  const text = versionText(obj);
  const sorted = obj.siblings.length > 1 ? [...obj.siblings].sort(compareSiblingOrder) : obj.siblings;
  let size = keyMd5.length + Buffer.byteLength(text, 'utf8');
  for (const s of sorted) size += 20 + s.value.length;
  const buf = Buffer.allocUnsafe(size);
  let at = keyMd5.copy(buf, 0);
  at += buf.write(text, at, 'utf8');
  for (const s of sorted) {
    at = buf.writeDoubleBE(s.ts, at);
    at = buf.writeDoubleBE(s.expireAt, at);
    at = buf.writeUInt32BE(s.value.length, at);
    at += s.value.copy(buf, at);
  }
  const d = hash('md5', buf, 'buffer').readBigUInt64BE(0);
  // 0 means "no key" in the tree's leaves; a real digest of 0 is remapped (1 in 2^64).
  return d === 0n ? 1n : d;
}

export function isTombstoneRecord(obj: VersionedObject): boolean {
  return obj.siblings.length > 0 && obj.siblings.every((s) => s.tombstone);
}

/**
 * When a record became dead (every sibling a tombstone or expired), as the
 * latest of its tombstones' timestamps and its live siblings' expiry times;
 * Infinity when some sibling is live and never expires.
 */
export function deadSince(obj: VersionedObject): number {
  let at = 0;
  for (const s of obj.siblings) {
    const t = s.tombstone ? s.ts : s.expireAt === 0 ? Infinity : Math.max(s.ts, s.expireAt);
    if (t > at) at = t;
  }
  return at;
}
