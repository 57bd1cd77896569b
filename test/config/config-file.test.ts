import t from 'tap';
import { isJsonPath, parseConfConfig, parseConfigFile, splitArgs } from '../../src/config/config-file.js';

t.test('splitArgs follows Redis quoting', async (t) => {
  t.same(splitArgs('port 6379'), ['port', '6379']);
  t.same(splitArgs('  a\tb   c  '), ['a', 'b', 'c']);
  t.same(splitArgs(''), []);
  t.same(splitArgs('requirepass ""'), ['requirepass', '']);
  t.same(splitArgs('x "a b"'), ['x', 'a b']);
  t.same(splitArgs('x "a\\"b\\\\c"'), ['x', 'a"b\\c']);
  t.same(splitArgs('x "\\n\\r\\t\\b\\a"'), ['x', '\n\r\t\b\x07']);
  t.same(splitArgs('x "\\x41\\x7a"'), ['x', 'Az']);
  t.same(splitArgs('x "\\xZZ"'), ['x', 'xZZ'], 'a bad \\x escape keeps the x');
  t.same(splitArgs("x 'it\\'s'"), ['x', "it's"]);
  t.same(splitArgs("x 'a\\nb'"), ['x', 'a\\nb'], 'single quotes take no other escapes');
  t.same(splitArgs('x pa"ss'), ['x', 'pa"ss'], 'a quote inside a bare word is literal');
  t.same(splitArgs('x "a" "b"'), ['x', 'a', 'b']);
  t.equal(splitArgs('x "open'), undefined);
  t.equal(splitArgs("x 'open"), undefined);
  t.equal(splitArgs('x "a"b'), undefined, 'a closing quote must end the argument');
  t.equal(splitArgs("x 'a'b"), undefined);
  t.equal(splitArgs('x "ends with backslash\\'), undefined);
});

t.test('conf files skip comments and blank lines, keep line numbers', async (t) => {
  const entries = parseConfConfig('a.conf', '\uFEFF# c\n\nport 1\r\n  # indented comment\nseeds a:1 b:2\n');
  t.same(entries, [
    { kind: 'conf', key: 'port', tokens: ['1'], where: 'a.conf:3' },
    { kind: 'conf', key: 'seeds', tokens: ['a:1', 'b:2'], where: 'a.conf:5' },
  ]);
});

t.test('the format follows the extension', async (t) => {
  t.ok(isJsonPath('x.json'));
  t.ok(isJsonPath('X.JSON'));
  t.notOk(isJsonPath('x.conf'));
  t.notOk(isJsonPath('json'));
  t.same(parseConfigFile('a.json', '{"port": 1}'), [{ kind: 'json', key: 'port', value: 1, where: 'a.json' }]);
  t.same(parseConfigFile('a.conf', 'port 1'), [{ kind: 'conf', key: 'port', tokens: ['1'], where: 'a.conf:1' }]);
});
