import t from 'tap';
import { Writer } from '../../src/versioning/bytes.js';
import {
  applyCollectionOp,
  decodeOp,
  decodeOpReply,
  encodeOp,
  encodeOpReply,
  fieldValue,
  type CollectionOp,
  type OpOutcome,
  type OpReply,
} from '../../src/versioning/collection-ops.js';
import { NO_ORIGIN } from '../../src/versioning/counter.js';
import { counterIncrement, resolveCollection, resolveVisible } from '../../src/versioning/counter-view.js';
import { decodeDotMap, type DotMapState } from '../../src/versioning/dot-map.js';
import { applyWrite, mergeObjects } from '../../src/versioning/object.js';
import type { VersionedObject, WritePayload } from '../../src/versioning/types.js';

const b = (s: string): Buffer => Buffer.from(s);
const MAX = 100;

/** One replica: its copy of the key and the actor it coordinates writes as. */
interface Replica {
  obj: VersionedObject | undefined;
  readonly actor: string;
}

const replica = (actor: string, obj?: VersionedObject): Replica => ({ obj, actor });

/** Applies op as the coordinating replica does and stores the outcome; answers the outcome. */
function run(r: Replica, op: CollectionOp, now = 1000): OpOutcome {
  const out = applyCollectionOp(r.obj, op, r.actor, now);
  if (!('refused' in out)) r.obj = applyWrite(r.obj, r.obj?.clock ?? {}, r.actor, { ...out.payload, ts: now });
  return out;
}

/** The op's reply; fails the test on a refusal. */
function reply(r: Replica, op: CollectionOp, now = 1000): OpReply {
  const out = run(r, op, now);
  if ('refused' in out) throw new Error(`refused: ${out.refused}`);
  return out.reply;
}

function refusal(r: Replica, op: CollectionOp, now = 1000): string | undefined {
  const before = r.obj;
  const out = run(r, op, now);
  if (!('refused' in out)) return undefined;
  if (r.obj !== before) throw new Error('a refused op changed the replica');
  return out.refused;
}

/** Stores a plain write (SET, or DEL as a tombstone) as the coordinating replica does. */
function plain(r: Replica, value: string | null, now = 1000, expireAt = 0): void {
  const payload: WritePayload = { value: value === null ? Buffer.alloc(0) : b(value), tombstone: value === null, expireAt, ts: now };
  r.obj = applyWrite(r.obj, r.obj?.clock ?? {}, r.actor, payload);
}

function incr(r: Replica, delta: bigint, now = 1000): void {
  const inc = counterIncrement(r.obj, r.actor, delta, now);
  if ('refused' in inc) throw new Error(inc.refused);
  r.obj = applyWrite(r.obj, r.obj?.clock ?? {}, r.actor, { ...inc.payload, ts: now });
}

function sync(...rs: Replica[]): void {
  const m = rs.map((r) => r.obj).reduce((x, y) => (x && y ? mergeObjects(x, y) : (x ?? y)));
  for (const r of rs) r.obj = m;
}

/** The live collection a replica's copy reads as, or undefined. */
function state(r: Replica, now = 1000): DotMapState | undefined {
  return r.obj ? resolveVisible(r.obj, now)?.collection : undefined;
}

/** Field -> value as HGETALL reads them (members with '' for sets). */
function contents(r: Replica, now = 1000): Record<string, string> | undefined {
  const s = state(r, now);
  if (!s) return undefined;
  return Object.fromEntries([...s.entries.keys()].sort().map((k) => [k, fieldValue(s.entries, k, now)!.toString('latin1')]));
}

/** What TYPE answers for the replica's copy. */
function type(r: Replica, now = 1000): string {
  const s = r.obj ? resolveVisible(r.obj, now) : undefined;
  return !s ? 'none' : (s.kind ?? 'string');
}

