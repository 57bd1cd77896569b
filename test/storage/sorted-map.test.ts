import fc from 'fast-check';
import t from 'tap';
import { SortedBufferMap } from '../../src/storage/sorted-map.js';

/** A plain model: a Map plus sorting on every read. */
class Model {
  readonly map = new Map<string, string>();

  sorted(): Array<[string, string]> {
    return [...this.map.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')));
  }
}

const keyArb = fc.uint8Array({ minLength: 1, maxLength: 3, max: 15 }).map((a) => Buffer.from(a).toString('hex'));

type Op = { kind: 'set'; key: string; value: string } | { kind: 'del'; key: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), key: keyArb, value: fc.string({ maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('del' as const), key: keyArb }) },
);

t.test('matches a sorted model through random sets and deletes, across chunk splits', async (t) => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 0, maxLength: 3000, size: 'max' }), fc.option(keyArb, { nil: undefined }), fc.option(keyArb, { nil: undefined }), fc.nat(50), (ops, gte, lt, max) => {
      const map = new SortedBufferMap();
      const model = new Model();
      for (const op of ops) {
        const k = Buffer.from(op.key, 'hex');
        if (op.kind === 'set') {
          map.set(k, Buffer.from(op.value));
          model.map.set(op.key, op.value);
        } else {
          const had = model.map.delete(op.key);
          if (map.delete(k) !== had) return false;
        }
      }
      const expected = model.sorted();
      if (map.size !== expected.length) return false;
      const all = map.slice({}, false, Infinity).map(([k, v]) => [k.toString('hex'), v.toString()]);
      if (JSON.stringify(all) !== JSON.stringify(expected)) return false;
      const inRange = expected.filter(([k]) => {
        const b = Buffer.from(k, 'hex');
        return (!gte || Buffer.compare(b, Buffer.from(gte, 'hex')) >= 0) && (!lt || Buffer.compare(b, Buffer.from(lt, 'hex')) < 0);
      });
      const bounds = { gte: gte ? Buffer.from(gte, 'hex') : undefined, lt: lt ? Buffer.from(lt, 'hex') : undefined };
      const fwd = map.slice(bounds, false, max).map(([k]) => k.toString('hex'));
      const rev = map.slice(bounds, true, max).map(([k]) => k.toString('hex'));
      const want = inRange.map(([k]) => k);
      if (JSON.stringify(fwd) !== JSON.stringify(want.slice(0, max))) return false;
      if (JSON.stringify(rev) !== JSON.stringify([...want].reverse().slice(0, max))) return false;
      for (const [k, v] of expected) if (map.get(Buffer.from(k, 'hex'))?.toString() !== v) return false;
      const bytes = expected.reduce((n, [k, v]) => n + k.length / 2 + Buffer.byteLength(v), 0);
      return map.byteSize === bytes;
    }),
    { numRuns: 60 },
  );
  t.pass('model and map agree');
});

t.test('slice resumes strictly after a key in both directions', async (t) => {
  const map = new SortedBufferMap();
  for (let i = 0; i < 2000; i++) map.set(Buffer.from(String(i).padStart(4, '0')), Buffer.from('v'));
  const walk = (reverse: boolean): string[] => {
    const out: string[] = [];
    let after: Buffer | undefined;
    for (;;) {
      const chunk = map.slice({ gte: Buffer.from('0100'), lt: Buffer.from('1900') }, reverse, 333, after);
      out.push(...chunk.map(([k]) => k.toString()));
      if (chunk.length < 333) return out;
      after = chunk[chunk.length - 1]![0];
    }
  };
  const forward = walk(false);
  t.equal(forward.length, 1800);
  t.equal(forward[0], '0100');
  t.equal(forward[1799], '1899');
  t.same(walk(true), [...forward].reverse());
  const from = (after: string, reverse: boolean): string[] => map.slice({}, reverse, 2, Buffer.from(after)).map(([k]) => k.toString());
  t.same(from('0500x', false), ['0501', '0502'], 'resumes after a key that is not stored');
  t.same(from('0500x', true), ['0500', '0499']);
  t.same(from('1999', false), []);
  t.same(from('0000', true), []);
  for (let i = 0; i < 1000; i++) map.delete(Buffer.from(String(i).padStart(4, '0')));
  t.equal(map.size, 1000, 'whole chunks emptied and dropped');
  t.same(map.slice({}, false, 1).map(([k]) => k.toString()), ['1000']);
  t.same(map.slice({}, true, 1).map(([k]) => k.toString()), ['1999']);
  map.clear();
  t.equal(map.size, 0);
  t.same(map.slice({}, true, 10), []);
  t.equal(map.get(Buffer.from('0001')), undefined);
  t.equal(map.delete(Buffer.from('0001')), false);
});
