import t from 'tap';
import { makeHarness } from '../support/command-harness.js';

const invalidExpire = (cmd: string) => ({ error: `ERR invalid expire time in '${cmd}' command` });
const NOT_INT = { error: 'ERR value is not an integer or out of range' };
const SYNTAX = { error: 'ERR syntax error' };

t.test('TTL family on missing keys, keys without expiry and expiring keys', async (t) => {
  const r = makeHarness();
  for (const cmd of ['TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME']) t.equal(await r(cmd, 'missing'), -2, cmd);
  await r('SET', 'k', 'v');
  for (const cmd of ['TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME']) t.equal(await r(cmd, 'k'), -1, cmd);
  const now = r.clock.now();
  await r('PEXPIRE', 'k', '5000');
  t.equal(await r('TTL', 'k'), 5);
  t.equal(await r('PTTL', 'k'), 5000);
  t.equal(await r('PEXPIRETIME', 'k'), now + 5000);
  t.equal(await r('EXPIRETIME', 'k'), Math.floor((now + 5000 + 500) / 1000));
  r.clock.advance(3501);
  t.equal(await r('PTTL', 'k'), 1499);
  t.equal(await r('TTL', 'k'), 1, 'seconds round to nearest');
  r.clock.advance(998);
  t.equal(await r('TTL', 'k'), 1, '501ms rounds up');
  r.clock.advance(500);
  t.equal(await r('TTL', 'k'), 0);
  t.equal(await r('PTTL', 'k'), 1);
  t.equal(await r('GET', 'k'), 'v');
  r.clock.advance(1);
  t.equal(await r('PTTL', 'k'), -2, 'gone the moment it expires');
  t.equal(await r('GET', 'k'), null);
  t.equal(await r('EXISTS', 'k'), 0);
  t.equal(await r('TYPE', 'k'), 'none');
});

t.test('EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT', async (t) => {
  const r = makeHarness();
  const now = r.clock.now();
  t.equal(await r('EXPIRE', 'missing', '10'), 0);
  await r('SET', 'k', 'v');
  t.equal(await r('EXPIRE', 'k', '10'), 1);
  t.equal(await r('PTTL', 'k'), 10000);
  t.equal(await r('PEXPIRE', 'k', '1500'), 1);
  t.equal(await r('PTTL', 'k'), 1500);
  t.equal(await r('EXPIREAT', 'k', String(Math.floor(now / 1000) + 100)), 1);
  t.equal(await r('PEXPIRETIME', 'k'), (Math.floor(now / 1000) + 100) * 1000);
  t.equal(await r('PEXPIREAT', 'k', String(now + 7)), 1);
  t.equal(await r('PTTL', 'k'), 7);
  t.equal(await r('GET', 'k'), 'v', 'the value is untouched');
  t.equal(await r('PEXPIREAT', 'k', '100000000000000'), 1);
  t.equal(await r('PEXPIRETIME', 'k'), 100000000000000);
});

t.test('a time now or in the past deletes the key with a tombstone', async (t) => {
  const r = makeHarness();
  for (const args of [
    ['EXPIRE', '0'],
    ['EXPIRE', '-1'],
    ['PEXPIRE', '-9223372036854775808'],
    ['EXPIRE', '-9223372036854775'],
    ['EXPIREAT', '1'],
    ['PEXPIREAT', String(r.clock.now())],
  ]) {
    await r('SET', 'k', 'v');
    t.equal(await r(args[0]!, 'k', args[1]!), 1, args.join(' '));
    t.equal(await r('EXISTS', 'k'), 0);
    t.equal(r.kv.peek('k')!.siblings.at(-1)!.tombstone, true);
  }
});