const hset = (...kv: string[]): CollectionOp => {
  const pairs: Array<[Buffer, Buffer]> = [];
  for (let i = 0; i < kv.length; i += 2) pairs.push([b(kv[i]!), b(kv[i + 1]!)]);
  return { t: 'hset', pairs, nx: false, max: MAX, maxBytes: 2 ** 30 };
};
const hsetnx = (f: string, v: string): CollectionOp => ({ t: 'hset', pairs: [[b(f), b(v)]], nx: true, max: MAX, maxBytes: 2 ** 30 });
const hsetif = (f: string, expect: string | null, v: string): CollectionOp => ({ t: 'hsetif', name: b(f), expect: expect === null ? null : b(expect), value: b(v), max: MAX, maxBytes: 2 ** 30 });
const hdel = (...fs: string[]): CollectionOp => ({ t: 'hdel', names: fs.map(b) });
const hincrby = (f: string, delta: bigint, max = MAX): CollectionOp => ({ t: 'hincrby', name: b(f), delta, max, maxBytes: 2 ** 30 });
const sadd = (...ms: string[]): CollectionOp => ({ t: 'sadd', names: ms.map(b), max: MAX, maxBytes: 2 ** 30 });
const srem = (...ms: string[]): CollectionOp => ({ t: 'srem', names: ms.map(b) });
const sreplace = (...ms: string[]): CollectionOp => ({ t: 'sreplace', names: ms.map(b), max: MAX, maxBytes: 2 ** 30 });

t.test('hset: counts new fields, overwrites others; HSETNX form skips existing fields', async (t) => {
  const r = replica('a');
  t.equal(reply(r, hset('f1', 'v1', 'f2', 'v2')), 2n);
  t.equal(reply(r, hset('f1', 'v1b', 'f3', 'v3')), 1n);
  t.same(contents(r), { f1: 'v1b', f2: 'v2', f3: 'v3' });
  t.equal(reply(r, hset('f4', 'x', 'f4', 'y')), 1n, 'one field given twice is one new field, the last value wins');
  t.equal(contents(r)!['f4'], 'y');
  t.equal(reply(r, hsetnx('f1', 'nope')), 0n);
  t.equal(reply(r, hsetnx('f5', 'new')), 1n);
  t.same(contents(r), { f1: 'v1b', f2: 'v2', f3: 'v3', f4: 'y', f5: 'new' });
  const out = applyCollectionOp(r.obj, hset('g', '1'), 'a', 1000);
  t.notOk('refused' in out);
  if (!('refused' in out)) {
    t.equal(out.payload.kind, 'hash');
    t.equal(out.payload.tombstone, false);
    t.equal(out.payload.expireAt, 0);
    t.same([...decodeDotMap(out.payload.value).entries.keys()].sort(), ['f1', 'f2', 'f3', 'f4', 'f5', 'g']);
  }
  t.equal(type(r), 'hash');
});

t.test('hsetif: writes only when the field still holds what was read', async (t) => {
  const r = replica('a');
  t.same(reply(r, hsetif('f', null, '1.5')), b('1.5'), 'absent as expected');
  t.equal(refusal(r, hsetif('f', null, '2')), 'changed', 'expected absent, found a value');
  t.equal(refusal(r, hsetif('f', '1', '2')), 'changed', 'another value');
  t.equal(refusal(r, hsetif('g', '1', '2')), 'changed', 'expected a value, found none');
  t.same(reply(r, hsetif('f', '1.5', '3')), b('3'));
  t.same(contents(r), { f: '3' });
  t.equal(refusal(r, { t: 'hsetif', name: b('new'), expect: null, value: b('x'), max: 1, maxBytes: 2 ** 30 }), 'too-many');
});

