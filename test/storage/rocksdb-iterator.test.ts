import t from 'tap';
import type rocksdb from 'rocksdb';
import { RocksRangeIterator } from '../../src/storage/rocksdb-iterator.js';

/** A native iterator stand-in: entries, then the end, or an error at a given step. */
function fakeNative(entries: Array<[string, string]>, failAt = -1) {
  const calls: string[] = [];
  let i = 0;
  let busy = false;
  const native: rocksdb.Iterator = {
    next(cb) {
      if (busy) throw new Error('overlapping next() calls');
      busy = true;
      calls.push('next');
      const step = i++;
      setImmediate(() => {
        busy = false;
        if (step === failAt) cb(new Error('IO error: read failed'));
        else if (step < entries.length) cb(null, Buffer.from(entries[step]![0]), Buffer.from(entries[step]![1]));
        else cb(null);
      });
    },
    end(cb) {
      if (busy) throw new Error('end() during next()');
      calls.push('end');
      setImmediate(() => cb(null));
    },
  };
  return { native, calls };
}

t.test('yields entries, then ends the native iterator once', async (t) => {
  const { native, calls } = fakeNative([
    ['a', '1'],
    ['b', '2'],
  ]);
  let closed = 0;
  const it = new RocksRangeIterator(native, '/d', () => closed++);
  const seen: string[] = [];
  for await (const [k, v] of it) seen.push(`${k}=${v}`);
  t.same(seen, ['a=1', 'b=2']);
  await it.end();
  t.same(calls, ['next', 'next', 'next', 'end']);
  t.equal(closed, 1);
});

t.test('an error ends the iterator and is mapped to a QkvError', async (t) => {
  const { native, calls } = fakeNative([['a', '1']], 1);
  const it = new RocksRangeIterator(native, '/d', () => undefined);
  t.equal((await it.next()).done, false);
  await t.rejects(it.next(), { code: 'IOERR', message: /iterate failed: I\/O error under \/d/ });
  t.equal((await it.next()).done, true, 'done after the error');
  t.same(calls, ['next', 'next', 'end']);
});

t.test('end() while a next() is in progress waits for it', async (t) => {
  const { native, calls } = fakeNative([
    ['a', '1'],
    ['b', '2'],
  ]);
  const it = new RocksRangeIterator(native, '/d', () => undefined);
  const first = it.next();
  while (calls.length === 0) await new Promise((r) => setImmediate(r));
  t.equal(calls.length, 1, 'the native read has started');
  const ending = it.end();
  t.same((await first).value?.map(String), ['a', '1']);
  await ending;
  t.equal((await it.next()).done, true);
  t.same(calls, ['next', 'end']);
});

t.test('a next() queued behind end() finds the iteration over', async (t) => {
  const { native, calls } = fakeNative([['a', '1']]);
  const it = new RocksRangeIterator(native, '/d', () => undefined);
  const queued = it.next();
  await it.end();
  t.equal((await queued).done, true);
  t.same(calls, ['end']);
});

t.test('values may be missing (keys-only reads)', async (t) => {
  const native: rocksdb.Iterator = {
    next: (cb) => setImmediate(() => cb(null, Buffer.from('k'), undefined)),
    end: (cb) => setImmediate(() => cb(null)),
  };
  const it = new RocksRangeIterator(native, '/d', () => undefined);
  t.same((await it.next()).value, [Buffer.from('k'), Buffer.alloc(0)]);
  await it.return();
});
