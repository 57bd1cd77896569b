import t from 'tap';
import { hash } from 'node:crypto';
import { hashPart, keyHash, keyHashBytes, keyMd5, stringHash } from '../../src/core/hash.js';
import { keyIdentity } from '../../src/antientropy/version-hash.js';

/** Hash tags as Redis Cluster reads them (cluster.c keyHashSlot). */

const b = (s: string): Buffer => Buffer.from(s);
const md5 = (s: string | Buffer): Buffer => hash('md5', s, 'buffer');

t.test('the hash part: the first {...} when non-empty, else the whole key', async (t) => {
  const cases: Array<[string, string]> = [
    ['{user42}:a', 'user42'],
    ['x{user42}y{other}', 'user42'],
    ['{}user', '{}user'],
    ['{}{user}', '{}{user}'],
    ['a{b', 'a{b'],
    ['a}b{c}', 'c'],
    ['{{x}}', '{x'],
    ['plain', 'plain'],
  ];
  for (const [key, part] of cases) {
    t.equal(String(hashPart(key)), part, `string ${key}`);
    t.equal(hashPart(b(key)).toString(), part, `bytes ${key}`);
  }
});

t.test('tagged keys share a ring position; untagged keys keep their old one', async (t) => {
  t.equal(keyHash(b('{user42}:a')), keyHash(b('{user42}:b')));
  t.equal(keyHash('{user42}:a'), keyHash(b('{user42}:b')));
  t.equal(keyHash(b('{user42}:a')), md5('user42').readBigUInt64BE(0));
  t.same(keyHashBytes(b('plain')), md5('plain').subarray(0, 8), 'a key without a tag is placed as before');
  t.same(keyMd5(b('plain')), md5('plain'));
  t.not(keyHash(b('{}:a')), keyHash(b('{}:b')), 'an empty tag hashes the whole key');
});

t.test("keyMd5: the tag's position, the whole key's tag bits; anti-entropy agrees", async (t) => {
  const a = keyMd5(b('{t}:a'));
  const c = keyMd5(b('{t}:c'));
  t.same(a.subarray(0, 8), c.subarray(0, 8));
  t.notSame(a.subarray(8), c.subarray(8), 'keys sharing a tag still differ in the rest');
  t.same(a.subarray(8), md5('{t}:a').subarray(8));
  t.equal(keyIdentity(b('{t}:a')).pos, keyHash(b('{t}:a')));
});

t.test('vnode tokens hash whole strings', async (t) => {
  t.equal(stringHash('{n}#1'), md5('{n}#1').readBigUInt64BE(0));
});
