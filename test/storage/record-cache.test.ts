import t from 'tap';
import { ENTRY_OVERHEAD_BYTES, RecordCache, entryBytes } from '../../src/storage/record-cache.js';
import { encodeObject } from '../../src/versioning/codec.js';
import { applyWrite } from '../../src/versioning/object.js';
import type { VersionedObject } from '../../src/versioning/types.js';

const obj = (size: number, fill = 1): VersionedObject =>
  applyWrite(undefined, {}, 'node', { value: Buffer.alloc(size, fill), tombstone: false, expireAt: 0, ts: 1 });
const encodedSize = (size: number): number => encodeObject(obj(size)).length;
const key = (i: number): string => `k${String(i).padStart(5, '0')}`;

t.test('an entry costs its overhead, its key and its encoded record; an absence only the first two', async (t) => {
  t.equal(entryBytes(3, 100), ENTRY_OVERHEAD_BYTES + 103);
  const cache = new RecordCache(1_000_000);
  cache.set('abc', obj(100));
  const segment = cache.bytes - entryBytes(3, 0);
  t.ok(segment >= 4096, 'records live in a segment, counted whole');
  cache.set('abd', null);
  t.equal(cache.bytes, segment + 2 * entryBytes(3, 0), 'an absence adds no record bytes');
  t.equal(cache.segmentCount, 1);
  t.same(cache.get('abc'), obj(100), 'the record decodes as it was');
  t.equal(cache.get('abd'), null, 'absence is cached as null');
  t.equal(cache.get('nope'), undefined);
  cache.delete('abd');
  cache.delete('missing');
  t.equal(cache.size, 1);
  t.equal(cache.bytes, segment + entryBytes(3, 0));
  cache.clear();
  t.equal(cache.bytes, 0);
  t.equal(cache.size, 0);
  t.equal(cache.get('abc'), undefined);
});

t.test('stays within its bytes however much is written, evicting the oldest first', async (t) => {
  const max = 64 * 1024;
  const cache = new RecordCache(max);
  for (let i = 0; i < 5000; i++) {
    cache.set(key(i), i % 7 === 0 ? null : obj(100, i % 250));
    if (cache.bytes > max) t.fail(`over the bound after ${i}: ${cache.bytes}`);
  }
  t.ok(cache.size > 50 && cache.size < 5000, `holds ${cache.size} entries`);
  t.ok(cache.get(key(4999)), 'the newest is kept');
  t.equal(cache.peek(key(0)), undefined, 'the oldest is gone');
  t.same(cache.get(key(4997)), obj(100, 4997 % 250));
  t.equal(cache.get(key(4998)), null, 'and absences');
});

t.test('a record read since it was placed gets a second chance when its segment goes', async (t) => {
  const size = encodedSize(100);
  const cache = new RecordCache(64 * 1024); // 4 KiB segments
  cache.set('hot', obj(100, 9));
  const perSegment = Math.floor(4096 / size);
  for (let i = 0; i < perSegment * 30; i++) {
    cache.set(key(i), obj(100));
    if (i % perSegment === 0) cache.get('hot');
  }
  t.same(cache.get('hot'), obj(100, 9), 'read often, it survives many evictions');
  t.equal(cache.peek(key(0)), undefined, 'entries never read do not');
  t.ok(cache.bytes <= 64 * 1024);
});

t.test('replacing a record leaves the old bytes as counted garbage until its segment goes', async (t) => {
  const cache = new RecordCache(1_000_000);
  cache.set('k', obj(100, 1));
  const before = cache.bytes;
  cache.set('k', obj(100, 2));
  t.equal(cache.size, 1);
  t.equal(cache.bytes, before, 'the segment was already counted');
  t.same(cache.get('k'), obj(100, 2));
});

t.test('values read stay valid after their segment is evicted or the key rewritten', async (t) => {
  const cache = new RecordCache(16 * 1024);
  cache.set('a', obj(100, 5));
  const held = cache.get('a')!.siblings[0]!.value;
  cache.set('a', obj(100, 6));
  for (let i = 0; i < 500; i++) cache.set(key(i), obj(100, 7));
  t.equal(cache.peek('a'), undefined, 'evicted');
  t.same(held, Buffer.alloc(100, 5), 'the value read earlier is unchanged');
});

