import t from 'tap';
import { encodeObject } from '../../src/versioning/codec.js';
import { applyWrite } from '../../src/versioning/object.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import type { EngineWrite } from '../../src/storage/engine.js';
import { dataKey, expiryKey, metaKey } from '../../src/storage/key-layout.js';
import { buildBatch, recordKeys, type BuildOp, type Prior, type PurgeDecision, type PurgeOp, type RecordOp } from '../../src/storage/record-batch.js';

const H = Buffer.alloc(8, 1);
const K = Buffer.from('k');
const obj = (v: string, expireAt = 0): VersionedObject => applyWrite(undefined, {}, 'n', { value: Buffer.from(v), tombstone: false, expireAt, ts: 1 });
let seq = 0;
const put = (o: VersionedObject, key = K): RecordOp => ({ kind: 'put', id: key.toString('latin1'), key, hash: H, obj: o, encoded: encodeObject(o), seq: ++seq });
const remove = (key = K): RecordOp => ({ kind: 'remove', id: key.toString('latin1'), key, hash: H, seq: ++seq });
const purge = (decide: (o: VersionedObject) => PurgeDecision, entries: Buffer[] = []): PurgeOp => ({
  kind: 'purge',
  id: 'k',
  key: K,
  hash: H,
  decide,
  indexEntries: entries,
  purged: false,
});
const priors = (p: Prior): Map<string, Prior> => new Map([['k', p]]);
const absent: Prior = { exists: false, obj: null };
const x = (at: number): Buffer => expiryKey(at, H, K);
const d = dataKey(H, K);
/** Writes as readable text: "put d", "del x@100", ... */
const show = (writes: EngineWrite[]): string[] =>
  writes.map((w) => {
    const k = w.key[0] === 0x64 ? 'd' : w.key[0] === 0x78 ? `x@${Number(w.key.readBigUInt64BE(1))}` : `m:${w.key.subarray(1).toString()}`;
    return `${w.type} ${k}`;
  });

t.test('a new record: data plus its index entry, one more key', async (t) => {
  const b = buildBatch([put(obj('v', 100))], priors(absent));
  t.same(show(b.writes), ['put d', 'put x@100']);
  t.equal(b.keyDelta, 1);
  t.same(b.writes[0]!.key, d);
  t.same(b.finals.get('k')?.siblings[0]?.value.toString(), 'v');
});

t.test('an expiry that changes moves the entry; one that goes away removes it', async (t) => {
  const prior: Prior = { exists: true, obj: obj('v', 100) };
  t.same(show(buildBatch([put(obj('v', 200))], priors(prior)).writes), ['del x@100', 'put d', 'put x@200']);
  t.same(show(buildBatch([put(obj('v'))], priors(prior)).writes), ['del x@100', 'put d']);
  t.same(show(buildBatch([put(obj('v', 100))], priors(prior)).writes), ['put d', 'put x@100'], 'same time: the entry is rewritten, not removed');
  const removed = buildBatch([remove()], priors(prior));
  t.same(show(removed.writes), ['del d', 'del x@100']);
  t.equal(removed.keyDelta, -1);
  t.equal(removed.finals.get('k'), null);
});

t.test('several writes to one key in a batch: the last decides, counted once', async (t) => {
  const b = buildBatch([put(obj('a', 50)), remove(), put(obj('c'))], priors(absent));
  t.same(show(b.writes), ['put d']);
  t.equal(b.keyDelta, 1);
  t.same(b.finals.get('k')?.siblings[0]?.value.toString(), 'c');
  const gone = buildBatch([put(obj('a')), remove()], priors(absent));
  t.same(show(gone.writes), ['del d']);
  t.equal(gone.keyDelta, 0);
});

t.test('purge decisions: purge, keep, stale, retry', async (t) => {
  const expired: Prior = { exists: true, obj: obj('v', 100) };
  const p1 = purge(() => 'purge', [x(100)]);
  const purged = buildBatch([p1], priors(expired));
  t.ok(p1.purged);
  t.same(show(purged.writes), ['del x@100', 'del d']);
  t.equal(purged.keyDelta, -1);

  const p2 = purge(() => 'keep', [x(100)]);
  const kept = buildBatch([p2], priors(expired));
  t.notOk(p2.purged);
  t.same(kept.writes, [], 'a veto keeps the entry for the next sweep');
  t.same(kept.finals.get('k')?.siblings[0]?.expireAt, 100, 'the stored record is known');

  const stale = buildBatch([purge(() => 'stale', [x(50)])], priors(expired));
  t.same(show(stale.writes), ['del x@50']);

  const retry = buildBatch([purge(() => ({ retryAt: 900 }), [x(100)])], priors(expired));
  t.same(show(retry.writes), ['del x@100', 'put x@900']);
  t.equal(retry.keyDelta, 0);
});

