import assert from 'node:assert/strict';
import fc from 'fast-check';
import t from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { decodeContext, decodeObject, encodeContext, encodeObject } from '../../src/versioning/codec.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { assertValidObject, clockArb, holds, objectArb, onlyQkvErrors } from './helpers.js';
import { historyArb, runHistory } from './history.js';

const RUNS = 400;

t.test('objects and contexts round-trip', async (t) => {
  holds(
    t,
    'decodeObject(encodeObject(o)) is o, and encodes to the same bytes',
    fc.property(objectArb, (o) => {
      const bytes = encodeObject(o);
      const back = decodeObject(bytes);
      assert.deepStrictEqual(back, o);
      return encodeObject(back).equals(bytes);
    }),
    RUNS,
  );
  holds(
    t,
    'every version a history produces round-trips',
    fc.property(historyArb(20), (h) => {
      for (const s of runHistory(h.nodes, h.steps).states) assert.deepStrictEqual(decodeObject(encodeObject(s)), s);
      return true;
    }),
    100,
  );
  holds(
    t,
    'decodeContext(encodeContext(c)) is c, in base64url',
    fc.property(clockArb, (c) => {
      const text = encodeContext(c);
      assert.deepStrictEqual(decodeContext(text), c);
      assert.deepStrictEqual(decodeContext(Buffer.from(text, 'latin1')), c);
      return /^[A-Za-z0-9_-]*$/.test(text);
    }),
    RUNS,
  );
});

/** Ways to damage an encoding: overwrite, insert or delete bytes, or cut it short. */
const damageArb = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  ),
  { minLength: 1, maxLength: 4 },
);

type Damage = typeof damageArb extends fc.Arbitrary<Array<infer T>> ? T : never;

function damage(buf: Buffer, edits: readonly Damage[]): Buffer {
  const b = [...buf];
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % b.length;
    if (e.kind === 'set' && b.length > 0) b[at] = e.byte;
    else if (e.kind === 'insert') b.splice(at, 0, e.byte);
    else if (e.kind === 'delete') b.splice(at, 1);
    else if (e.kind === 'cut') b.length = at;
  }
  return Buffer.from(b);
}

function decodesSafely(buf: Buffer): boolean {
  const obj = onlyQkvErrors(() => decodeObject(buf));
  if (obj) assertValidObject(obj);
  return true;
}

t.test('damaged bytes decode to a valid object or throw a QkvError', async (t) => {
  holds(t, 'random bytes', fc.property(fc.uint8Array({ maxLength: 64 }), (b) => decodesSafely(Buffer.from(b))), RUNS);
  holds(
    t,
    'random bytes after the format byte',
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => decodesSafely(Buffer.concat([Buffer.from([1]), b]))),
    RUNS,
  );
  holds(
    t,
    'a valid encoding with bytes overwritten, inserted, deleted or cut',
    fc.property(objectArb, damageArb, (o, edits) => decodesSafely(damage(encodeObject(o), edits))),
    RUNS * 2,
  );
});