t.test('hdel and srem: answer what they removed; the emptied collection is a tombstone without expiry', async (t) => {
  const h = replica('a');
  reply(h, hset('f1', '1', 'f2', '2', 'f3', '3'));
  t.equal(reply(h, hdel('f1', 'nope', 'f1')), 1n);
  t.same(contents(h), { f2: '2', f3: '3' });
  t.equal(reply(h, hdel('nope')), 0n, 'nothing to remove');
  const out = run(h, hdel('f2', 'f3'));
  t.same('refused' in out ? out : { tombstone: out.payload.tombstone, expireAt: out.payload.expireAt, kind: out.payload.kind, reply: out.reply }, {
    tombstone: true,
    expireAt: 0,
    kind: 'hash',
    reply: 2n,
  });
  t.equal(type(h), 'none');
  t.equal(state(h), undefined);
  const kept = resolveCollection(h.obj);
  t.ok(kept && kept !== 'other' && kept.kind === 'hash' && kept.state.entries.size === 0, 'the emptied state is still stored');
  t.equal(reply(h, hdel('f1')), 0n, 'HDEL on an emptied hash');

  const s = replica('a');
  t.equal(reply(s, sadd('a', 'b', 'c')), 3n);
  t.same(reply(s, srem('a', 'x', 'c')), [b('a'), b('c')]);
  t.same(reply(s, srem('x')), []);
  t.same(contents(s), { b: '' });
  t.same(reply(s, srem('b')), [b('b')]);
  t.equal(type(s), 'none');
});

t.test('sadd: counts new members, a member given twice once; every add takes a new dot', async (t) => {
  const r = replica('a');
  t.equal(reply(r, sadd('m', 'm', 'n')), 2n);
  t.equal(reply(r, sadd('m')), 0n);
  t.same(state(r)!.entries.get('m')!.map((e) => e.dot), [{ node: 'a', counter: 2 }], 're-adding an existing member takes a new dot');
  t.same(contents(r), { m: '', n: '' });
  t.equal(type(r), 'set');
});

t.test('an emptied collection still merges: a concurrent add on another replica survives it', async (t) => {
  const a = replica('a');
  const c = replica('c');
  reply(a, sadd('x'));
  sync(a, c);
  t.same(reply(a, srem('x')), [b('x')]);
  t.equal(type(a), 'none');
  t.equal(reply(c, sadd('y')), 1n);
  sync(a, c);
  t.same(contents(a), { y: '' }, 'the remove took only what it saw');
  // And a write on the emptied copy builds on its context (same origin), so it merges too.
  const d = replica('d');
  const e = replica('e');
  reply(d, hset('f', '1'));
  sync(d, e);
  reply(d, hdel('f'));
  const origin = resolveCollection(d.obj);
  reply(d, hset('g', '2'));
  reply(e, hset('h', '3'));
  sync(d, e);
  t.same(contents(d), { g: '2', h: '3' });
  const after = resolveCollection(d.obj);
  t.ok(origin !== 'other' && after !== 'other' && origin && after);
  if (origin && origin !== 'other' && after && after !== 'other') t.same(after.state.origin, origin.state.origin, 'the emptied hash kept its origin');
});

t.test('add-wins through the replicas: a concurrent add and remove of one member leave it present', async (t) => {
  const a = replica('a');
  const c = replica('c');
  reply(a, sadd('m'));
  sync(a, c);
  reply(a, srem('m'));
  reply(c, sadd('m'));
  sync(a, c);
  t.same(contents(a), { m: '' });
});

t.test('hincrby: counts from a value or from 0; through three actors at once, merged, every increment counts', async (t) => {
  const r = replica('a');
  t.equal(reply(r, hincrby('n', 5n)), 5n);
  t.equal(reply(r, hincrby('n', -7n)), -2n);
  reply(r, hset('s', '10'));
  t.equal(reply(r, hincrby('s', 1n)), 11n, 'counts from the integer the field held');
  t.same(contents(r), { n: '-2', s: '11' });
  t.equal(state(r)!.entries.get('n')![0]!.counter, true, 'stored as a counter entry');

  const a = replica('a');
  const bb = replica('b');
  const c = replica('c');
  reply(a, hset('f', '100', 'other', 'x'));
  sync(a, bb, c);
  t.equal(reply(a, hincrby('f', 1n)), 101n);
  t.equal(reply(bb, hincrby('f', 10n)), 110n);
  t.equal(reply(c, hincrby('f', -1000n)), -900n);
  t.equal(reply(c, hincrby('g', 3n)), 3n);
  t.equal(reply(a, hincrby('g', 4n)), 4n);
  sync(a, bb, c);
  t.same(contents(a), { f: String(100 + 1 + 10 - 1000), g: '7', other: 'x' });
  t.equal(reply(bb, hincrby('f', 1n)), -888n, 'the next increment counts from the merged total');
});

