import t from 'tap';
import fc from 'fast-check';
import { RING_SIZE } from '../../src/core/hash.js';
import { Ring, diffRings, type RingMember } from '../../src/ring/index.js';
import { hashArb, joinArb, membersArb, nArb, rackKey } from './helpers.js';

const runs = { numRuns: 150 };

function racksOf(ring: Ring, ids: readonly string[]): string[] {
  return ids.map((id) => rackKey(ring.member(id)!));
}

t.test('a preference list is n distinct owners, or every owner when there are fewer', async (t) => {
  fc.assert(
    fc.property(membersArb(), hashArb, nArb, (ms, h, n) => {
      const ring = Ring.build(ms);
      const list = ring.preferenceList(h, n);
      if (list.length !== Math.min(n, ring.owners.length)) return false;
      if (new Set(list).size !== list.length) return false;
      return list.every((id) => ring.owners.includes(id));
    }),
    runs,
  );
  t.pass('held');
});

t.test('replicas sit on distinct racks when there are at least n racks, and cover every rack otherwise', async (t) => {
  fc.assert(
    fc.property(membersArb(), hashArb, nArb, (ms, h, n) => {
      const ring = Ring.build(ms);
      const allRacks = new Set(racksOf(ring, ring.owners));
      const listRacks = racksOf(ring, ring.preferenceList(h, n));
      if (allRacks.size >= n) return new Set(listRacks).size === listRacks.length;
      return new Set(listRacks).size === allRacks.size;
    }),
    runs,
  );
  t.pass('held');
});

t.test('the ring follows from the member set, whatever its order', async (t) => {
  fc.assert(
    fc.property(
      membersArb().chain((ms) => fc.tuple(fc.constant(ms), fc.shuffledSubarray(ms, { minLength: ms.length }))),
      fc.array(hashArb, { minLength: 1, maxLength: 20 }),
      nArb,
      ([ms, shuffled], hashes, n) => {
        const a = Ring.build(ms);
        const b = Ring.build(shuffled);
        const show = (ring: Ring): string => ring.ranges(n).map((r) => `${r.start}-${r.end}:${r.owners.join()}`).join(' ');
        if (show(a) !== show(b)) return false;
        return hashes.every((h) => a.preferenceList(h, n).join() === b.preferenceList(h, n).join());
      },
    ),
    { numRuns: 60 },
  );
  t.pass('held');
});

t.test('a list for n is a prefix of the list for n+1, and fallbacks are the rest', async (t) => {
  fc.assert(
    fc.property(membersArb(), hashArb, nArb, (ms, h, n) => {
      const ring = Ring.build(ms);
      const longer = ring.preferenceList(h, n + 1);
      const list = ring.preferenceList(h, n);
      if (list.join() !== longer.slice(0, list.length).join()) return false;
      const all = [...list, ...ring.fallbacks(h, n, () => true)];
      return all.length === ring.owners.length && new Set(all).size === all.length;
    }),
    runs,
  );
  t.pass('held');
});

t.test('a join moves keys only to the new node', async (t) => {
  fc.assert(
    fc.property(joinArb(), fc.array(hashArb, { minLength: 1, maxLength: 30 }), nArb, ({ base, joiner }, hashes, n) => {
      const before = Ring.build(base);
      const after = Ring.build([...base, joiner]);
      for (const h of hashes) {
        const old = before.preferenceList(h, n);
        const now = after.preferenceList(h, n);
        if (!now.includes(joiner.id)) {
          if (now.join() !== old.join()) return false;
          continue;
        }
        const gained = now.filter((id) => !old.includes(id));
        const lost = old.filter((id) => !now.includes(id));
        if (gained.join() !== joiner.id) return false;
        if (lost.length !== (old.length === n ? 1 : 0)) return false;
      }
      return diffRings(before, after, n).every((c) => c.gained.length === 1 && c.gained[0] === joiner.id);
    }),
    runs,
  );
  t.pass('held');
});

t.test('a leave moves only the leaver\'s keys', async (t) => {
  fc.assert(
    fc.property(joinArb(), fc.array(hashArb, { minLength: 1, maxLength: 30 }), nArb, ({ base, joiner: leaver }, hashes, n) => {
      const before = Ring.build([...base, leaver]);
      const after = Ring.build(base);
      for (const h of hashes) {
        const old = before.preferenceList(h, n);
        const now = after.preferenceList(h, n);
        if (!old.includes(leaver.id)) {
          if (now.join() !== old.join()) return false;
          continue;
        }
        const lost = old.filter((id) => !now.includes(id));
        const gained = now.filter((id) => !old.includes(id));
        if (lost.join() !== leaver.id || gained.length > 1) return false;
      }
      return diffRings(before, after, n).every((c) => c.lost.length === 1 && c.lost[0] === leaver.id && c.before.includes(leaver.id));
    }),
    runs,
  );
  t.pass('held');
});

t.test('a ring with a member joining or leaving writes to both the old and the new owners', async (t) => {
  const states = fc.constantFrom<RingMember['state']>('normal', 'joining', 'leaving');
  fc.assert(
    fc.property(membersArb(), fc.array(states, { minLength: 9, maxLength: 9 }), hashArb, nArb, (ms, st, h, n) => {
      const ring = Ring.build(ms.map((m, i) => ({ ...m, state: st[i]! })));
      const targets = ring.writeTargets(h, n);
      const current = ring.preferenceList(h, n);
      const future = ring.pendingPreferenceList(h, n);
      if (new Set(targets).size !== targets.length) return false;
      if (targets.slice(0, current.length).join() !== current.join()) return false;
      if (!future.every((id) => targets.includes(id))) return false;
      return current.every((id) => ring.member(id)!.state !== 'joining') && future.every((id) => ring.member(id)!.state !== 'leaving');
    }),
    runs,
  );
  t.pass('held');
});

t.test('ranges cover the ring exactly once and agree with preferenceList', async (t) => {
  fc.assert(
    fc.property(membersArb(), nArb, hashArb, (ms, n, h) => {
      const ring = Ring.build(ms);
      const ranges = ring.ranges(n);
      if (ranges[0]!.start !== 0n || ranges[ranges.length - 1]!.end !== RING_SIZE) return false;
      for (let i = 0; i < ranges.length; i++) {
        const r = ranges[i]!;
        if (r.start >= r.end) return false;
        if (i > 0 && ranges[i - 1]!.end !== r.start) return false;
        if (ring.preferenceList(r.start, n) !== r.owners || ring.preferenceList(r.end - 1n, n) !== r.owners) return false;
      }
      const holding = ranges.filter((r) => r.start <= h && h < r.end);
      return holding.length === 1 && holding[0]!.owners === ring.preferenceList(h, n);
    }),
    runs,
  );
  t.pass('held');
});

t.test('diff pieces tile the changed parts of the ring and match both rings', async (t) => {
  fc.assert(
    fc.property(membersArb(), membersArb(), nArb, (a, b, n) => {
      const before = Ring.build(a);
      const after = Ring.build(b);
      const changes = diffRings(before, after, n);
      for (let i = 0; i < changes.length; i++) {
        const c = changes[i]!;
        if (c.start >= c.end || (i > 0 && changes[i - 1]!.end > c.start)) return false;
        for (const h of [c.start, c.end - 1n]) {
          if (before.preferenceList(h, n) !== c.before || after.preferenceList(h, n) !== c.after) return false;
        }
        if (c.gained.length + c.lost.length === 0) return false;
      }
      return true;
    }),
    { numRuns: 100 },
  );
  t.pass('held');
});
