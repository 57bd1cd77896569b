import t from 'tap';
import { applyWrite } from '../../src/versioning/object.js';
import { makeHarness, run } from '../support/command-harness.js';

const NOT_INT = { error: 'ERR value is not an integer or out of range' };
const TOO_LONG = { error: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)' };

t.test('APPEND and STRLEN', async (t) => {
  const r = makeHarness();
  t.equal(await r('STRLEN', 's'), 0);
  t.equal(await r('APPEND', 's', 'hello'), 5);
  t.equal(await r('APPEND', 's', ' world'), 11);
  t.equal(await r('GET', 's'), 'hello world');
  t.equal(await r('STRLEN', 's'), 11);
  t.equal(await r('APPEND', 's', ''), 11);
  await r('SET', 't', 'v', 'EX', '100');
  t.equal(await r('APPEND', 't', 'w'), 2);
  t.equal(await r('TTL', 't'), 100, 'APPEND keeps the expiry');
  t.same(await r('APPEND', 's'), { error: "ERR wrong number of arguments for 'append' command" });
});

t.test('APPEND and SETRANGE respect the size limits', async (t) => {
  const r = makeHarness({ maxValueBytes: 8, maxKeyBytes: 3 });
  const tooBig = { error: 'ERR value exceeds the maximum of 8 bytes (max-value-bytes)' };
  await r('SET', 's', '12345');
  t.same(await r('APPEND', 's', '6789'), tooBig);
  t.equal(await r('GET', 's'), '12345');
  t.same(await r('APPEND', 'new', '123456789'), tooBig);
  t.same(await r('APPEND', 'long', 'v'), { error: 'ERR key exceeds the maximum of 3 bytes (max-key-bytes)' });
  t.same(await r('SETRANGE', 's', '5', 'abcd'), tooBig);
  t.same(await r('SETRANGE', 'n', '8', 'a'), tooBig);
  t.same(await r('SETRANGE', 'long', '0', 'a'), { error: 'ERR key exceeds the maximum of 3 bytes (max-key-bytes)' });
  t.equal(await r('SETRANGE', 's', '5', 'abc'), 8);
  t.same(r.kv.storedKeys(), ['s']);
});

t.test('Redis 512MB limit comes first and nothing is allocated for it', async (t) => {
  const r = makeHarness();
  t.same(await r('SETRANGE', 'k', '536870912', 'x'), TOO_LONG);
  t.same(await r('SETRANGE', 'k', '9223372036854775807', 'x'), TOO_LONG);
  t.same(await r('SETRANGE', 'k', '536870911', 'x'), { error: 'ERR value exceeds the maximum of 1048576 bytes (max-value-bytes)' });
  await r('SET', 's', 'hello');
  t.same(await r('SETRANGE', 's', '536870911', 'xx'), TOO_LONG);
  // A stored value of exactly 512MB (never written to, so it costs no memory): appending one byte is refused.
  r.kv.merge('b', applyWrite(undefined, {}, 'other-node', { value: Buffer.allocUnsafe(512 * 1024 * 1024), tombstone: false, expireAt: 0, ts: 1 }));
  t.equal(await r('STRLEN', 'b'), 512 * 1024 * 1024);
  t.same(await r('APPEND', 'b', 'x'), TOO_LONG);
  t.same(await r('SETRANGE', 'b', '536870911', 'xy'), TOO_LONG);
  await r('DEL', 'b');
});

t.test('GETRANGE', async (t) => {
  const r = makeHarness();
  await r('SET', 's', 'hello');
  const cases: Array<[string, string, string]> = [
    ['0', '-1', 'hello'],
    ['-100', '100', 'hello'],
    ['3', '1', ''],
    ['-1', '-1', 'o'],
    ['-1', '-5', ''],
    ['10', '20', ''],
    ['4', '4', 'o'],
    ['5', '-100', ''],
    ['0', '-100', 'h'],
    ['1', '3', 'ell'],
    ['0', '9223372036854775807', 'hello'],
    ['-9223372036854775808', '-9223372036854775808', 'h'],
    ['0', '-9223372036854775808', 'h'],
  ];
  for (const [start, end, expected] of cases) t.equal(await r('GETRANGE', 's', start, end), expected, `${start} ${end}`);
  t.equal(await r('GETRANGE', 'missing', '0', '-1'), '');
  t.same(await run(r.ctx, 'GETRANGE', 'missing', '0', '-1'), { t: 'bulk', v: Buffer.alloc(0) }, 'an empty bulk, not nil');
  await r('SET', 'e', '');
  t.equal(await r('GETRANGE', 'e', '0', '0'), '');
  t.same(await r('GETRANGE', 's', 'a', '1'), NOT_INT);
  t.same(await r('GETRANGE', 's', '0', '1.5'), NOT_INT);
  t.same(await r('GETRANGE', 's', '0'), { error: "ERR wrong number of arguments for 'getrange' command" });
});

t.test('SETRANGE', async (t) => {
  const r = makeHarness();
  t.same(await r('SETRANGE', 'k', '-1', 'x'), { error: 'ERR offset is out of range' });
  t.same(await r('SETRANGE', 'k', 'abc', 'x'), NOT_INT);
  t.equal(await r('SETRANGE', 'k', '0', ''), 0);
  t.equal(await r('SETRANGE', 'k', '536870911', ''), 0, 'an empty write checks no size');
  t.equal(await r('EXISTS', 'k'), 0, 'writing nothing creates no key');
  t.equal(await r('SETRANGE', 'k', '3', 'ab'), 5);
  t.same(await run(r.ctx, 'GET', 'k'), { t: 'bulk', v: Buffer.from('\0\0\0ab') }, 'zero padded');
  await r('SET', 's', 'hello world', 'EX', '100');
  t.equal(await r('SETRANGE', 's', '6', 'Redis'), 11);
  t.equal(await r('GET', 's'), 'hello Redis');
  t.equal(await r('SETRANGE', 's', '1', ''), 11);
  t.equal(await r('SETRANGE', 's', '536870911', ''), 11);
  t.equal(await r('SETRANGE', 's', '13', '!'), 14);
  t.same(await run(r.ctx, 'GET', 's'), { t: 'bulk', v: Buffer.from('hello Redis\0\0!') });
  t.equal(await r('TTL', 's'), 100, 'SETRANGE keeps the expiry');
});
