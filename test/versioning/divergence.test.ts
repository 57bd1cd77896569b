import t from 'tap';
import { actorId, DotIssuer } from '../../src/versioning/actor.js';
import { divergentDots, mergeKeepingDivergent, sameContent } from '../../src/versioning/divergence.js';
import { mergeObjects } from '../../src/versioning/object.js';
import type { Sibling, VersionedObject } from '../../src/versioning/types.js';

const sib = (node: string, counter: number, v: string, ts = 1): Sibling => ({ dot: { node, counter }, value: Buffer.from(v), ts, tombstone: false, expireAt: 0 });
const obj = (...siblings: Sibling[]): VersionedObject => {
  const clock: Record<string, number> = {};
  for (const s of siblings) clock[s.dot.node] = Math.max(clock[s.dot.node] ?? 0, s.dot.counter);
  return { clock, siblings };
};

t.test('one dot holding two writes: a plain merge keeps one, mergeKeepingDivergent keeps both', async (t) => {
  const before = obj(sib('n3', 1, 'before', 10));
  const after = obj(sib('n3', 1, 'after', 20));
  t.same(divergentDots(before, after), [{ node: 'n3', counter: 1 }]);
  t.equal(mergeObjects(before, after).siblings.length, 1, 'the plain merge hides one write');
  const dots = new DotIssuer(actorId('n1', 7));
  const m = mergeKeepingDivergent(before, after, dots);
  t.equal(m.divergent, 1);
  t.same(m.merged.siblings.map((s) => s.value.toString()).sort(), ['after', 'before']);
  const redotted = m.merged.siblings.find((s) => s.dot.node === dots.actor)!;
  t.equal(redotted.value.toString(), 'after', 'the write ordered second moves to a new dot of this replica');
  t.equal(m.merged.clock[dots.actor], redotted.dot.counter);
  // The other order of arguments keeps the same write under the old dot.
  const m2 = mergeKeepingDivergent(after, before, new DotIssuer(actorId('n2', 7)));
  t.equal(m2.merged.siblings.find((s) => s.dot.node === 'n3')!.value.toString(), 'before');
});

t.test('same content under one dot is no divergence; different flags and expiry are', async (t) => {
  const a = sib('n1', 1, 'x');
  t.ok(sameContent(a, { ...a, value: Buffer.from('x') }));
  t.notOk(sameContent(a, { ...a, tombstone: true }));
  t.notOk(sameContent(a, { ...a, expireAt: 5 }));
  const m = mergeKeepingDivergent(obj(a), obj({ ...a }), new DotIssuer('n9~1'));
  t.equal(m.divergent, 0);
  t.same(divergentDots(obj(), obj(a)), []);
  // Tie on timestamps: tombstone first, then expiry, then bytes decide, so every replica keeps the same one.
  const tomb = { ...a, tombstone: true, value: Buffer.alloc(0) };
  t.equal(mergeKeepingDivergent(obj(a), obj(tomb), new DotIssuer('n9~1')).merged.siblings.find((s) => s.dot.node === 'n1')!.tombstone, true);
  const exp = { ...a, expireAt: 9 };
  t.equal(mergeKeepingDivergent(obj(exp), obj(a), new DotIssuer('n9~1')).merged.siblings.find((s) => s.dot.node === 'n1')!.expireAt, 0);
  const other = { ...a, value: Buffer.from('y') };
  t.equal(mergeKeepingDivergent(obj(other), obj(a), new DotIssuer('n9~1')).merged.siblings.find((s) => s.dot.node === 'n1')!.value.toString(), 'x');
});
