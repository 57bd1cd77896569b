import t from 'tap';
import { keyHash, keyHashBytes, keyMd5 } from '../../src/core/hash.js';
import { keyIdentity } from '../../src/antientropy/version-hash.js';

t.test('a key hashed once gives the ring position and anti-entropy identity it would get hashed again', async (t) => {
  for (const k of ['', 'a', 'user:1000', 'x'.repeat(300)]) {
    const key = Buffer.from(k);
    const md5 = keyMd5(key);
    t.equal(md5.length, 16);
    t.equal(md5.readBigUInt64BE(0), keyHash(key));
    t.same(md5.subarray(0, 8), keyHashBytes(key));
    t.same(keyIdentity(key, md5), keyIdentity(key));
  }
});