t.test('hincrby refusals: not an integer, overflow; nothing is stored', async (t) => {
  const r = replica('a');
  reply(r, hset('s', 'abc', 'lead', '01', 'big', '9223372036854775807', 'small', '-9223372036854775808'));
  t.equal(refusal(r, hincrby('s', 1n)), 'not-an-integer');
  t.equal(refusal(r, hincrby('lead', 1n)), 'not-an-integer', 'Redis refuses leading zeros');
  t.equal(refusal(r, hincrby('big', 1n)), 'overflow');
  t.equal(refusal(r, hincrby('small', -1n)), 'overflow');
  t.equal(reply(r, hincrby('big', -1n)), 9223372036854775806n);
  t.equal(refusal(r, hincrby('fresh', 2n ** 63n)), 'overflow', 'a delta past int64 on a new field');
  t.equal(reply(r, hincrby('fresh', -(2n ** 63n))), -(2n ** 63n));
});

t.test('refusals: wrong type on a string, a counter, the other collection kind', async (t) => {
  const str = replica('a');
  plain(str, 'text');
  for (const op of [hset('f', 'v'), hsetif('f', null, 'v'), hdel('f'), hincrby('f', 1n), sadd('m'), srem('m')]) t.equal(refusal(str, op), 'wrong-type', `${op.t} on a string`);
  const ctr = replica('a');
  incr(ctr, 5n);
  t.equal(refusal(ctr, sadd('m')), 'wrong-type', 'sadd on a counter');
  t.equal(refusal(ctr, hset('f', 'v')), 'wrong-type', 'hset on a counter');
  const h = replica('a');
  reply(h, hset('f', 'v'));
  t.equal(refusal(h, sadd('m')), 'wrong-type');
  t.equal(refusal(h, srem('m')), 'wrong-type');
  const s = replica('a');
  reply(s, sadd('m'));
  t.equal(refusal(s, hset('f', 'v')), 'wrong-type');
  t.equal(refusal(s, hincrby('f', 1n)), 'wrong-type');
  t.equal(refusal(s, hdel('f')), 'wrong-type');
  t.equal(type(s), 'set');
});

t.test('too-many: refused when a write would leave more than max members, unless it does not grow', async (t) => {
  const r = replica('a');
  t.equal(refusal(r, { t: 'sadd', names: [b('1'), b('2'), b('3')], max: 2, maxBytes: 2 ** 30 }), 'too-many');
  t.equal(r.obj, undefined, 'nothing stored');
  t.equal(reply(r, { t: 'sadd', names: [b('1'), b('2')], max: 2, maxBytes: 2 ** 30 }), 2n);
  t.equal(refusal(r, { t: 'sadd', names: [b('3')], max: 2, maxBytes: 2 ** 30 }), 'too-many');
  t.equal(reply(r, { t: 'sadd', names: [b('1')], max: 2, maxBytes: 2 ** 30 }), 0n, 're-adding at the limit');
  // A collection already past a lowered limit still takes writes that do not grow it.
  t.equal(reply(r, { t: 'sadd', names: [b('2')], max: 1, maxBytes: 2 ** 30 }), 0n);
  t.same(reply(r, srem('2')), [b('2')]);
  const h = replica('a');
  t.equal(refusal(h, { t: 'hset', pairs: [[b('f'), b('1')], [b('g'), b('2')]], nx: false, max: 1, maxBytes: 2 ** 30 }), 'too-many');
  t.equal(refusal(h, hincrby('f', 1n, 0)), 'too-many');
  t.equal(refusal(h, { t: 'sreplace', names: [b('1'), b('2')], max: 1, maxBytes: 2 ** 30 }), 'too-many');
});

