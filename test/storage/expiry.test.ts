import t from 'tap';
import { isFullyExpired, recordExpiry } from '../../src/storage/expiry.js';
import type { Sibling, VersionedObject } from '../../src/versioning/types.js';

const sib = (expireAt: number, tombstone = false, node = 'a'): Sibling => ({ dot: { node, counter: 1 }, value: Buffer.alloc(0), ts: 1, tombstone, expireAt });
const rec = (...siblings: Sibling[]): VersionedObject => ({ clock: { a: 1, b: 1 }, siblings });

t.test('a record is indexed at its latest live expiry, only if every live sibling expires', async (t) => {
  t.equal(recordExpiry(undefined), 0);
  t.equal(recordExpiry(null), 0);
  t.equal(recordExpiry(rec()), 0, 'no siblings');
  t.equal(recordExpiry(rec(sib(100))), 100);
  t.equal(recordExpiry(rec(sib(100), sib(300, false, 'b'))), 300, 'the latest');
  t.equal(recordExpiry(rec(sib(100), sib(0, false, 'b'))), 0, 'one sibling lives for ever');
  t.equal(recordExpiry(rec(sib(0, true), sib(100, false, 'b'))), 100, 'tombstones do not hold it');
  t.equal(recordExpiry(rec(sib(0, true))), 0, 'tombstones alone are not swept by time');
});

t.test('fully expired when the latest live expiry has passed', async (t) => {
  t.ok(isFullyExpired(rec(sib(100)), 100));
  t.notOk(isFullyExpired(rec(sib(100)), 99));
  t.notOk(isFullyExpired(rec(sib(100), sib(200, false, 'b')), 150));
  t.notOk(isFullyExpired(rec(sib(0, true)), 1e15));
});