t.test('expire times that overflow and bad arguments', async (t) => {
  const r = makeHarness();
  await r('SET', 'k', 'v');
  t.same(await r('EXPIRE', 'k', '9223372036854775'), invalidExpire('expire'), 'fits in ms but overflows with now added');
  t.same(await r('EXPIRE', 'k', '9223372036854776'), invalidExpire('expire'));
  t.same(await r('EXPIRE', 'k', '-9223372036854776'), invalidExpire('expire'));
  t.same(await r('PEXPIRE', 'k', '9223372036854775807'), invalidExpire('pexpire'));
  t.same(await r('EXPIREAT', 'k', '9223372036854776'), invalidExpire('expireat'));
  t.equal(await r('PEXPIREAT', 'k', '9223372036854775807'), 1, 'the largest absolute time is fine');
  t.same(await r('EXPIRE', 'k', 'abc'), NOT_INT);
  t.same(await r('EXPIRE', 'k', '1.5'), NOT_INT);
  t.same(await r('EXPIRE', 'k'), { error: "ERR wrong number of arguments for 'expire' command" });
});

t.test('EXPIRE options NX XX GT LT', async (t) => {
  const r = makeHarness();
  await r('SET', 'k', 'v');
  t.equal(await r('EXPIRE', 'k', '10', 'XX'), 0, 'XX needs an existing expiry');
  t.equal(await r('EXPIRE', 'k', '10', 'GT'), 0, 'no expiry is infinite: GT never beats it');
  t.equal(await r('EXPIRE', 'k', '10', 'LT'), 1, 'and LT always does');
  t.equal(await r('TTL', 'k'), 10);
  t.equal(await r('EXPIRE', 'k', '20', 'NX'), 0);
  t.equal(await r('EXPIRE', 'k', '20', 'xx'), 1);
  t.equal(await r('EXPIRE', 'k', '5', 'gt'), 0);
  t.equal(await r('EXPIRE', 'k', '20', 'GT'), 0, 'equal is not greater');
  t.equal(await r('EXPIRE', 'k', '30', 'GT'), 1);
  t.equal(await r('EXPIRE', 'k', '40', 'LT'), 0);
  t.equal(await r('EXPIRE', 'k', '30', 'LT'), 0, 'equal is not less');
  t.equal(await r('EXPIRE', 'k', '5', 'LT'), 1);
  t.equal(await r('TTL', 'k'), 5);
  t.equal(await r('EXPIRE', 'k', '10', 'GT', 'GT'), 1, 'repeats are allowed');
  t.equal(await r('EXPIRE', 'k', '5', 'LT', 'XX'), 1);
  await r('PERSIST', 'k');
  t.equal(await r('EXPIRE', 'k', '10', 'NX'), 1);
  t.equal(await r('EXPIRE', 'k', '-1', 'GT'), 0);
  t.equal(await r('EXISTS', 'k'), 1);
  t.equal(await r('EXPIRE', 'k', '-1', 'LT'), 1);
  t.equal(await r('EXISTS', 'k'), 0);
  t.equal(await r('EXPIRE', 'missing', '10', 'NX'), 0);
});

t.test('EXPIRE option errors come before the time is read', async (t) => {
  const r = makeHarness();
  const nx = { error: 'ERR NX and XX, GT or LT options at the same time are not compatible' };
  t.same(await r('EXPIRE', 'k', '10', 'foo'), { error: 'ERR Unsupported option foo' });
  t.same(await r('EXPIRE', 'k', 'abc', 'foo'), { error: 'ERR Unsupported option foo' });
  t.same(await r('EXPIRE', 'k', '10', 'NX', 'bar\r\n'), { error: 'ERR Unsupported option bar  ' });
  t.same(await r('EXPIRE', 'k', '10', 'NX', 'XX'), nx);
  t.same(await r('EXPIRE', 'k', '10', 'GT', 'NX'), nx);
  t.same(await r('PEXPIRE', 'k', '10', 'NX', 'LT'), nx);
  t.same(await r('EXPIRE', 'k', '10', 'GT', 'LT'), { error: 'ERR GT and LT options at the same time are not compatible' });
  t.same(await r('EXPIRE', 'k', 'abc', 'NX', 'XX'), nx);
});