t.test('sreplace: overwrites any type; an empty result stores an emptied set', async (t) => {
  const r = replica('a');
  plain(r, 'a string');
  t.equal(reply(r, sreplace('x', 'y', 'x')), 2n);
  t.same(contents(r), { x: '', y: '' });
  t.equal(type(r), 'set');
  t.equal(reply(r, sreplace('z')), 1n, 'replaces the members it saw');
  t.same(contents(r), { z: '' });
  const h = replica('a');
  reply(h, hset('f', 'v'));
  t.equal(reply(h, sreplace('m')), 1n, 'over a hash');
  t.equal(type(h), 'set');
  const out = run(h, sreplace());
  t.ok(!('refused' in out) && out.payload.tombstone && out.reply === 0n);
  t.equal(type(h), 'none');
  // The result takes no expiry from the set it replaces (Redis's STORE forms drop it).
  const e = replica('a');
  reply(e, sadd('m'), 1000);
  const live = resolveVisible(e.obj!, 1000)!;
  e.obj = applyWrite(e.obj, e.obj!.clock, 'a', { value: live.value, kind: 'set', tombstone: false, expireAt: 5000, ts: 1001 });
  const stored = run(e, sreplace('n'), 2000);
  t.ok(!('refused' in stored) && stored.payload.expireAt === 0, 'no expiry');
  t.same(contents(e, 6000), { n: '' }, 'still there after the old expiry');
  const none = replica('a');
  t.equal(reply(none, sreplace()), 0n);
  t.equal(type(none), 'none');
});

t.test('expiry: a write keeps a live collection\'s expiry; an expired one restarts with a new origin', async (t) => {
  const r = replica('a');
  reply(r, hset('f', '1'), 1000);
  // Give it an expiry as EXPIRE does: the same state again, with expireAt.
  const live = resolveVisible(r.obj!, 1000)!;
  r.obj = applyWrite(r.obj, r.obj!.clock, 'a', { value: live.value, kind: 'hash', tombstone: false, expireAt: 5000, ts: 1001 });
  const out = run(r, hset('g', '2'), 2000);
  t.ok(!('refused' in out) && out.payload.expireAt === 5000, 'the expiry stays');
  t.same(contents(r, 2000), { f: '1', g: '2' });
  t.equal(type(r, 5000), 'none', 'expired');
  const before = resolveCollection(r.obj);
  t.equal(reply(r, hset('h', '3'), 6000), 1n, 'a new hash');
  t.same(contents(r, 6000), { h: '3' });
  const after = resolveCollection(r.obj);
  t.ok(before && before !== 'other' && after && after !== 'other');
  if (before && before !== 'other' && after && after !== 'other') {
    t.ok(after.state.origin.ts > before.state.origin.ts, 'the new origin orders after the expired one');
    t.equal(after.sibling.expireAt, 0);
  }
  // An expired hash is no obstacle to another type either.
  t.equal(reply(r, sreplace('m'), 6000), 1n);
  const e = replica('a');
  reply(e, sadd('m'), 1000);
  const sv = resolveVisible(e.obj!, 1000)!;
  e.obj = applyWrite(e.obj, e.obj!.clock, 'a', { value: sv.value, kind: 'set', tombstone: false, expireAt: 1500, ts: 1001 });
  t.equal(reply(e, hset('f', 'v'), 2000), 1n, 'HSET on an expired set');
  t.equal(type(e, 2000), 'hash');
});

