import t from 'tap';
import { globMatch, matchesEverything } from '../../src/core/glob.js';
import { globKeys, globVectors } from './glob-vectors.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const m = (pattern: string, subject: string): boolean => globMatch(b(pattern), b(subject));

t.test('matches exactly the keys redis-server 7.0 returns for KEYS', async (t) => {
  for (const [pattern, expected] of globVectors) {
    // KEYS and SCAN skip matching for a lone '*' (which is how '' is listed).
    const got = globKeys.filter((k) => matchesEverything(b(pattern)) || m(pattern, k)).sort(latin1Order);
    t.same(got, [...expected].sort(latin1Order), `pattern ${JSON.stringify(pattern)}`);
  }
});

function latin1Order(a: string, c: string): number {
  return Buffer.compare(b(a), b(c));
}

t.test('wildcards', async (t) => {
  t.notOk(m('*', ''), "as in Redis, only the lone-'*' shortcut lists the empty key");
  t.notOk(m('**', ''));
  t.ok(m('**', 'abc'));
  t.notOk(m('?', ''));
  t.ok(m('h?llo', 'hello'));
  t.notOk(m('h?llo', 'hllo'));
  t.ok(m('h*llo', 'hllo'));
  t.ok(m('h*llo', 'heeeeello'));
  t.ok(m('a*b*c', 'axxbyyc'));
  t.notOk(m('a*b*c', 'axxbyy'));
  t.ok(m('abc*', 'abc'), 'trailing stars match the empty rest');
  t.notOk(m('', 'a'));
  t.ok(m('', ''));
});

t.test('classes, ranges, negation and escapes', async (t) => {
  t.ok(m('h[ae]llo', 'hallo'));
  t.notOk(m('h[ae]llo', 'hillo'));
  t.ok(m('h[^e]llo', 'hallo'));
  t.notOk(m('h[^e]llo', 'hello'));
  t.ok(m('h[a-b]llo', 'hbllo'));
  t.ok(m('h[b-a]llo', 'hallo'), 'a reversed range is swapped');
  t.ok(m('a[\\]]c', 'a]c'));
  t.ok(m('a[\\-]c', 'a-c'));
  t.notOk(m('a[\\-]c', 'abc'));
  // 'b-]' is the range ']'..'b', so the class runs on and takes in 'c', to the pattern's end.
  t.ok(m('a[b-]c', 'a^'));
  t.ok(m('a[b-]c', 'ac'));
  t.notOk(m('a[b-]c', 'a]c'));
  t.notOk(m('a[b-]c', 'a\\'));
  t.ok(m('h\\*llo', 'h*llo'));
  t.notOk(m('h\\*llo', 'hello'));
  t.ok(m('a\\', 'a\\'), 'a trailing backslash matches itself');
  t.notOk(m('a[', 'a['), 'an empty unterminated class matches nothing');
  t.notOk(m('a[b', 'ac'));
  t.ok(m('a[b', 'ab'));
  t.ok(m('[^', 'x'), 'an unterminated negated empty class matches any byte');
});

t.test('bytes compare as signed chars, as in C on x86', async (t) => {
  t.ok(m('[\x80-\xff]', '\x90'));
  t.notOk(m('[\x80-\xff]', 'a'));
  // 'a'-'\xff' is the signed range -1..97.
  t.ok(m('[a-\xff]', 'a'));
  t.notOk(m('[a-\xff]', 'b'));
  t.ok(m('[a-\xff]', '\x00'));
  t.notOk(m('[a-\xff]', 'z'));
});

t.test('is case sensitive and binary safe', async (t) => {
  t.notOk(m('abc', 'ABC'));
  t.ok(m('a\x00*', 'a\x00b'));
  t.notOk(m('a\x00*', 'a'));
});

t.test('pathological patterns stay fast and deep nesting is refused', async (t) => {
  const subject = 'a'.repeat(200);
  t.notOk(m('a*'.repeat(30) + 'b', subject));
  t.ok(m('a*'.repeat(30), subject));
  t.notOk(m('*a'.repeat(1100) + 'b', 'a'.repeat(1200) + 'b'), 'more than 1000 nested stars never match');
});

t.test('matchesEverything', async (t) => {
  t.ok(matchesEverything(b('*')));
  t.notOk(matchesEverything(b('**')));
  t.notOk(matchesEverything(b('a')));
});