t.test('PERSIST', async (t) => {
  const r = makeHarness();
  t.equal(await r('PERSIST', 'missing'), 0);
  await r('SET', 'k', 'v');
  t.equal(await r('PERSIST', 'k'), 0);
  await r('EXPIRE', 'k', '100');
  t.equal(await r('PERSIST', 'k'), 1);
  t.equal(await r('TTL', 'k'), -1);
  t.equal(await r('GET', 'k'), 'v');
  r.clock.advance(200_000);
  t.equal(await r('GET', 'k'), 'v', 'persisted keys do not expire');
});

t.test('GETEX', async (t) => {
  const r = makeHarness();
  const now = r.clock.now();
  t.equal(await r('GETEX', 'missing'), null);
  t.equal(await r('GETEX', 'missing', 'EX', '0'), null, 'a missing key is not checked further');
  t.equal(await r('GETEX', 'missing', 'EX', 'abc'), null);
  await r('SET', 'k', 'v');
  r.kv.calls.length = 0;
  t.equal(await r('GETEX', 'k'), 'v');
  t.same(r.kv.calls.map((c) => c.op), ['read'], 'without options it only reads');
  t.equal(await r('GETEX', 'k', 'EX', '10'), 'v');
  t.equal(await r('TTL', 'k'), 10);
  t.equal(await r('GETEX', 'k', 'PX', '1500'), 'v');
  t.equal(await r('PTTL', 'k'), 1500);
  t.equal(await r('GETEX', 'k', 'EXAT', String(Math.floor(now / 1000) + 50)), 'v');
  t.equal(await r('PEXPIRETIME', 'k'), (Math.floor(now / 1000) + 50) * 1000);
  t.equal(await r('GETEX', 'k', 'PXAT', String(now + 99)), 'v');
  t.equal(await r('PTTL', 'k'), 99);
  t.equal(await r('GETEX', 'k', 'PERSIST'), 'v');
  t.equal(await r('TTL', 'k'), -1);
  r.kv.calls.length = 0;
  t.equal(await r('GETEX', 'k', 'persist', 'persist'), 'v');
  t.same(r.kv.calls.map((c) => c.op), ['update']);
  t.equal(r.kv.peek('k')!.siblings.length, 1);
  t.equal(await r('GETEX', 'k', 'EXAT', '1'), 'v', 'a past time returns the value, then deletes');
  t.equal(await r('EXISTS', 'k'), 0);
  await r('SET', 'k', 'v');
  t.equal(await r('GETEX', 'k', 'PXAT', '1'), 'v');
  t.equal(await r('EXISTS', 'k'), 0);
});

t.test('GETEX errors', async (t) => {
  const r = makeHarness();
  await r('SET', 'k', 'v');
  for (const opts of [['EX', '10', 'PX', '10'], ['PERSIST', 'EX', '10'], ['EX', '10', 'PERSIST'], ['foo'], ['EX'], ['NX'], ['KEEPTTL'], ['GET']]) {
    t.same(await r('GETEX', 'k', ...opts), SYNTAX, opts.join(' '));
  }
  t.same(await r('GETEX', 'missing', 'foo'), SYNTAX, 'syntax is checked even for a missing key');
  t.same(await r('GETEX', 'k', 'EX', '0'), invalidExpire('getex'));
  t.same(await r('GETEX', 'k', 'EX', '-1'), invalidExpire('getex'));
  t.same(await r('GETEX', 'k', 'EXAT', '0'), invalidExpire('getex'));
  t.same(await r('GETEX', 'k', 'EX', '9223372036854775807'), invalidExpire('getex'));
  t.same(await r('GETEX', 'k', 'EX', '9223372036853775'), invalidExpire('getex'));
  t.same(await r('GETEX', 'k', 'EX', 'abc'), NOT_INT);
  t.equal(await r('TTL', 'k'), -1, 'nothing changed');
  t.same(await r('GETEX'), { error: "ERR wrong number of arguments for 'getex' command" });
});
