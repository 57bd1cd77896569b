import t from 'tap';
import { applyWrite, mergeObjects, visibleSibling, liveSiblings } from '../../src/versioning/object.js';
import { encodeObject, decodeObject, encodeContext, decodeContext } from '../../src/versioning/codec.js';

const payload = (v: string, ts = 1) => ({ value: Buffer.from(v), tombstone: false, expireAt: 0, ts });

t.test('blind writes become siblings, a context write resolves them', async (t) => {
  const a = applyWrite(undefined, {}, 'a', payload('x'));
  const b = applyWrite(a, {}, 'a', payload('y', 2));
  t.equal(liveSiblings(b, 0).length, 2);
  const c = applyWrite(b, b.clock, 'a', payload('z', 3));
  t.same(liveSiblings(c, 0).map((s) => s.value.toString()), ['z']);
  t.equal(visibleSibling(c, 0)?.value.toString(), 'z');
});

t.test('merge keeps concurrent siblings from both sides', async (t) => {
  const a = applyWrite(undefined, {}, 'a', payload('x'));
  const b = applyWrite(undefined, {}, 'b', payload('y'));
  const m = mergeObjects(a, b);
  t.equal(m.siblings.length, 2);
  t.same(mergeObjects(m, a), m);
  t.same(decodeObject(encodeObject(m)), m);
  t.same(decodeContext(encodeContext(m.clock)), m.clock);
});
