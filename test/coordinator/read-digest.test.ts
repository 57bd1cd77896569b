import t from 'tap';
import { readDigest } from '../../src/coordinator/read-digest.js';
import { applyWrite } from '../../src/versioning/object.js';
import { DotIssuer } from '../../src/versioning/actor.js';
import type { VersionedObject } from '../../src/versioning/types.js';

const write = (value: Buffer, actor = 'a~1', ts = 5, base?: VersionedObject): VersionedObject =>
  applyWrite(base, base?.clock ?? {}, new DotIssuer(actor), { value, tombstone: false, expireAt: 0, ts });

t.test('equal versions have equal digests; a different clock, dot, timestamp or value differs', async (t) => {
  const v = Buffer.alloc(1000, 1);
  const a = write(v);
  t.equal(readDigest(a), readDigest(write(Buffer.from(v))), 'the same write made twice');
  t.equal(readDigest(a), readDigest(a), 'kept with the copy');
  t.equal(readDigest(undefined), null);
  t.not(readDigest(a), readDigest(write(v, 'b~1')), 'another actor');
  t.not(readDigest(a), readDigest(write(v, 'a~1', 6)), 'another timestamp');
  t.not(readDigest(a), readDigest(write(v, 'a~1', 5, a)), 'a later version');
  for (const at of [0, 63, 999, 936]) {
    const w = Buffer.from(v);
    w[at] = 2;
    t.not(readDigest(a), readDigest(write(w)), `a value differing at byte ${at}`);
  }
  const short = Buffer.from('abcdefg');
  t.not(readDigest(write(short)), readDigest(write(Buffer.from('abcdefh'))), 'short values are hashed whole');
  t.not(readDigest(write(Buffer.alloc(0))), readDigest(write(Buffer.alloc(1))));
  // A two-entry clock in either insertion order.
  const both = write(v, 'b~1', 7, a);
  const swapped: VersionedObject = { ...both, clock: Object.fromEntries(Object.entries(both.clock).reverse()) };
  t.equal(readDigest(both), readDigest(swapped));
});
