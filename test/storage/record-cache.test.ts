import t from 'tap';
import { RecordCache, ownValues, recordBytes } from '../../src/storage/record-cache.js';
import { applyWrite } from '../../src/versioning/object.js';

const obj = (size: number) => applyWrite(undefined, {}, 'node', { value: Buffer.alloc(size), tombstone: false, expireAt: 0, ts: 1 });

t.test('sizes grow with values, siblings and clock entries', async (t) => {
  const small = recordBytes(3, obj(10));
  t.ok(recordBytes(3, obj(1000)) - small === 990);
  t.ok(recordBytes(3, null) < small, 'an absence is cheap');
  const two = applyWrite(obj(10), {}, 'other', { value: Buffer.alloc(10), tombstone: false, expireAt: 0, ts: 2 });
  t.ok(recordBytes(3, two) > small + 10);
});

t.test('evicts least recently used entries to stay within its bytes', async (t) => {
  const one = recordBytes(2, obj(100));
  const cache = new RecordCache(one * 3);
  cache.set('k1', obj(100));
  cache.set('k2', obj(100));
  cache.set('k3', obj(100));
  t.equal(cache.size, 3);
  t.ok(cache.get('k1'), 'k1 becomes the most recent');
  cache.set('k4', obj(100));
  t.equal(cache.size, 3);
  t.equal(cache.peek('k2'), undefined, 'k2 was the least recently used');
  t.ok(cache.peek('k1'));
  t.equal(cache.bytes, one * 3);
  cache.set('k1', null);
  t.equal(cache.get('k1'), null, 'absence is cached as null');
  t.ok(cache.bytes < one * 3);
  cache.delete('k3');
  cache.delete('missing');
  t.equal(cache.size, 2);
  cache.set('huge', obj(one * 4));
  t.equal(cache.peek('huge'), undefined, 'an entry larger than the cache is not kept');
  t.equal(cache.size, 2, 'and evicts nothing');
  cache.clear();
  t.equal(cache.bytes, 0);
  t.equal(cache.size, 0);
});

t.test('a zero-byte cache keeps nothing', async (t) => {
  const cache = new RecordCache(0);
  cache.set('k', null);
  t.equal(cache.get('k'), undefined);
  t.equal(cache.bytes, 0);
});

t.test('cached values own their memory, so a cached slice does not pin a pool slab', async (t) => {
  const slab = Buffer.alloc(8192, 7);
  const slice = slab.subarray(100, 200);
  const sliced = applyWrite(undefined, {}, 'n1', { value: slice, tombstone: false, expireAt: 0, ts: 1 });
  const owned = ownValues(sliced);
  const v = owned.siblings[0]!.value;
  t.not(v.buffer, slab.buffer, 'copied out of the slab');
  t.equal(v.byteOffset, 0);
  t.equal(v.buffer.byteLength, 100);
  t.same(v, slice, 'same bytes');
  t.equal(ownValues(owned), owned, 'an object whose values own their memory is kept as it is');
  const cache = new RecordCache(1_000_000);
  cache.set('k', sliced);
  const cached = cache.get('k')!;
  t.equal(cached.siblings[0]!.value.buffer.byteLength, 100);
  t.equal(sliced.siblings[0]!.value, slice, 'the caller’s object is not changed');
});
