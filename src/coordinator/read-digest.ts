import type { VersionedObject } from '../versioning/types.js';

/**
 * What a digest read compares: 64 bits over a copy's clock and each
 * sibling's dot, tombstone flag, timestamps, expiry, value length and value
 * bytes (all of a short value; the first and last 64 bytes of a longer one).
 * Equal digests mean the same version: dots never repeat, and the value part
 * catches most cases of one dot holding two writes (a bug or a lost disk;
 * anti-entropy, whose digests cover whole values, finds the rest). Siblings
 * are taken in stored order, so two replicas holding the same siblings in
 * another order differ: the peer then sends its copy, which costs bytes,
 * never correctness. null: no copy.
 *
 * Two 32-bit multiplicative hashes in JS, not MD5, and not over a whole long
 * value: this runs on every read on both sides, and hashing a 1 KiB value
 * cost more than sending it on loopback. Nobody chooses dots, so a
 * non-cryptographic hash suffices. A copy's digest is kept with it (cached
 * records are shared objects), so a hot key is hashed once per version.
 */
export function readDigest(obj: VersionedObject | undefined): bigint | null {
  if (!obj) return null;
  let d = known.get(obj);
  if (d === undefined) {
    d = digestOf(obj);
    known.set(obj, d);
  }
  return d;
}

const known = new WeakMap<VersionedObject, bigint>();
/** Bytes hashed at each end of a long value. */
const EDGE = 64;

function digestOf(obj: VersionedObject): bigint {
  const ids = Object.keys(obj.clock);
  if (ids.length > 1) ids.sort();
  let meta = '';
  for (const id of ids) meta += `${id}\u0000${obj.clock[id]!}\u0000`;
  for (const s of obj.siblings) meta += `\u0001${s.dot.node}\u0000${s.dot.counter}\u0000${s.ts}\u0000${s.expireAt}\u0000${s.tombstone ? 1 : 0}\u0000${s.value.length}`;
  const h = new Lanes();
  for (let i = 0; i < meta.length; i++) h.mix(meta.charCodeAt(i));
  for (const s of obj.siblings) h.bytes(s.value);
  return (BigInt(h.a >>> 0) << 32n) | BigInt(h.b >>> 0);
}

class Lanes {
  a = 0x811c9dc5;
  b = 0x2545f491;

  mix(w: number): void {
    this.a = Math.imul(this.a ^ w, 0x01000193);
    this.b = Math.imul(this.b + w, 0x5bd1e995) ^ (this.b >>> 13);
  }

  /** A short value whole, a long one at both ends. */
  bytes(v: Buffer): void {
    if (v.length <= 2 * EDGE) return this.range(v, 0, v.length);
    this.range(v, 0, EDGE);
    this.range(v, v.length - EDGE, v.length);
  }

  /** Four bytes a step (a DataView reads at any offset: values are slices of their record). */
  private range(v: Buffer, from: number, to: number): void {
    const view = new DataView(v.buffer, v.byteOffset, v.length);
    const end = from + ((to - from) & ~3);
    for (let i = from; i < end; i += 4) this.mix(view.getInt32(i, true));
    for (let i = end; i < to; i++) this.mix(v[i]!);
  }
}
