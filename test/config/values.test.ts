import t from 'tap';
import {
  ValueError,
  boolOption,
  enumOption,
  formatHostPort,
  formatSize,
  hostPortListOption,
  intOption,
  isHost,
  optionalIntOption,
  optionalStringOption,
  parseBool,
  parseHostPort,
  parseSize,
  sizeOption,
  stringOption,
  shown,
} from '../../src/config/values.js';

const info = { name: 'x', doc: 'd', runtime: 'settable' as const };

t.test('int: range, signs, spaces, JSON forms', async (t) => {
  const o = intOption({ ...info, default: 5, min: 0, max: 65535 });
  t.equal(o.type, 'int');
  t.equal(o.parse('6379'), 6379);
  t.equal(o.parse(' 0 '), 0);
  t.equal(o.parse('+7'), 7);
  t.equal(o.parse('65535'), 65535);
  t.throws(() => o.parse('65536'), new ValueError("expected an integer from 0 to 65535, got '65536'"));
  t.throws(() => o.parse('-1'), /from 0 to 65535, got '-1'/);
  t.throws(() => o.parse('abc'), /got 'abc'/);
  t.throws(() => o.parse('1.5'), /got '1.5'/);
  t.throws(() => o.parse(''), /got ''/);
  t.throws(() => o.parse('99999999999999999999'), /expected an integer/);
  t.equal(o.fromJson(80), 80);
  t.equal(o.fromJson('81'), 81);
  t.throws(() => o.fromJson(1.5), /got 1.5/);
  t.throws(() => o.fromJson(true), /got true/);
  t.throws(() => o.fromJson(70000), /got 70000/);
  t.equal(o.format(12), '12');
});

t.test('optional int: off words, null in JSON', async (t) => {
  const o = optionalIntOption({ ...info, min: 0, max: 65535 });
  t.equal(o.default, null);
  t.equal(o.parse('9100'), 9100);
  t.equal(o.parse('0'), 0);
  for (const off of ['', 'off', 'OFF', 'none']) t.equal(o.parse(off), null, off);
  t.throws(() => o.parse('no-such'), new ValueError("expected an integer from 0 to 65535, or 'off', got 'no-such'"));
  t.throws(() => o.parse('70000'), /or 'off', got '70000'/);
  t.equal(o.fromJson(null), null);
  t.equal(o.fromJson(false), null);
  t.equal(o.fromJson('off'), null);
  t.equal(o.fromJson(9101), 9101);
  t.equal(o.fromJson('9102'), 9102);
  t.throws(() => o.fromJson(-3), /got -3/);
  t.throws(() => o.fromJson({}), /got \{\}/);
  t.equal(o.format(null), '');
  t.equal(o.format(9100), '9100');
});

t.test('size: Redis units (k=1000, kb=1024), bounds, printed in bytes', async (t) => {
  t.equal(parseSize('1gb'), 1024 ** 3);
  t.equal(parseSize('1GB'), 1024 ** 3);
  t.equal(parseSize('512mb'), 512 * 1024 ** 2);
  t.equal(parseSize('64kb'), 65536);
  t.equal(parseSize('2k'), 2000);
  t.equal(parseSize('3m'), 3_000_000);
  t.equal(parseSize('1g'), 1e9);
  t.equal(parseSize('100'), 100);
  t.equal(parseSize('1.5mb'), undefined);
  t.equal(parseSize('mb'), undefined);
  t.equal(parseSize('-1'), undefined);
  t.equal(parseSize('1tb'), undefined);
  t.equal(parseSize('99999999999gb'), undefined);
  const o = sizeOption({ ...info, default: 1024, min: 1, max: 512 * 1024 * 1024 });
  t.equal(o.type, 'size');
  t.equal(o.parse('512mb'), 512 * 1024 * 1024);
  t.throws(() => o.parse('513mb'), /expected a size from 1 to 512mb \(bytes, or with a unit: 64kb, 512mb, 1gb\), got '513mb'/);
  t.throws(() => o.parse('0'), /got '0'/);
  t.throws(() => o.parse('lots'), /got 'lots'/);
  t.equal(o.fromJson(2048), 2048);
  t.equal(o.fromJson('2kb'), 2048);
  t.throws(() => o.fromJson(0), /got 0/);
  t.throws(() => o.fromJson([1]), /got \[1\]/);
  t.equal(o.format(1048576), '1048576');
  t.equal(formatSize(1024 ** 3), '1gb');
  t.equal(formatSize(256 * 1024 ** 2), '256mb');
  t.equal(formatSize(65536), '64kb');
  t.equal(formatSize(1000), '1000');
  t.equal(formatSize(0), '0');
});

