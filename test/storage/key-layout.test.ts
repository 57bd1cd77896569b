import t from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { RING_SIZE, keyHash, keyHashBytes } from '../../src/core/hash.js';
import {
  dataKey,
  dueExpiryRange,
  expiryKey,
  indexTime,
  metaKey,
  parseDataKey,
  parseExpiryKey,
  positionBytes,
  prefixRange,
  ringRanges,
  DATA_PREFIX,
} from '../../src/storage/key-layout.js';

const inRange = (k: Buffer, r: { gte?: Buffer; lt?: Buffer }): boolean =>
  (!r.gte || Buffer.compare(k, r.gte) >= 0) && (!r.lt || Buffer.compare(k, r.lt) < 0);

t.test('data keys: prefix, ring hash, user key; parse inverts', async (t) => {
  const user = Buffer.from([0x00, 0xff, 0x61]);
  const hash = keyHashBytes(user);
  const k = dataKey(hash, user);
  t.equal(k[0], 0x64);
  t.same(k.subarray(1, 9), hash);
  t.same(parseDataKey(k), { hash: keyHash(user), key: user });
  t.same(parseDataKey(dataKey(hash, Buffer.alloc(0))).key, Buffer.alloc(0), 'the empty user key');
  t.throws(() => parseDataKey(Buffer.from('d123')), QkvError);
  t.throws(() => parseDataKey(Buffer.concat([Buffer.from('x'), hash])), QkvError);
});

t.test('data keys sort by ring position, then by user key', async (t) => {
  const keys = Array.from({ length: 200 }, (_, i) => Buffer.from(`user:${i}`));
  const stored = keys.map((k) => dataKey(keyHashBytes(k), k)).sort(Buffer.compare);
  const positions = stored.map((k) => parseDataKey(k).hash);
  t.ok(positions.every((p, i) => i === 0 || positions[i - 1]! <= p));
  const same = Buffer.alloc(8, 7);
  t.ok(Buffer.compare(dataKey(same, Buffer.from('a')), dataKey(same, Buffer.from('b'))) < 0);
});

t.test('expiry keys sort by time and round fractional times up', async (t) => {
  const hash = keyHashBytes('k');
  const k = expiryKey(1_700_000_000_000.2, hash, Buffer.from('k'));
  t.same(parseExpiryKey(k), { expireAt: 1_700_000_000_001, hash, key: Buffer.from('k') });
  t.equal(indexTime(5.0), 5);
  t.equal(indexTime(-3), 0);
  t.ok(Buffer.compare(expiryKey(999, hash, Buffer.from('z')), expiryKey(1000, hash, Buffer.from('a'))) < 0);
  t.throws(() => parseExpiryKey(Buffer.from('x1')), QkvError);
  t.throws(() => parseExpiryKey(dataKey(hash, Buffer.from('long enough to be an index key'))), QkvError);
});

t.test('the due range holds entries up to and including now', async (t) => {
  const hash = keyHashBytes('k');
  const r = dueExpiryRange(1000);
  t.ok(inRange(expiryKey(1000, hash, Buffer.from('k')), r));
  t.ok(inRange(expiryKey(0, hash, Buffer.from('k')), r));
  t.notOk(inRange(expiryKey(1001, hash, Buffer.from('k')), r));
  t.notOk(inRange(dataKey(hash, Buffer.from('k')), r));
  t.notOk(inRange(metaKey('z'), r));
});

t.test('meta keys and prefix ranges keep the three spaces apart', async (t) => {
  t.same(metaKey('node-id'), Buffer.from('mnode-id'));
  const hash = keyHashBytes('k');
  const d = prefixRange(DATA_PREFIX);
  t.ok(inRange(dataKey(Buffer.alloc(8, 0xff), Buffer.from([0xff])), d));
  t.notOk(inRange(metaKey('x'), d));
  t.notOk(inRange(expiryKey(0, hash, Buffer.from('k')), d));
});

t.test('ring ranges: [from, to), wrapping past 2^64 as two ranges', async (t) => {
  const at = (p: bigint, key = 'k'): Buffer => dataKey(positionBytes(p), Buffer.from(key));
  const one = ringRanges(100n, 200n);
  t.equal(one.length, 1);
  t.ok(inRange(at(100n), one[0]!));
  t.ok(inRange(at(199n, '\xff\xff'), one[0]!));
  t.notOk(inRange(at(200n), one[0]!));
  t.notOk(inRange(at(99n), one[0]!));
  const whole = ringRanges(0n, RING_SIZE);
  t.equal(whole.length, 1);
  t.ok(inRange(at(RING_SIZE - 1n), whole[0]!));
  t.ok(inRange(at(0n), whole[0]!));
  t.notOk(inRange(metaKey('a'), whole[0]!));
  const wrap = ringRanges(RING_SIZE - 10n, 5n);
  t.equal(wrap.length, 2);
  const covered = (p: bigint): boolean => wrap.some((r) => inRange(at(p), r));
  t.ok(covered(RING_SIZE - 10n));
  t.ok(covered(RING_SIZE - 1n));
  t.ok(covered(0n));
  t.ok(covered(4n));
  t.notOk(covered(5n));
  t.notOk(covered(RING_SIZE - 11n));
  t.equal(ringRanges(7n, 0n).length, 1, 'wrapping to 0 is just the tail');
  t.equal(ringRanges(RING_SIZE, 3n).length, 1, 'from the very end wraps to the head');
  t.same(ringRanges(42n, 42n), [], 'from === to is empty');
  t.throws(() => ringRanges(-1n, 3n), QkvError);
  t.throws(() => ringRanges(0n, RING_SIZE + 1n), QkvError);
});