t.test('TYPE: a DEL newer than the collection\'s origin ends it, a later write starts anew', async (t) => {
  const a = replica('a');
  const c = replica('c');
  reply(a, hset('f', '1'), 1000);
  sync(a, c);
  // A DEL at c, concurrent with an HSET at a: the DEL is newer than the hash's origin, so it wins whole.
  plain(c, null, 2000);
  reply(a, hset('g', '2'), 3000);
  sync(a, c);
  t.equal(type(a, 3000), 'none');
  t.equal(reply(a, hset('h', '3'), 4000), 1n, 'a new hash after the DEL');
  t.same(contents(a, 4000), { h: '3' });
  sync(a, c);
  t.equal(type(c, 4000), 'hash');
  // A SET concurrent with a collection write: the SET is the newer origin.
  const x = replica('x');
  const y = replica('y');
  reply(x, sadd('m'), 1000);
  sync(x, y);
  plain(y, 'str', 1500);
  reply(x, sadd('n'), 2000);
  sync(x, y);
  t.equal(type(x, 2000), 'string');
  t.equal(refusal(x, sadd('o'), 2000), 'wrong-type');
});

t.test('TYPE: a counter and a hash started at once on a new key: the kind with the newest sibling wins', async (t) => {
  for (const [hashTs, counterTs, want] of [
    [2000, 1000, 'hash'],
    [1000, 2000, 'string'],
  ] as const) {
    const h = replica('a');
    const n = replica('b');
    reply(h, hset('f', '1'), hashTs);
    incr(n, 5n, counterTs);
    sync(h, n);
    t.equal(type(h, 3000), want, `hash at ${hashTs}, counter at ${counterTs}`);
    if (want === 'hash') {
      t.same(contents(h, 3000), { f: '1' });
      t.same(counterIncrement(h.obj, 'a', 1n, 3000), { refused: 'wrong-type' }, 'INCR on it is refused');
    } else {
      t.equal(resolveVisible(h.obj!, 3000)!.value.toString(), '5');
      t.equal(refusal(h, hset('g', '1'), 3000), 'wrong-type');
    }
  }
  // Two hashes started at once on a new key merge (one origin).
  const p = replica('p');
  const q = replica('q');
  reply(p, hset('f', '1'), 1000);
  reply(q, hset('g', '2'), 1001);
  sync(p, q);
  t.same(contents(p), { f: '1', g: '2' });
  t.same(state(p)!.origin, NO_ORIGIN);
});

t.test('concurrent writes of one field keep both; HGET answers the newest', async (t) => {
  const a = replica('a');
  const c = replica('c');
  reply(a, hset('f', 'old'), 1000);
  reply(c, hset('f', 'new'), 2000);
  sync(a, c);
  t.equal(state(a)!.entries.get('f')!.length, 2);
  t.same(contents(a), { f: 'new' });
  t.equal(reply(a, hset('f', 'one'), 3000), 0n, 'an existing field, though it had two values');
  t.equal(state(a)!.entries.get('f')!.length, 1);
  t.equal(fieldValue(state(a)!.entries, 'nope', 3000), undefined);
});

const ops: CollectionOp[] = [
  hset('f', 'v', '', ''),
  { t: 'hset', pairs: [], nx: true, max: 0, maxBytes: 2 ** 30 },
  hsetnx('f', 'v'),
  hsetif('f', null, 'v'),
  hsetif('f', '', 'v'),
  hsetif('f', 'old', ''),
  hdel('a', 'b'),
  hdel(),
  hincrby('f', 0n),
  hincrby('f', -(2n ** 63n)),
  hincrby('f', 2n ** 64n - 1n),
  sadd('x', '\u00ff'),
  srem('x'),
  { t: 'sreplace', names: [], max: 2 ** 40, maxBytes: 2 ** 30 },
];

t.test('op codec: every op round trips', async (t) => {
  for (const op of ops) t.same(decodeOp(encodeOp(op)), op, JSON.stringify(op, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)));
  const bin = decodeOp(encodeOp({ t: 'sadd', names: [Buffer.from([0, 255, 10])], max: 1, maxBytes: 2 ** 30 }));
  t.same(bin, { t: 'sadd', names: [Buffer.from([0, 255, 10])], max: 1, maxBytes: 2 ** 30 });
});

function rawOp(tag: number, f: (w: Writer) => void): Buffer {
  const w = new Writer();
  w.u8(tag);
  f(w);
  return Buffer.from(w.done());
}

