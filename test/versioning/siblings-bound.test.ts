import fc from 'fast-check';
import t from 'tap';
import { covers, joinClocks } from '../../src/versioning/clock.js';
import { applyWrite, emptyObject, mergeObjects } from '../../src/versioning/object.js';
import type { Dot, VersionVector, VersionedObject } from '../../src/versioning/types.js';
import { holds, mergeInTree } from './helpers.js';

const RUNS = 250;
const NODES = ['n1', 'n2', 'n3'];

/**
 * K clients on three replicas. A client reads any replica (possibly stale),
 * then writes through any replica with the context of what it read joined
 * with the context its own last write returned (QSET replies with it), so
 * each client's writes are causally ordered and only clients are concurrent.
 */
type Op = { readonly op: 'rmw'; readonly client: number; readonly read: number; readonly via: number } | { readonly op: 'merge'; readonly from: number; readonly to: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('rmw' as const), client: fc.nat(), read: fc.nat(), via: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('merge' as const), from: fc.nat(), to: fc.nat() }) },
);

const clientsArb = fc.record({ k: fc.integer({ min: 1, max: 5 }), ops: fc.array(opArb, { maxLength: 40 }), picks: fc.array(fc.nat(), { maxLength: 6 }) });

const payload = (value: string) => ({ value: Buffer.from(value), tombstone: false, expireAt: 0, ts: 1 });

function writerOf(obj: VersionedObject): string[] {
  return obj.siblings.map((s) => s.value.toString().split(':')[0]!);
}

t.test('read-modify-write clients: never more siblings than concurrent writers', async (t) => {
  holds(
    t,
    'at most K siblings anywhere, at most one per client; the last merge keeps each write no other write read',
    fc.property(clientsArb, ({ k, ops, picks }) => {
      const replicas: VersionedObject[] = NODES.map(() => emptyObject());
      const states: VersionedObject[] = [emptyObject()];
      const returned: VersionVector[] = Array.from({ length: k }, () => ({}));
      const writes: Array<{ dot: Dot; context: VersionVector }> = [];
      let n = 0;
      for (const o of ops) {
        if (o.op === 'rmw') {
          const c = o.client % k;
          const r = o.via % NODES.length;
          const context = joinClocks(replicas[o.read % NODES.length]!.clock, returned[c]!);
          replicas[r] = applyWrite(replicas[r], context, NODES[r]!, payload(`c${c}:${n++}`));
          returned[c] = replicas[r]!.clock;
          writes.push({ dot: { node: NODES[r]!, counter: replicas[r]!.clock[NODES[r]!]! }, context });
          states.push(replicas[r]!);
        } else {
          const r = o.to % NODES.length;
          replicas[r] = mergeObjects(replicas[r]!, states[o.from % states.length]!);
          states.push(replicas[r]!);
        }
        for (const obj of replicas) {
          const writers = writerOf(obj);
          if (writers.length > k || new Set(writers).size !== writers.length) return false;
        }
      }
      const unread = writes.filter((w) => !writes.some((o) => covers(o.context, w.dot)));
      return mergeInTree(replicas, picks).siblings.length === unread.length && unread.length <= k;
    }),
    RUNS,
  );
  holds(
    t,
    'one client alone never makes a sibling',
    fc.property(clientsArb, ({ ops }) => {
      const replicas: VersionedObject[] = NODES.map(() => emptyObject());
      let returned: VersionVector = {};
      for (const o of ops) {
        if (o.op === 'merge') {
          replicas[o.to % 3] = mergeObjects(replicas[o.to % 3]!, replicas[o.from % 3]!);
          continue;
        }
        const r = o.via % 3;
        replicas[r] = applyWrite(replicas[r], joinClocks(replicas[o.read % 3]!.clock, returned), NODES[r]!, payload('c0'));
        returned = replicas[r]!.clock;
        if (replicas.some((obj) => obj.siblings.length > 1)) return false;
      }
      return true;
    }),
    RUNS,
  );
});

t.test('blind writes: one more sibling each', async (t) => {
  holds(
    t,
    'each blind write adds exactly one sibling where it lands, and all of them meet in the merge',
    fc.property(
      fc.array(fc.record({ via: fc.nat(), mergeFrom: fc.option(fc.nat(), { nil: undefined }) }), { minLength: 1, maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (writes, picks) => {
        const replicas: VersionedObject[] = NODES.map(() => emptyObject());
        for (const [i, w] of writes.entries()) {
          const r = w.via % 3;
          if (w.mergeFrom !== undefined) replicas[r] = mergeObjects(replicas[r]!, replicas[w.mergeFrom % 3]!);
          const before = replicas[r]!.siblings.length;
          replicas[r] = applyWrite(replicas[r], {}, NODES[r]!, payload(`b${i}`));
          if (replicas[r]!.siblings.length !== before + 1) return false;
        }
        return mergeInTree(replicas, picks).siblings.length === writes.length;
      },
    ),
    RUNS,
  );
});

t.test('plain SET (the coordinator supersedes what it holds) leaves one sibling there', async (t) => {
  let obj: VersionedObject | undefined;
  for (let i = 0; i < 3; i++) obj = applyWrite(obj, {}, `n${i}`, payload(`b${i}`));
  t.equal(obj!.siblings.length, 3);
  obj = applyWrite(obj, obj!.clock, 'n1', payload('set'));
  t.same(obj.siblings.map((s) => s.value.toString()), ['set']);
});
