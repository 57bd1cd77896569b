import t from 'tap';
import { addLongDouble, formatLongDouble, parseLongDouble } from '../../src/commands/long-double.js';
import { makeHarness } from '../support/command-harness.js';
import { incrbyfloatVectors } from './incrbyfloat-vectors.js';

const NOT_INT = { error: 'ERR value is not an integer or out of range' };
const OVERFLOW = { error: 'ERR increment or decrement would overflow' };
const NOT_FLOAT = { error: 'ERR value is not a valid float' };

t.test('INCR, DECR, INCRBY, DECRBY', async (t) => {
  const r = makeHarness();
  t.equal(await r('INCR', 'n'), 1);
  t.equal(await r('INCR', 'n'), 2);
  t.equal(await r('DECR', 'n'), 1);
  t.equal(await r('INCRBY', 'n', '10'), 11);
  t.equal(await r('DECRBY', 'n', '20'), -9);
  t.equal(await r('GET', 'n'), '-9', 'stored as decimal text');
  t.equal(await r('DECR', 'm'), -1, 'a missing key counts as 0');
  t.equal(await r('INCRBY', 'z', '-5'), -5);
  t.equal(await r('DECRBY', 'n', '-9'), 0);
  t.same(r.kv.calls.filter((c) => c.op !== 'read').map((c) => c.op), Array(8).fill('write'), 'increments the coordinating replica merges');
});

t.test('overflow and bad numbers', async (t) => {
  const r = makeHarness();
  t.equal(await r('INCRBY', 'x', '9223372036854775807'), 9223372036854775807n);
  t.same(await r('INCR', 'x'), OVERFLOW);
  t.same(await r('DECRBY', 'x', '-1'), OVERFLOW);
  t.equal(await r('GET', 'x'), '9223372036854775807', 'nothing written on overflow');
  await r('SET', 'x', '-9223372036854775808');
  t.same(await r('DECR', 'x'), OVERFLOW);
  t.same(await r('DECRBY', 'x', '1'), OVERFLOW);
  t.same(await r('INCRBY', 'x', '-1'), OVERFLOW);
  t.same(await r('DECRBY', 'x', '-9223372036854775808'), { error: 'ERR decrement would overflow' });
  t.same(await r('DECRBY', 'missing', '-9223372036854775808'), { error: 'ERR decrement would overflow' });
  t.equal(await r('EXISTS', 'missing'), 0);
  await r('SET', 'y', '10');
  t.equal(await r('DECRBY', 'y', '9223372036854775807'), -9223372036854775797n);
  for (const bad of ['abc', ' 1', '1 ', '01', '+1', '-0', '1.0', '', '9223372036854775808']) {
    await r('SET', 'b', bad);
    t.same(await r('INCR', 'b'), NOT_INT, JSON.stringify(bad));
  }
  t.same(await r('INCRBY', 'n', 'abc'), NOT_INT);
  t.same(await r('INCRBY', 'n', '1.5'), NOT_INT);
  t.same(await r('DECRBY', 'n', '9223372036854775808'), NOT_INT);
  t.same(await r('INCR'), { error: "ERR wrong number of arguments for 'incr' command" });
});

t.test('counters keep the expiry', async (t) => {
  const r = makeHarness();
  await r('SET', 't', '1', 'EX', '100');
  await r('INCR', 't');
  await r('INCRBYFLOAT', 't', '1.5');
  t.equal(await r('GET', 't'), '3.5');
  t.equal(await r('TTL', 't'), 100);
  r.clock.advance(100_000);
  t.equal(await r('INCR', 't'), 1, 'an expired counter starts again from 0');
  t.equal(await r('TTL', 't'), -1);
});

t.test('INCRBYFLOAT matches redis-server digit for digit', async (t) => {
  for (const [stored, by, expected] of incrbyfloatVectors) {
    const r = makeHarness();
    if (stored !== null) await r('SET', 'f', stored);
    const reply = await r('INCRBYFLOAT', 'f', by);
    if (expected.startsWith('ERROR ')) {
      t.same(reply, { error: expected.slice(6) }, `${stored} + ${by}`);
      t.equal(await r('GET', 'f'), stored, 'unchanged after an error');
    } else {
      t.equal(reply, expected, `${stored} + ${by}`);
      t.equal(await r('GET', 'f'), expected, 'stores the text it replies');
    }
  }
});