t.test('decodeContext refuses junk with ERR invalid context', async (t) => {
  const refusesOrValid = (input: string | Buffer): boolean => {
    try {
      const clock = decodeContext(input);
      for (const n of Object.keys(clock)) assert.ok(Number.isSafeInteger(clock[n]) && clock[n]! >= 0);
      return true;
    } catch (e) {
      assert.ok(e instanceof QkvError, `threw ${String(e)}`);
      assert.equal(e.toReplyText(), 'ERR invalid context');
      return true;
    }
  };
  // Any UTF-16 code unit, lone surrogates included (fast-check's 'binary' unit takes most of a second to build).
  const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
  holds(t, 'any text', fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: codeUnit, maxLength: 40 })), refusesOrValid), RUNS);
  holds(t, 'any base64url', fc.property(fc.base64String({ maxLength: 40 }), (s) => refusesOrValid(s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'))), RUNS);
  holds(t, 'any bytes', fc.property(fc.uint8Array({ maxLength: 40 }), (b) => refusesOrValid(Buffer.from(b))), RUNS);
  holds(
    t,
    'damaged contexts',
    fc.property(clockArb, damageArb, (c, edits) => refusesOrValid(damage(Buffer.from(encodeContext(c), 'base64url'), edits).toString('base64url'))),
    RUNS,
  );
  for (const junk of ['', 'not a context!', 'AAAA====', 'a+b/', '\u00e9', 'AQ', encodeContext({ a: 1 }) + 'AA']) {
    t.throws(() => decodeContext(junk), { code: 'ERR', message: 'invalid context' }, `refuses ${JSON.stringify(junk)}`);
  }
  t.equal(encodeContext({}), 'AA', 'the empty clock is one byte');
  t.same(decodeContext('AA'), {});
});

/** One sibling, dot a:counter, with the given clock entry for a; ts and flags as given. */
function record(opts: { entry?: number; counter?: number; ts?: number; flags?: number; siblings?: number; tail?: number[] } = {}): Buffer {
  const { entry = 2, counter = 1, ts = 5, flags = 0, siblings = 1, tail = [] } = opts;
  const f64 = Buffer.alloc(8);
  f64.writeDoubleBE(ts);
  const one = [0, counter, ...f64, flags, ...(flags & 2 ? f64 : []), 1, 120];
  return Buffer.from([1, 1, 1, 97, entry, siblings, ...Array.from({ length: siblings }, () => one).flat(), ...tail]);
}

t.test('corrupt records: each check', async (t) => {
  t.same(decodeObject(record()).siblings[0]!.dot, { node: 'a', counter: 1 }, 'the hand-made record is valid');
  t.equal(decodeObject(record({ flags: 3 })).siblings[0]!.expireAt, 5);
  const cases: Array<[string, Buffer, string]> = [
    ['empty', Buffer.alloc(0), 'truncated'],
    ['format 2', Buffer.from([2]), 'unknown format'],
    ['duplicate clock entry', Buffer.from([1, 2, 1, 97, 1, 1, 97, 1, 0]), 'duplicate clock entry'],
    ['dot index out of range', Buffer.from([1, 0, 1, 0, 1]), 'dot index out of range'],
    ['trailing bytes', record({ tail: [0] }), 'trailing bytes'],
    ['a varint of 8 continued bytes', Buffer.from([1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]), 'varint too long'],
    ['a number past 2^53', Buffer.from([1, 1, 1, 97, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10, 0]), 'number too large'],
    // These used to decode: counter 0 is covered by every clock (a merge would drop the sibling),
    // a dot past the clock breaks the merge rules, and NaN makes the newest sibling depend on order.
    ['dot counter 0', record({ counter: 0 }), 'sibling dot outside the clock'],
    ['dot past its clock entry', record({ entry: 1, counter: 2 }), 'sibling dot outside the clock'],
    ['one dot twice', record({ siblings: 2 }), 'duplicate sibling dot'],
    ['NaN timestamp', record({ ts: NaN }), 'timestamp is not a number'],
    ['NaN expiry', record({ ts: NaN, flags: 2 }), 'timestamp is not a number'],
  ];
  for (const [name, buf, why] of cases) {
    t.throws(() => decodeObject(buf), { code: 'ERR', message: `corrupt version data: ${why}` }, name);
  }
  const outside: VersionedObject = { clock: { a: 1 }, siblings: [{ dot: { node: 'b', counter: 1 }, value: Buffer.alloc(0), ts: 0, tombstone: false, expireAt: 0 }] };
  t.throws(() => encodeObject(outside), { code: 'ERR', message: 'corrupt version data: sibling dot outside the clock' });
  const big = { clock: { a: 2 }, siblings: [{ dot: { node: 'a', counter: 1 }, value: Buffer.alloc(300, 7), ts: 1, tombstone: true, expireAt: 9 }] };
  t.same(decodeObject(encodeObject(big)), big, 'a value longer than the first buffer');
});
