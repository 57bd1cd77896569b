import t from 'tap';
import fc from 'fast-check';
import { Ring, totalReplicas, validateDcReplicas, type DcReplicas, type RingMember } from '../../src/ring/index.js';
import { fixedTokens, hashArb, member, rackKey } from './helpers.js';

const runs = { numRuns: 150 };
const SPEC: DcReplicas = [
  { dc: 'dc1', count: 2 },
  { dc: 'dc2', count: 2 },
];

/** Up to 12 members over dc1, dc2 and dc3 (dc3 is named by no spec), 1 to 3 racks each. */
const dcMemberArb = fc.record({
  id: fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/),
  rack: fc.constantFrom('r1', 'r2', 'r3'),
  dc: fc.constantFrom('dc1', 'dc2', 'dc3'),
  vnodes: fc.integer({ min: 1, max: 12 }),
  state: fc.constant<RingMember['state']>('normal'),
});
const dcMembersArb = fc.uniqueArray(dcMemberArb, { selector: (m) => m.id, minLength: 1, maxLength: 12 });
const specArb: fc.Arbitrary<DcReplicas> = fc
  .subarray(['dc1', 'dc2', 'dc3'], { minLength: 1 })
  .chain((dcs) => fc.tuple(...dcs.map((dc) => fc.integer({ min: 1, max: 4 }).map((count) => ({ dc, count })))));

function inDc(ring: Ring, ids: readonly string[], dc: string): string[] {
  return ids.filter((id) => ring.member(id)!.dc === dc);
}

t.test('each named DC holds its count of replicas (or all its nodes), on distinct racks where it has enough', async (t) => {
  fc.assert(
    fc.property(dcMembersArb, specArb, hashArb, (ms, spec, h) => {
      const ring = Ring.build(ms, { replicasPerDc: spec });
      const n = totalReplicas(spec);
      const list = ring.preferenceList(h, n);
      if (new Set(list).size !== list.length) return false;
      let expected = 0;
      for (const { dc, count } of spec) {
        const owners = inDc(ring, ring.owners, dc);
        const mine = inDc(ring, list, dc);
        if (mine.length !== Math.min(count, owners.length)) return false;
        const racks = new Set(owners.map((id) => rackKey(ring.member(id)!)));
        const used = new Set(mine.map((id) => rackKey(ring.member(id)!)));
        if (used.size !== Math.min(mine.length, racks.size)) return false;
        expected += mine.length;
      }
      // The list is DC by DC in the spec's order, and no DC outside the spec holds a home replica.
      const order = list.map((id) => spec.findIndex((e) => e.dc === ring.member(id)!.dc));
      return list.length === expected && order.every((k, i) => k >= 0 && (i === 0 || k >= order[i - 1]!));
    }),
    runs,
  );
  t.pass('held');
});

t.test('fallbacks are every other owner, and the list of fewer than N is a prefix', async (t) => {
  fc.assert(
    fc.property(dcMembersArb, specArb, hashArb, (ms, spec, h) => {
      const ring = Ring.build(ms, { replicasPerDc: spec });
      const n = totalReplicas(spec);
      const list = ring.preferenceList(h, n);
      const all = [...list, ...ring.fallbacks(h, n, () => true)];
      if (all.length !== ring.owners.length || new Set(all).size !== all.length) return false;
      for (let k = 1; k < n; k++) {
        const shorter = ring.preferenceList(h, k);
        if (shorter.join() !== list.slice(0, shorter.length).join()) return false;
        const rest = ring.fallbacks(h, k, () => true);
        if ([...shorter, ...rest].join() !== all.join()) return false;
      }
      return true;
    }),
    runs,
  );
  t.pass('held');
});