t.test('bool: yes/no/true/false/1/0 in, yes/no out', async (t) => {
  for (const w of ['yes', 'YES', 'true', 'True', '1']) t.equal(parseBool(w), true, w);
  for (const w of ['no', 'No', 'false', 'FALSE', '0']) t.equal(parseBool(w), false, w);
  t.equal(parseBool('on'), undefined);
  t.equal(parseBool(''), undefined);
  const o = boolOption({ ...info, default: false });
  t.equal(o.parse('yes'), true);
  t.throws(() => o.parse('maybe'), new ValueError("expected yes or no (also true/false, 1/0), got 'maybe'"));
  t.equal(o.fromJson(true), true);
  t.equal(o.fromJson(false), false);
  t.equal(o.fromJson('no'), false);
  t.equal(o.fromJson(1), true);
  t.equal(o.fromJson(0), false);
  t.throws(() => o.fromJson(2), /got 2/);
  t.equal(o.format(true), 'yes');
  t.equal(o.format(false), 'no');
});

t.test('enum: case-insensitive, lists the choices', async (t) => {
  const o = enumOption({ ...info, default: 'info' as const, values: ['debug', 'info'] as const });
  t.equal(o.type, 'enum');
  t.notOk('values' in o);
  t.equal(o.parse('DEBUG'), 'debug');
  t.throws(() => o.parse('loud'), new ValueError("expected one of debug, info, got 'loud'"));
  t.equal(o.fromJson('info'), 'info');
  t.throws(() => o.fromJson(3), /got 3/);
  t.equal(o.format('debug'), 'debug');
});

t.test('string and optional string', async (t) => {
  const o = stringOption({ ...info, default: 'a', expected: 'a short word', check: (s) => /^\w{1,5}$/.test(s) });
  t.equal(o.parse('abc'), 'abc');
  t.notOk('check' in o);
  t.throws(() => o.parse('toolongword'), new ValueError("expected a short word, got 'toolongword'"));
  t.throws(() => o.fromJson(5), /expected a short word, got 5/);
  t.equal(o.fromJson('ok'), 'ok');
  t.equal(o.format('abc'), 'abc');
  const p = optionalStringOption({ ...info, expected: 'no spaces', check: (s) => !s.includes(' ') });
  t.equal(p.default, null);
  t.equal(p.parse(''), null);
  t.equal(p.parse('pw'), 'pw');
  t.throws(() => p.parse('a b'), /expected no spaces, got 'a b'/);
  t.equal(p.fromJson(null), null);
  t.equal(p.fromJson('x'), 'x');
  t.throws(() => p.fromJson(1), /got 1/);
  t.equal(p.format(null), '');
  t.equal(p.format('x'), 'x');
});

t.test('host:port lists, IPv6 in brackets', async (t) => {
  t.same(parseHostPort('10.0.0.1:17001'), { host: '10.0.0.1', port: 17001 });
  t.same(parseHostPort(' node-a.example.com:1 '), { host: 'node-a.example.com', port: 1 });
  t.same(parseHostPort('[::1]:7000'), { host: '::1', port: 7000 });
  t.equal(parseHostPort('[nothost]:7000'), undefined);
  t.equal(parseHostPort('::1:7000'), undefined);
  t.equal(parseHostPort('host:0'), undefined);
  t.equal(parseHostPort('host:65536'), undefined);
  t.equal(parseHostPort('host'), undefined);
  t.equal(parseHostPort('bad_host!:1'), undefined);
  t.ok(isHost('127.0.0.1'));
  t.ok(isHost('::'));
  t.ok(isHost('localhost'));
  t.notOk(isHost('-bad'));
  t.notOk(isHost(''));
  t.equal(formatHostPort({ host: '::1', port: 2 }), '[::1]:2');
  t.equal(formatHostPort({ host: 'a', port: 2 }), 'a:2');
  const o = hostPortListOption(info);
  t.same(o.default, []);
  t.same(o.parse('a:1, b:2,,'), [
    { host: 'a', port: 1 },
    { host: 'b', port: 2 },
  ]);
  t.ok(Object.isFrozen(o.parse('a:1')));
  t.same(o.parse(''), []);
  t.throws(() => o.parse('a:1,b'), new ValueError("expected a comma-separated list of host:port (bad entry 'b'), got 'a:1,b'"));
  t.same(o.fromJson(['a:1', '[::1]:2']), [
    { host: 'a', port: 1 },
    { host: '::1', port: 2 },
  ]);
  t.same(o.fromJson('a:1'), [{ host: 'a', port: 1 }]);
  t.throws(() => o.fromJson(['a:1', 2]), /got \["a:1",2\]/);
  t.throws(() => o.fromJson(['a']), /bad entry 'a'/);
  t.equal(o.format(o.parse('a:1,[::1]:2')), 'a:1,[::1]:2');
});

t.test('shown quotes strings, truncates long ones', async (t) => {
  t.equal(shown('abc'), "'abc'");
  t.equal(shown('x'.repeat(100)), `'${'x'.repeat(64)}...'`);
  t.equal(shown(3), '3');
  t.equal(shown(undefined), 'undefined');
});
