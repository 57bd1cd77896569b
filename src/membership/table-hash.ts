import type { MemberRecord } from './member-state.js';

/**
 * An order-free hash of a member table, kept up to date per change: the XOR
 * of a 64-bit hash (two 32-bit FNV-1a lanes) of each record's id,
 * incarnation and status. Toggling a record in and out is the same
 * operation, so replacing a record costs two hashes, not a pass over the
 * table. Two nodes whose hashes agree hold the same table (up to a 2^-64
 * chance), which lets push-pull skip the exchange in a quiet cluster.
 */
export class TableHash {
  private lo = 0;
  private hi = 0;

  /** Adds a record to the hash, or removes it if it is in. */
  toggle(rec: MemberRecord): void {
    const key = `${rec.info.id}\u0000${rec.info.incarnation}\u0000${rec.status}`;
    this.lo = (this.lo ^ fnv1a(key, 0x811c9dc5)) >>> 0;
    this.hi = (this.hi ^ fnv1a(key, 0x050c5d1f)) >>> 0;
  }

  value(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

function fnv1a(s: string, basis: number): number {
  let h = basis;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche: FNV alone leaves similar keys (n001, n002) with similar low bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}
