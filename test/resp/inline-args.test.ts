/**
 * Inline requests are split as Redis's sdssplitargs splits them. The first
 * cases are sdssplitargs's own unit tests; the table after them, hand-picked
 * and seeded-random lines, holds what redis-server 7.0.15 made of each line
 * (sent as `RPUSH k <line>`, read back with LRANGE), null for "unbalanced
 * quotes".
 */
import t from 'tap';
import { PROTO_UNBALANCED_QUOTES, splitInlineArgs } from '../../resp/index.js';
import { feedEveryWay, latin1 } from './feed-ways.js';

const split = (line: string): string[] | null => {
  const bytes = latin1(line);
  return splitInlineArgs(bytes, 0, bytes.length)?.map((b) => b.toString('latin1')) ?? null;
};

t.test("sdssplitargs's own cases", async (t) => {
  t.same(split('Testing one two three'), ['Testing', 'one', 'two', 'three']);
  t.same(split(''), []);
  t.same(split('"Testing split strings" \'Another split string\''), ['Testing split strings', 'Another split string']);
  t.same(split('"Hello" '), ['Hello']);
  const binary = split('"\\x73\\x75\\x70\\x65\\x72\\x20\\x00\\x73\\x65\\x63\\x72\\x65\\x74\\x20\\x70\\x61\\x73\\x73\\x77\\x6f\\x72\\x64"');
  t.equal(binary?.length, 1);
  t.equal(binary?.[0]?.length, 22);
});

t.test('a slice of a larger buffer', async (t) => {
  const buf = latin1('xx"a b" c\r\nyy');
  t.same(splitInlineArgs(buf, 2, 9)?.map(String), ['a b', 'c']);
  t.same(splitInlineArgs(buf, 2, 5), null, 'the slice ends inside the quotes');
});

// [line, arguments or null for unbalanced quotes], as redis-server 7.0.15 split them.
const REDIS_SPLITS: [string, string[] | null][] = [
  ["Testing one two three", ["Testing", "one", "two", "three"]],
  ["\"Testing split strings\" 'Another split string'", ["Testing split strings", "Another split string"]],
  ["\"Hello\" ", ["Hello"]],
  ["\"\\x73\\x75\\x70\\x65\\x72\\x20\\x00\\x73\\x65\\x63\\x72\\x65\\x74\\x20\\x70\\x61\\x73\\x73\\x77\\x6f\\x72\\x64\"", ["super \u0000secret password"]],
  ["a\"b c\"", ["ab c"]],
  ["a'b c'd", null],
  ["\"a\\nb\\rc\\td\\be\\af\\\\g\\\"h\\qi\"", ["a\nb\rc\td\be\u0007f\\g\"hqi"]],
  ["'a\\'b\\nc\\\\'", null],
  ["\"\\x4\"", ["x4"]],
  ["\"\\x4g\"", ["x4g"]],
  ["\"\\xZZ\"", ["xZZ"]],
  ["\"\\x41\\x4a\\x4A\"", ["AJJ"]],
  ["\"\" ''", ["", ""]],
  ["\"a\"\u000bb", ["a", "b"]],
  ["a\u000bb \fc", ["a\u000bb", "c"]],
  ["\"a\"b", null],
  ["'a'b", null],
  ["\"a", null],
  ["'a", null],
  ["\"a\\\"", null],
  ["'a\\'", null],
  ["\"\\", null],
  ["x\ty\u000bz", ["x", "y\u000bz"]],
  ["\u00e9\u00ff \"\u00fe\"", ["\u00e9\u00ff", "\u00fe"]],
  ["\"a b\" \"c d\"", ["a b", "c d"]],
  [" x\tabf", ["x", "abf"]],
  ["\\n", ["\\n"]],
  ["f", ["f"]],
  ["abxx", ["abxx"]],
  ["\"b", null],
  ["xanb\"\t\tna", null],
  ["nxa\"af 'x ", null],
  ["bn'f\t bnn", null],
  ["\"\\bf\u000bbnan\"4", null],
  ["fx\\4n4\\'\" \u000b", null],
  ["\"bn'f4\\\u000b4'nbb", null],
  ["x \\ 4xa\tb", ["x", "\\", "4xa", "b"]],
  ["fn\\\\\u000b\\n4n4bb'", null],
  ["\u000b\tba\u000b\u000b'\t", null],
  ["\t4'\u000bx\t\\a4\\", null],
  ["nb4", ["nb4"]],
  ["\"", null],
  ["' \u000b\"xx4b 4xf'", [" \u000b\"xx4b 4xf"]],
  ["xf'", null],
  ["x\\\tx\" b  \"\t\"", null],
  ["4", ["4"]],
  ["n ''a xf\\nn\\ \u000b", null],
  ["fn\t\t\u000ba4\tfxxxxb", ["fn", "a4", "fxxxxb"]],
  ["\txa\"b\"4 ", null],
  ["\\n", ["\\n"]],
  ["b", ["b"]],
  ["n", ["n"]],
  ["fb\\", ["fb\\"]],
  ["ab\"nx \t'\\n", null],
  ["4bb444", ["4bb444"]],
  ["'b b\u000b\\\u000b'", ["b b\u000b\\\u000b"]],
  ["\u000b fa\"f\\ ", null],
  ["faf'\tb\u000b'f\\ \\", null],
  ["\"fff\\\t\"n\"\"x\u000b\"", null],
  ["f4\\\u000b", ["f4\\\u000b"]],
  ["a", ["a"]],
  ["'4'\"\u000bn\\4\u000b\\\\b\"", null],
  ["\"4", null],
  ["\\\"4n", null],
  ["a4\t\\\tb\tbx\u000b", ["a4", "\\", "b", "bx\u000b"]],
  ["\"4 x\t\\b\u000bx4x\u000bb", null],
  ["   a n4\t nn4", ["a", "n4", "nn4"]],
  ["\\ ff aa\u000b\tbf", ["\\", "ff", "aa\u000b", "bf"]],
  [" x\"\"a'\"'f\"n\\", null],
  ["fx a\u000b", ["fx", "a\u000b"]],
  ["4\tnfxf", ["4", "nfxf"]],
  ["f f", ["f", "f"]],
  ["a4 na   4", ["a4", "na", "4"]],
  ["\u000bbfa\\\tfff4", ["bfa\\", "fff4"]],
  ["bfa\"\"'abf4fab", null],
  ["\\nfnf\"\u000b'", null],
  ["ff4f\"\u000bf'", null],
  ["\"4 xbx4\\b", null],
  ["\"xb\"\t'b \u000b\t\t", null],
  [" ' 4\"\u000b", null],
  ["x4", ["x4"]],
  ["\t\" ", null],
  ["xfx\\x\"\\\\b\u000b\\a", null],
  ["f44\u000bax", ["f44\u000bax"]],
  ["fn'fbb", null],];

t.test('lines split as redis-server split them', async (t) => {
  for (const [line, want] of REDIS_SPLITS) {
    t.same(split(line), want, JSON.stringify(line));
    const { whole, disagreements } = feedEveryWay(`${line}\r\n`);
    t.same(disagreements, []);
    if (want === null) t.equal(whole.error, PROTO_UNBALANCED_QUOTES);
    else t.same(whole.commands, want.length > 0 ? [want] : []);
  }
});