t.test('INCRBYFLOAT errors and limits', async (t) => {
  const r = makeHarness({ maxValueBytes: 20 });
  t.same(await r('INCRBYFLOAT', 'f', 'abc'), NOT_FLOAT);
  t.equal(await r('EXISTS', 'f'), 0);
  await r('SET', 'f', Buffer.from('1\x002'));
  t.same(await r('INCRBYFLOAT', 'f', '1'), NOT_FLOAT, 'a NUL inside the stored value');
  await r('SET', 'f', '1');
  t.same(await r('INCRBYFLOAT', 'f', '1e30'), { error: 'ERR value exceeds the maximum of 20 bytes (max-value-bytes)' });
  t.equal(await r('GET', 'f'), '1');
  t.same(await r('INCRBYFLOAT', 'f', 'x'.repeat(6000)), NOT_FLOAT, 'texts of 5KB and more are not numbers');
  r.limits.maxKeyBytes = 2;
  t.same(await r('INCRBYFLOAT', 'long', '1'), { error: 'ERR key exceeds the maximum of 2 bytes (max-key-bytes)' });
  t.same(await r('INCR', 'long'), { error: 'ERR key exceeds the maximum of 2 bytes (max-key-bytes)' });
  r.limits.maxValueBytes = 2;
  await r('SET', 'n', '99');
  t.equal(await r('INCR', 'n'), 100, 'a counter is not held to max-value-bytes (its text is at most 20 bytes)');
});

t.test('long double arithmetic edge cases', async (t) => {
  const ld = (s: string) => parseLongDouble(s)!;
  const sum = (a: string, b: string) => {
    const s = addLongDouble(ld(a), ld(b));
    return s && formatLongDouble(s);
  };
  t.equal(sum('0x1p16383', '0x1p16383'), undefined, 'overflow to infinity');
  t.equal(sum('-0x1p16383', '-0x1p16383'), undefined);
  t.equal(sum('0x1p16383', '-0x1p16383'), '0');
  t.equal(parseLongDouble('0x1p-16446'), undefined, 'below half the least subnormal');
  t.ok(parseLongDouble('0x1p-16445'), 'the least subnormal');
  t.equal(sum('0x1p-16445', '0x1p-16445'), '0');
  t.equal(sum('0xffffffffffffffff8', '0'), '295147905179352825856', 'rounds up into a 65th bit and renormalises');
  t.equal(parseLongDouble('0x1p99999999999'), undefined, 'huge exponents are clamped, then overflow');
  t.equal(parseLongDouble('0x1p-99999999999'), undefined, 'or underflow');
  t.equal(parseLongDouble('0xffffffffffffffff8p16316'), undefined, 'rounding up can overflow');
  t.equal(parseLongDouble('1.19e4932'), undefined, 'just above the largest long double');
  t.ok(parseLongDouble('1.18e4932'));
  t.equal(parseLongDouble('1e99999999999'), undefined);
  t.equal(parseLongDouble('0e99999999999')!.mant, 0n, 'zero with any exponent is zero');
  t.equal(parseLongDouble('-0x0p5')!.neg, true);
  t.equal(parseLongDouble('nan'), undefined);
  t.equal(parseLongDouble('-inf')!.infinite, true);
  t.equal(sum('1', '-1'), '0');
  t.equal(sum('-2.5', '0'), '-2.5');
  t.equal(sum('0.5', '0.25'), '0.75');
});

t.test('counters: expiry as on strings, read as strings, replaced by string writes', async (t) => {
  const r = makeHarness();
  t.equal(await r('INCRBY', 'c', '5'), 5);
  t.equal(await r('EXPIRE', 'c', '100'), 1);
  t.equal(await r('INCR', 'c'), 6, 'EXPIRE keeps the counter');
  t.equal(await r('TTL', 'c'), 100, 'INCR keeps the expiry');
  t.equal(await r('PERSIST', 'c'), 1);
  t.equal(await r('TTL', 'c'), -1);
  t.equal(await r('GETEX', 'c', 'PX', '5000'), '6');
  t.equal(await r('DECR', 'c'), 5);
  t.equal(await r('PTTL', 'c'), 5000);
  t.equal(await r('STRLEN', 'c'), 1);
  t.equal(await r('GETRANGE', 'c', '0', '-1'), '5');
  t.same(await r('QGET', 'c'), [(await r('QGET', 'c') as [string, string[]])[0], ['5']], 'QGET shows the total');
  r.clock.advance(5000);
  t.equal(await r('GET', 'c'), null, 'expired');
  t.equal(await r('INCR', 'c'), 1, 'counts from 0 again');
  t.equal(await r('TTL', 'c'), -1);
  t.equal(await r('APPEND', 'c', '0'), 2);
  t.equal(await r('INCR', 'c'), 11, 'APPEND made it a string; INCR counts on from it');
  t.equal(await r('INCRBYFLOAT', 'c', '0.5'), '11.5');
  t.same(await r('INCR', 'c'), NOT_INT);
  t.equal(await r('GETSET', 'c', '3'), '11.5');
  t.equal(await r('INCR', 'c'), 4);
  t.equal(await r('SET', 'c', 'x', 'GET'), '4');
  t.equal(await r('INCR', 'd'), 1);
  t.equal(await r('DEL', 'd'), 1);
  t.equal(await r('EXISTS', 'd'), 0);
  t.equal(await r('INCR', 'd'), 1, 'a deleted counter starts again');
  t.equal(await r('EXPIRE', 'd', '-1'), 1, 'a past expiry deletes a counter');
  t.equal(await r('GET', 'd'), null);
});
