import fc from 'fast-check';
import { RING_SIZE } from '../../src/core/hash.js';
import type { MemberState, RingMember } from '../../src/ring/index.js';

export const MAX_HASH = RING_SIZE - 1n;

export function member(id: string, rack = 'r1', vnodes = 8, state: MemberState = 'normal', dc = 'dc1'): RingMember {
  return { id, rack, dc, vnodes, state };
}

/** `count` normal members n0..n{count-1} spread over `racks` racks. */
export function members(count: number, vnodes: number, racks = 1): RingMember[] {
  return Array.from({ length: count }, (_, i) => member(`n${i}`, `r${i % racks}`, vnodes));
}

/** A token function from a fixed table, for rings whose layout a test spells out. */
export function fixedTokens(table: Record<string, bigint[]>): (id: string, i: number) => bigint {
  return (id, i) => {
    const t = table[id]?.[i];
    if (t === undefined) throw new Error(`no token ${i} for ${id}`);
    return t;
  };
}

/** The rack key the ring uses: racks are per data centre. */
export function rackKey(m: RingMember): string {
  return `${m.dc}/${m.rack}`;
}

export const hashArb = fc.bigInt({ min: 0n, max: MAX_HASH });

const idArb = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);

export const memberArb = fc.record({
  id: idArb,
  rack: fc.constantFrom('r1', 'r2', 'r3', 'r4'),
  dc: fc.constantFrom('dc1', 'dc1', 'dc2'),
  vnodes: fc.integer({ min: 1, max: 12 }),
  state: fc.constant<MemberState>('normal'),
});

/** Between 1 and `max` normal members with distinct ids. */
export function membersArb(max = 9): fc.Arbitrary<RingMember[]> {
  return fc.uniqueArray(memberArb, { selector: (m) => m.id, minLength: 1, maxLength: max });
}

/** Members plus one more member whose id is not among them. */
export function joinArb(max = 9): fc.Arbitrary<{ base: RingMember[]; joiner: RingMember }> {
  return fc
    .uniqueArray(memberArb, { selector: (m) => m.id, minLength: 2, maxLength: max + 1 })
    .map((all) => ({ base: all.slice(1), joiner: all[0]! }));
}

export const nArb = fc.integer({ min: 1, max: 5 });

/** Reference lookup: first token strictly greater than hash, by plain binary search. */
export function referenceOwnerIndex(tokens: readonly bigint[], hash: bigint): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tokens[mid]! <= hash) lo = mid + 1;
    else hi = mid;
  }
  return lo === tokens.length ? 0 : lo;
}
