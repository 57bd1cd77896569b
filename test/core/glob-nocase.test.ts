import t from 'tap';
import { globMatchText as globMatch } from '../../src/core/glob.js';

t.test('case-insensitive glob matching, as CONFIG GET matches names', async (t) => {
  const yes: Array<[string, string]> = [
    ['*', 'maxclients'],
    ['max*', 'max-value-bytes'],
    ['*bytes', 'max-key-bytes'],
    ['*-*-*', 'max-key-bytes'],
    ['m?xclients', 'maxclients'],
    ['MAXCLIENTS', 'maxclients'],
    ['maxclients', 'MaxClients'],
    ['[mn]', 'n'],
    ['[^r]', 'w'],
    ['[a-c]ache-mb', 'cache-mb'],
    ['[z-a]', 'q'],
    ['\\*', '*'],
    ['a\\?', 'a?'],
    ['[\\]]', ']'],
    // As Redis reads it: an escaped class member is a literal, so this class is {a, -, c}.
    ['[\\a-\\c]', '-'],
    ['a**b', 'ab'],
    ['*a*b*c*', 'xxaxxbxxcxx'],
    ['[abc', 'b'],
  ];
  for (const [p, s] of yes) t.ok(globMatch(p, s), `${p} matches ${s}`);
  const no: Array<[string, string]> = [
    ['max*', 'timeout'],
    ['?', ''],
    ['?', 'ab'],
    ['[^r]', 'r'],
    ['[a-c]', 'd'],
    ['\\*', 'x'],
    ['a*b', 'acbd'],
    ['abc', 'ab'],
    ['ab', 'abc'],
  ];
  for (const [p, s] of no) t.notOk(globMatch(p, s), `${p} does not match ${s}`);
});

t.test('a pathological pattern stays fast enough to finish', async (t) => {
  t.notOk(globMatch('*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(2000)));
});
