import t from 'tap';
import { readDotMap, rememberDotMap } from '../../src/versioning/dot-map-cache.js';
import { DotMapWrite, emptyDotMap, encodeDotMap, type DotMapState } from '../../src/versioning/dot-map.js';

/** A state of one name whose value is `size` bytes of `fill`, so encodings differ at their end (where the cache looks). */
function stateOf(size: number, fill: number): DotMapState {
  const w = new DotMapWrite(emptyDotMap(), 'a', 1000);
  w.set('name', Buffer.alloc(size, fill));
  return w.done();
}

t.test('small states are decoded each time', async (t) => {
  const buf = encodeDotMap(stateOf(10, 1));
  const a = readDotMap(buf);
  const b = readDotMap(buf);
  t.not(a, b);
  t.same([...a.entries.keys()], ['name']);
  rememberDotMap(buf, a);
  t.not(readDotMap(buf), a, 'nor remembered');
});

t.test('a big state is decoded once, by its bytes, and a written one is not decoded at all', async (t) => {
  const buf = encodeDotMap(stateOf(2000, 2));
  const a = readDotMap(buf);
  t.equal(readDotMap(buf), a, 'the same buffer');
  t.equal(readDotMap(Buffer.from(buf)), a, 'equal bytes in another buffer');
  // Same length and the same last bytes, different bytes before: not the same state.
  const other = Buffer.from(buf);
  other[10] = other[10]! ^ 1;
  t.not(readDotMap(other), a);
  const written = stateOf(3000, 3);
  const wbuf = encodeDotMap(written);
  rememberDotMap(wbuf, written);
  t.equal(readDotMap(wbuf), written);
  t.throws(() => readDotMap(Buffer.alloc(2000, 9)), { message: /corrupt version data/ }, 'corrupt input is refused, not cached');
});

t.test('bounded by the encodings\' total size: the least recently used goes first', async (t) => {
  const MB = 1024 * 1024;
  const first = stateOf(MB, 0);
  const firstBuf = encodeDotMap(first);
  rememberDotMap(firstBuf, first);
  const second = stateOf(MB, 1);
  const secondBuf = encodeDotMap(second);
  rememberDotMap(secondBuf, second);
  // Use the first again: it is now the most recently used.
  t.equal(readDotMap(firstBuf), first);
  for (let i = 2; i < 40; i++) {
    const s = stateOf(MB, i);
    rememberDotMap(encodeDotMap(s), s);
  }
  t.not(readDotMap(secondBuf), second, 'the oldest was evicted');
  t.not(readDotMap(firstBuf), first, 'and, 32 MB later, the one used again too');
  // Remembering the same bytes again replaces the entry without counting it twice.
  const again = stateOf(MB, 50);
  const againBuf = encodeDotMap(again);
  rememberDotMap(againBuf, again);
  rememberDotMap(againBuf, again);
  t.equal(readDotMap(againBuf), again);
});