t.test('a join moves keys only to the new node, in its own DC', async (t) => {
  fc.assert(
    fc.property(fc.uniqueArray(dcMemberArb, { selector: (m) => m.id, minLength: 2, maxLength: 12 }), specArb, fc.array(hashArb, { minLength: 1, maxLength: 20 }), (all, spec, hashes) => {
      const joiner = all[0]!;
      const before = Ring.build(all.slice(1), { replicasPerDc: spec });
      const after = Ring.build(all, { replicasPerDc: spec });
      const n = totalReplicas(spec);
      for (const h of hashes) {
        const old = before.preferenceList(h, n);
        const now = after.preferenceList(h, n);
        const gained = now.filter((id) => !old.includes(id));
        const lost = old.filter((id) => !now.includes(id));
        if (gained.length > 1 || (gained.length === 1 && gained[0] !== joiner.id)) return false;
        if (lost.some((id) => before.member(id)!.dc !== joiner.dc)) return false;
        if (gained.length === 0 && lost.length > 0) return false;
      }
      return true;
    }),
    runs,
  );
  t.pass('held');
});

t.test('within a DC, replicas are the DC\'s first nodes clockwise, one per rack first', async (t) => {
  // Clockwise from 0: a(dc1,r1) b(dc2,r1) c(dc1,r1) d(dc1,r2) e(dc2,r2) f(dc2,r2) g(dc3)
  const tokens = fixedTokens({ a: [10n], b: [20n], c: [30n], d: [40n], e: [50n], f: [60n], g: [70n] });
  const ms = [
    member('a', 'r1', 1, 'normal', 'dc1'),
    member('b', 'r1', 1, 'normal', 'dc2'),
    member('c', 'r1', 1, 'normal', 'dc1'),
    member('d', 'r2', 1, 'normal', 'dc1'),
    member('e', 'r2', 1, 'normal', 'dc2'),
    member('f', 'r2', 1, 'normal', 'dc2'),
    member('g', 'r1', 1, 'normal', 'dc3'),
  ];
  const ring = Ring.build(ms, { tokenOf: tokens, replicasPerDc: SPEC });
  t.same(ring.preferenceList(5n, 4), ['a', 'd', 'b', 'e'], 'c is skipped for d, on the other rack of dc1');
  t.same(ring.fallbacks(5n, 4, () => true), ['c', 'f', 'g'], 'the rest clockwise');
  t.same(ring.fallbacks(5n, 4, (id) => id !== 'c'), ['f', 'g']);
  t.same(ring.preferenceList(45n, 4), ['a', 'd', 'e', 'b'], 'from e: dc2 takes b on its other rack before f');
  t.same(ring.preferenceList(45n, 2), ['a', 'd'], 'a shorter list is a prefix');
  t.equal(ring.dcOf('e'), 'dc2');
  t.equal(ring.dcOf('zz'), undefined);
  t.same(Ring.build(ms, { tokenOf: tokens }).preferenceList(5n, 4), ['a', 'b', 'd', 'e'], 'without the option: the first N owners, racks first');
  const two = Ring.build(ms.slice(0, 2), { tokenOf: tokens, replicasPerDc: [{ dc: 'dc1', count: 3 }] });
  t.same(two.preferenceList(5n, 3), ['a'], 'a DC short of nodes gives all it has, and nothing from elsewhere');
  t.same(two.fallbacks(5n, 3, () => true), ['b']);
  const pending = Ring.build([...ms.slice(0, 6), { ...ms[6]!, dc: 'dc2', state: 'joining' }], { tokenOf: tokens, replicasPerDc: SPEC });
  t.same(pending.pending().replicasPerDc, SPEC, 'the pending ring places alike');
  t.same(pending.pendingPreferenceList(55n, 4), ['a', 'd', 'f', 'g'], 'the joiner takes its place in dc2');
});

t.test('replicas per DC are checked', async (t) => {
  t.throws(() => validateDcReplicas([]), /name no DC/);
  t.throws(() => validateDcReplicas([{ dc: 'a', count: 1 }, { dc: 'a', count: 2 }]), /appears twice/);
  t.throws(() => validateDcReplicas([{ dc: 'a', count: 0 }]), /positive integer/);
  t.throws(() => Ring.build([member('a')], { replicasPerDc: [{ dc: 'a', count: 1.5 }] }), /positive integer/);
  t.equal(totalReplicas(SPEC), 4);
});