t.test('op codec: refuses corrupt input', async (t) => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['empty', Buffer.alloc(0), /truncated/],
    ['unknown tag', Buffer.from([7]), /unknown collection op/],
    ['tag 255', Buffer.from([255]), /unknown collection op/],
    [
      'odd hset list',
      rawOp(0, (w) => {
        w.u8(0);
        w.varint(1);
        w.bytes(b('f'));
        w.varint(10);
      }),
      /odd hset list/,
    ],
    [
      'increment not a number',
      rawOp(3, (w) => {
        w.bytes(b('f'));
        w.bytes(b('1.5'));
        w.varint(10);
      }),
      /bad increment/,
    ],
    [
      'increment too long',
      rawOp(3, (w) => {
        w.bytes(b('f'));
        w.bytes(b('1'.repeat(21)));
        w.varint(10);
      }),
      /bad increment/,
    ],
    ['trailing bytes', Buffer.concat([encodeOp(srem('x')), Buffer.from([0])]), /trailing bytes/],
    ['hdel without its list', Buffer.from([2]), /truncated/],
  ];
  for (const [what, buf, why] of cases) t.throws(() => decodeOp(buf), { code: 'ERR', message: why }, what);
  for (const op of ops) {
    const enc = encodeOp(op);
    for (let n = 0; n < enc.length; n++) t.throws(() => decodeOp(enc.subarray(0, n)), { message: /corrupt version data/ }, `${op.t} truncated to ${n}`);
  }
});

t.test('reply codec: round trips and refuses corrupt input', async (t) => {
  const replies: OpReply[] = [0n, -5n, 2n ** 63n - 1n, -(2n ** 63n), b('bulk'), Buffer.alloc(0), null, [], [b('a'), Buffer.from([0, 255])]];
  for (const r of replies) t.same(decodeOpReply(encodeOpReply(r)), r);
  t.equal(typeof decodeOpReply(encodeOpReply(7n)), 'bigint');
  const bad = (tag: number, text: string): Buffer => rawOp(tag, (w) => w.bytes(b(text)));
  const cases: Array<[string, Buffer, RegExp]> = [
    ['empty', Buffer.alloc(0), /truncated/],
    ['unknown tag', Buffer.from([4]), /unknown reply/],
    ['integer not a number', bad(0, '12a'), /bad integer reply/],
    ['integer empty', bad(0, ''), /bad integer reply/],
    ['trailing bytes after null', Buffer.from([2, 0]), /trailing bytes/],
    ['bulk truncated', Buffer.from([1, 5, 65]), /truncated/],
    ['list truncated', Buffer.from([3, 2, 1, 65]), /truncated/],
  ];
  for (const [what, buf, why] of cases) t.throws(() => decodeOpReply(buf), { code: 'ERR', message: why }, what);
});

t.test('too-large: refused when the stored collection would pass maxBytes; a write that shrinks it is not', async (t) => {
  const r = replica('a');
  t.equal(reply(r, { t: 'hset', pairs: [[b('f'), Buffer.alloc(60)]], nx: false, max: MAX, maxBytes: 100 }), 1n);
  t.equal(refusal(r, { t: 'hset', pairs: [[b('g'), Buffer.alloc(60)]], nx: false, max: MAX, maxBytes: 100 }), 'too-large');
  t.equal(refusal(r, { t: 'hincrby', name: b('g'), delta: 1n, max: MAX, maxBytes: 60 }), 'too-large');
  t.equal(reply(r, hdel('f')), 1n, 'removes have no bound');
  const s = replica('a');
  t.equal(refusal(s, { t: 'sadd', names: [Buffer.alloc(200)], max: MAX, maxBytes: 100 }), 'too-large');
  t.equal(refusal(s, { t: 'sreplace', names: [Buffer.alloc(200)], max: MAX, maxBytes: 100 }), 'too-large');
  t.equal(s.obj, undefined);
});