t.test('a purge sees a put earlier in the same batch', async (t) => {
  const seen: string[] = [];
  const p = purge((o) => {
    seen.push(o.siblings[0]!.value.toString());
    return 'stale';
  }, [x(100)]);
  const b = buildBatch([put(obj('new', 500)), p], priors({ exists: true, obj: obj('old', 100) }));
  t.same(seen, ['new']);
  t.same(show(b.writes), ['del x@100', 'put d', 'put x@500']);
});

t.test('absent or unreadable records: their index entries are stale', async (t) => {
  const none = buildBatch([purge(() => 'purge', [x(10)])], priors(absent));
  t.same(show(none.writes), ['del x@10']);
  t.equal(none.finals.get('k'), null, 'known absent');
  const unreadable: Prior = { exists: true, obj: null };
  const u = buildBatch([purge(() => 'purge', [x(10)])], priors(unreadable));
  t.same(show(u.writes), ['del x@10']);
  t.equal(u.keyDelta, 0);
  t.notOk(u.finals.has('k'), 'an unreadable record is not cached');
  const replaced = buildBatch([put(obj('v'))], priors(unreadable));
  t.equal(replaced.keyDelta, 0, 'it already counted');
});

t.test('meta writes and recordKeys', async (t) => {
  const ops: RecordOp[] = [{ kind: 'meta', name: 'a', value: Buffer.from('1'), seq: 1 }, put(obj('v')), put(obj('w'), Buffer.from('other'))];
  const b = buildBatch(ops, new Map());
  t.same(b.writes[0], { type: 'put', key: metaKey('a'), value: Buffer.from('1') });
  t.equal(b.keyDelta, 2, 'keys without a prior read as absent');
  t.same([...recordKeys(ops).keys()], ['k', 'other']);
});

const build = (fn: (cur: VersionedObject | undefined) => VersionedObject | null): BuildOp => ({
  kind: 'build',
  id: 'k',
  key: K,
  hash: H,
  seq: ++seq,
  build: fn,
  result: null,
  error: undefined,
});

t.test('a build op decides on the state the earlier ops of its batch left', async (t) => {
  const seen: Array<string | undefined> = [];
  const b1 = build((cur) => (seen.push(cur?.siblings[0]?.value.toString()), obj('built', 100)));
  const b2 = build((cur) => (seen.push(cur?.siblings[0]?.value.toString()), null));
  const b = buildBatch([put(obj('first')), b1, b2], priors(absent));
  t.same(seen, ['first', 'built'], 'each sees what the op before it left');
  t.same(show(b.writes), ['put d', 'put x@100']);
  t.equal(b1.result?.siblings[0]?.value.toString(), 'built');
  t.equal(b2.result, null, 'null leaves the record as it is');
  t.same(b.finals.get('k')?.siblings[0]?.value.toString(), 'built');
  t.equal(b.keyDelta, 1);
});

t.test('a build op that throws, or meets an unreadable record, fails alone and changes nothing', async (t) => {
  const boom = build(() => {
    throw new Error('no');
  });
  const b = buildBatch([boom], priors({ exists: true, obj: obj('old') }));
  t.match(boom.error, /no/);
  t.same(b.writes, []);
  const unreadable = build(() => obj('over'));
  const cause = new Error('bad bytes');
  const u = buildBatch([unreadable], priors({ exists: true, obj: null, error: cause }));
  t.equal(unreadable.error, cause, 'the decode error is what the caller hears');
  t.same(u.writes, [], 'its unknown versions are not overwritten blindly');
  const replaced = build(() => obj('after-put'));
  buildBatch([put(obj('v')), replaced], priors({ exists: true, obj: null }));
  t.equal(replaced.error, undefined, 'a put earlier in the batch replaced the unreadable record');
});