t.test('a large record gets a segment of its own; one larger than the cache is not kept', async (t) => {
  const cache = new RecordCache(1_000_000);
  cache.set('small', obj(10));
  cache.set('big', obj(200_000));
  t.equal(cache.segmentCount, 2);
  t.same(cache.get('big'), obj(200_000));
  t.same(cache.get('small'), obj(10));
  const before = { size: cache.size, bytes: cache.bytes };
  cache.set('huge', obj(2_000_000));
  t.equal(cache.peek('huge'), undefined);
  t.same({ size: cache.size, bytes: cache.bytes }, before, 'and evicts nothing');
  cache.set('big2', obj(900_000));
  t.ok(cache.bytes <= 1_000_000, 'a large record that fits evicts what it must');
  t.same(cache.get('big2'), obj(900_000));
});

t.test('a large record is kept decoded: hits share its value, which owns its memory', async (t) => {
  const cache = new RecordCache(10_000_000);
  const slab = Buffer.alloc(600_000, 3);
  const sliced = applyWrite(undefined, {}, 'n1', { value: slab.subarray(100, 500_100), tombstone: false, expireAt: 0, ts: 1 });
  cache.set('big', sliced);
  const first = cache.get('big')!.siblings[0]!.value;
  t.equal(cache.get('big')!.siblings[0]!.value, first, 'the same Buffer on every hit: no copy per GET');
  t.not(first.buffer, slab.buffer, 'copied out of the buffer it was sliced from');
  t.equal(first.buffer.byteLength, 500_000);
  t.ok(cache.bytes >= 500_000 && cache.bytes < 500_000 + 4096, `counted as its size and object: ${cache.bytes}`);
  const owned = obj(400_000, 4);
  cache.set('owned', owned);
  t.equal(cache.get('owned')!.siblings[0]!.value, owned.siblings[0]!.value, 'a value that owns its memory is kept as it is');
  cache.set('x', null);
  cache.get('big');
  for (let i = 0; i < 40; i++) cache.set(key(i), obj(400_000));
  t.equal(cache.peek('big'), undefined, 'evicted in its turn, read or not');
  t.ok(cache.bytes <= 10_000_000);
});

t.test('resize: a smaller bound evicts at once, a larger one lets it grow again', async (t) => {
  const cache = new RecordCache(1_000_000);
  for (let i = 0; i < 3000; i++) cache.set(key(i), obj(100));
  const full = cache.size;
  cache.resize(100_000);
  t.equal(cache.maxBytes, 100_000);
  t.ok(cache.bytes <= 100_000, `${cache.bytes} bytes after shrinking`);
  t.ok(cache.size < full);
  cache.resize(0);
  t.equal(cache.size, 0, 'a zero bound empties it');
  cache.set('k', obj(10));
  t.equal(cache.get('k'), undefined, 'and keeps nothing');
  cache.resize(1_000_000);
  for (let i = 0; i < 3000; i++) cache.set(key(i), obj(100));
  t.equal(cache.size, full, 'grows back to what it held');
});

t.test('a zero-byte cache keeps nothing', async (t) => {
  const cache = new RecordCache(0);
  cache.set('k', null);
  t.equal(cache.get('k'), undefined);
  t.equal(cache.bytes, 0);
});

t.test('slots are reused after deletes, and eviction skips entries already gone', async (t) => {
  const cache = new RecordCache(32 * 1024);
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 100; i++) cache.set(key(i), i % 2 ? null : obj(50, round));
    for (let i = 0; i < 100; i += 3) cache.delete(key(i));
  }
  t.ok(cache.bytes <= 32 * 1024);
  for (let i = 0; i < 100; i++) {
    const got = cache.peek(key(i));
    if (got === undefined) continue;
    if (i % 3 === 0) t.fail(`deleted ${key(i)} came back`);
    t.same(got, i % 2 ? null : obj(50, 19));
  }
});
