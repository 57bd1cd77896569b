import t from 'tap';
import { NIL, NIL_ARRAY, OK, REC, againstRecord, againstReply, arr, bulk, elements, err, findRedis, int, isSample, literal, oneOf, sample, show, simple, toResp3, toResp3Shape } from './diff-support.js';
import type { Step } from './diff-support.js';

// The comparison rules the data-*.test.ts sessions rely on: a mismatch must
// fail, and the tolerated differences must be exactly the documented ones.

const AT = 1_700_000_000_000;

t.test('elements splits an array reply into raw elements', async (t) => {
  t.same(elements(arr(bulk('a\r\n'), int(3), arr(NIL), err('E x'))), [bulk('a\r\n'), int(3), arr(NIL), err('E x')]);
  t.same(elements(arr()), []);
  t.equal(elements(NIL_ARRAY), null);
  t.equal(elements(bulk('*1\r\n')), null);
  t.throws(() => elements('*2\r\n:1\r\n'), /truncated/);
});

t.test('toResp3 turns only nulls into _', async (t) => {
  t.equal(toResp3(NIL), '_\r\n');
  t.equal(toResp3(NIL_ARRAY), '_\r\n');
  t.equal(toResp3(arr(bulk('$-1\r\n'), NIL, arr(NIL))), '*3\r\n$5\r\n$-1\r\n\r\n_\r\n*1\r\n_\r\n');
  t.equal(toResp3(bulk('x')), bulk('x'));
  t.equal(toResp3(int(-1)), int(-1));
});

t.test('elements of a RESP3 map are its keys and values in turn', async (t) => {
  t.same(elements('%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n'), [bulk('a'), int(1), bulk('b'), '_\r\n']);
  t.same(elements('%0\r\n'), []);
});

t.test('toResp3Shape: maps, sets and pairs', async (t) => {
  const flat = arr(bulk('f'), bulk('v'), bulk('g'), NIL);
  t.equal(toResp3Shape(flat, 'map'), '%2\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n_\r\n');
  t.equal(toResp3Shape(flat, 'set'), '~4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n_\r\n');
  t.equal(toResp3Shape(flat, 'pairs'), arr(arr(bulk('f'), bulk('v')), arr(bulk('g'), '_\r\n')));
  t.equal(toResp3Shape(arr(), 'map'), '%0\r\n');
  t.equal(toResp3Shape(err('WRONGTYPE x'), 'map'), err('WRONGTYPE x'), 'errors stay errors');
  t.equal(toResp3Shape(NIL, 'set'), '_\r\n');
  t.equal(toResp3Shape(flat, undefined), toResp3(flat));
  t.throws(() => toResp3Shape(arr(bulk('f')), 'map'), /even number/);
});

t.test('literal writes the helper expression for a reply', async (t) => {
  t.equal(literal(OK), 'OK');
  t.equal(literal(NIL), 'NIL');
  t.equal(literal(NIL_ARRAY), 'NIL_ARRAY');
  t.equal(literal(int(-5)), 'int(-5)');
  t.equal(literal(simple('string')), "simple('string')");
  t.equal(literal(err("ERR it's")), "err('ERR it\\'s')");
  t.equal(literal(bulk(Buffer.from([0, 13, 10, 0xff, 0x5c]))), "bulk('\\x00\\r\\n\\xff\\\\')");
  t.equal(literal(arr(bulk('a'), NIL)), "arr(bulk('a'), NIL)");
  t.match(literal(bulk('x'.repeat(1001))), /^\/\* bulk of 1001 bytes \*\//);
  t.equal(literal('_\r\n'), JSON.stringify('_\r\n'));
});

t.test('show keeps short replies and digests long ones', async (t) => {
  t.equal(show(OK), JSON.stringify(OK));
  t.match(show(bulk('y'.repeat(500))), /\(508 bytes, sha256 [0-9a-f]{12}\)$/);
});

t.test('bytes: any difference fails, RESP3 compares against the converted record', async (t) => {
  const step: Step = [['GET', 'k'], NIL];
  t.same(againstRecord(step, NIL, 2, AT), { ok: true });
  t.same(againstRecord(step, '_\r\n', 3, AT), { ok: true });
  t.same(againstRecord(step, NIL, 3, AT), { ok: false, found: NIL, wanted: '_\r\n' });
  t.same(againstRecord(step, bulk(''), 2, AT), { ok: false, found: bulk(''), wanted: NIL });
  t.same(againstReply(step, bulk('a'), bulk('b')), { ok: false, found: bulk('a'), wanted: bulk('b') });
  t.same(againstReply(step, bulk('a'), bulk('a')), { ok: true });
  t.equal(againstRecord([['GET', 'k'], REC], NIL, 2, AT).ok, false, 'an unrecorded step never passes');
});

t.test('near: integers within the tolerance, -1 and -2 exact', async (t) => {
  const step: Step = [['TTL', 'k'], int(100), { near: 1 }];
  t.equal(againstReply(step, int(99), int(100)).ok, true);
  t.equal(againstReply(step, int(98), int(100)).ok, false);
  t.equal(againstRecord(step, int(98), 2, AT).ok, true, 'twice the tolerance against the recording');
  t.equal(againstRecord(step, int(97), 2, AT).ok, false);
  t.equal(againstReply(step, int(-1), int(0)).ok, false);
  t.equal(againstReply(step, int(-2), int(-1)).ok, false);
  t.equal(againstReply(step, err('ERR x'), int(100)).ok, false);
});

t.test('fromNow: the recorded offset from the clock when the reply came', async (t) => {
  const step: Step = [['EXPIRETIME', 'k'], int(100), { fromNow: 's', near: 1 }];
  t.equal(againstRecord(step, int(AT / 1000 + 100), 2, AT).ok, true);
  t.equal(againstRecord(step, int(AT / 1000 + 102), 2, AT).ok, true);
  t.equal(againstRecord(step, int(AT / 1000 + 103), 2, AT).ok, false);
  t.equal(againstRecord(step, int(-1), 2, AT).ok, false);
  const ms: Step = [['PEXPIRETIME', 'k'], int(5000), { fromNow: 'ms', near: 100 }];
  t.equal(againstRecord(ms, int(AT + 5150), 2, AT).ok, true);
  t.equal(againstRecord(ms, int(AT + 5300), 2, AT).ok, false);
});

t.test('unordered and scan: same elements in any order, nothing more or less', async (t) => {
  const step: Step = [['KEYS', '*'], arr(bulk('a'), bulk('b')), { unordered: true }];
  t.equal(againstRecord(step, arr(bulk('b'), bulk('a')), 2, AT).ok, true);
  t.equal(againstRecord(step, arr(bulk('a')), 2, AT).ok, false);
  t.equal(againstRecord(step, arr(bulk('a'), bulk('b'), bulk('c')), 2, AT).ok, false);
  t.equal(againstReply(step, arr(bulk('b'), bulk('a')), arr(bulk('a'), bulk('b'))).ok, true);
  t.equal(againstReply(step, err('ERR x'), arr()).ok, false);
  const scan: Step = { scan: ['MATCH', 'a*'], keys: ['a1', 'a2'] };
  t.equal(againstRecord(scan, arr(bulk('a2'), bulk('a1')), 2, AT).ok, true);
  t.equal(againstRecord(scan, arr(bulk('a2')), 2, AT).ok, false);
  t.equal(againstReply(scan, arr(bulk('a2')), arr(bulk('a1'))).ok, false);
});

t.test('unordered maps and pairs: fields keep their values, the collection kind counts', async (t) => {
  const step: Step = [['HGETALL', 'h'], arr(bulk('a'), bulk('1'), bulk('b'), bulk('2')), { unordered: true, resp3: 'map' }];
  t.equal(againstRecord(step, arr(bulk('b'), bulk('2'), bulk('a'), bulk('1')), 2, AT).ok, true);
  t.equal(againstRecord(step, arr(bulk('a'), bulk('2'), bulk('b'), bulk('1')), 2, AT).ok, false, 'values swapped between fields');
  t.equal(againstRecord(step, '%2\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n', 3, AT).ok, true);
  t.equal(againstRecord(step, arr(bulk('b'), bulk('2'), bulk('a'), bulk('1')), 3, AT).ok, false, 'an array where RESP3 has a map');
  t.equal(againstReply(step, '%1\r\n$1\r\na\r\n$1\r\n1\r\n', '%1\r\n$1\r\na\r\n$1\r\n1\r\n').ok, true);
  t.equal(againstReply(step, '%1\r\n$1\r\na\r\n$1\r\n1\r\n', '%1\r\n$1\r\na\r\n$1\r\n2\r\n').ok, false);
  const set: Step = [['SMEMBERS', 's'], arr(bulk('x'), bulk('y')), { unordered: true, resp3: 'set' }];
  t.equal(againstRecord(set, '~2\r\n$1\r\ny\r\n$1\r\nx\r\n', 3, AT).ok, true);
  t.equal(againstRecord(set, arr(bulk('y'), bulk('x')), 3, AT).ok, false, 'an array where RESP3 has a set');
  t.equal(againstRecord(set, arr(bulk('y'), bulk('x')), 2, AT).ok, true);
  const pairs: Step = [['HRANDFIELD', 'h', '2', 'WITHVALUES'], arr(bulk('a'), bulk('1'), bulk('b'), bulk('2')), { unordered: true, resp3: 'pairs' }];
  t.equal(againstRecord(pairs, arr(arr(bulk('b'), bulk('2')), arr(bulk('a'), bulk('1'))), 3, AT).ok, true);
  t.equal(againstRecord(pairs, arr(arr(bulk('b'), bulk('1')), arr(bulk('a'), bulk('2'))), 3, AT).ok, false);
});

t.test('scan over a hash or a set: the union of members, fields with their values', async (t) => {
  const hscan: Step = { scan: ['MATCH', 'f*'], keys: ['f1', 'v1', 'f2', 'v2'], over: ['HSCAN', 'h'] };
  t.equal(againstRecord(hscan, arr(arr(bulk('f2'), bulk('v2')), arr(bulk('f1'), bulk('v1'))), 2, AT).ok, true);
  t.equal(againstRecord(hscan, arr(arr(bulk('f2'), bulk('v1')), arr(bulk('f1'), bulk('v2'))), 2, AT).ok, false);
  const sscan: Step = { scan: [], keys: ['a', 'b'], over: ['SSCAN', 's'] };
  t.equal(againstRecord(sscan, arr(bulk('b'), bulk('a')), 3, AT).ok, true);
  t.equal(againstRecord(sscan, err('WRONGTYPE x'), 2, AT).ok, false);
});

t.test('sample: size, membership, distinctness, values and shape, on each server alone', async (t) => {
  const one = sample(['a', 'b']);
  t.equal(isSample(bulk('a'), one.sample, 2), true);
  t.equal(isSample(bulk('c'), one.sample, 2), false);
  t.equal(isSample(arr(bulk('a')), one.sample, 2), false);
  t.equal(isSample(NIL, sample([]).sample, 2), true);
  t.equal(isSample('_\r\n', sample([]).sample, 3), true);
  t.equal(isSample(NIL, sample([]).sample, 3), false);
  const three = sample(['a', 'b'], 3).sample;
  t.equal(isSample(arr(bulk('a'), bulk('a'), bulk('b')), three, 2), true, 'repeats allowed unless distinct');
  t.equal(isSample(arr(bulk('a'), bulk('b')), three, 2), false, 'the count is exact');
  const distinct = sample(['a', 'b', 'c'], 2, { distinct: true }).sample;
  t.equal(isSample(arr(bulk('c'), bulk('a')), distinct, 2), true);
  t.equal(isSample(arr(bulk('a'), bulk('a')), distinct, 2), false);
  const popped = sample(['a', 'b', 'c'], 2, { distinct: true, set: true }).sample;
  t.equal(isSample('~2\r\n$1\r\nb\r\n$1\r\nc\r\n', popped, 3), true);
  t.equal(isSample(arr(bulk('b'), bulk('c')), popped, 3), false, 'a set in RESP3');
  t.equal(isSample(arr(bulk('b'), bulk('c')), popped, 2), true);
  const withValues = sample(['f', 'g'], 2, { values: { f: '1', g: '2' } }).sample;
  t.equal(isSample(arr(bulk('g'), bulk('2'), bulk('g'), bulk('2')), withValues, 2), true);
  t.equal(isSample(arr(bulk('g'), bulk('1'), bulk('f'), bulk('1')), withValues, 2), false, 'a field with another field\'s value');
  t.equal(isSample(arr(arr(bulk('f'), bulk('1')), arr(bulk('g'), bulk('2'))), withValues, 3), true);
  t.equal(isSample(arr(bulk('f'), bulk('1'), bulk('g'), bulk('2')), withValues, 3), false, 'pairs are arrays in RESP3');
  const step: Step = [['SRANDMEMBER', 's', '-3'], sample(['a', 'b'], 3)];
  t.equal(againstReply(step, arr(bulk('a'), bulk('a'), bulk('a')), arr(bulk('b'), bulk('a'), bulk('b'))).ok, true);
  t.equal(againstRecord(step, arr(bulk('z'), bulk('a'), bulk('a')), 2, AT).ok, false);
  t.match(againstRecord(step, arr(), 2, AT), { ok: false, wanted: /^3 of \["a","b"\]/ });
});

t.test('oneOf: membership in the allowed replies, in both protocols', async (t) => {
  const step: Step = [['RANDOMKEY'], oneOf(bulk('a'), NIL)];
  t.equal(againstRecord(step, bulk('a'), 2, AT).ok, true);
  t.equal(againstRecord(step, '_\r\n', 3, AT).ok, true);
  t.equal(againstRecord(step, bulk('b'), 2, AT).ok, false);
  t.equal(againstReply(step, bulk('a'), NIL).ok, true, 'the two servers may pick different keys');
});

t.test('sleep steps are not compared', async (t) => {
  t.same(againstRecord({ sleep: 1 }, '', 2, AT), { ok: true });
  t.same(againstReply({ sleep: 1 }, '', 'x'), { ok: true });
});

t.test('findRedis names what is missing', async (t) => {
  const saved = process.env.REDIS_SERVER;
  t.teardown(() => {
    if (saved === undefined) delete process.env.REDIS_SERVER;
    else process.env.REDIS_SERVER = saved;
  });
  process.env.REDIS_SERVER = '/nonexistent/redis-server';
  t.same(findRedis(), { present: false, why: '/nonexistent/redis-server is not installed' });
  process.env.REDIS_SERVER = process.execPath; // runs, but is not Redis 7
  const notRedis = findRedis();
  t.equal(notRedis.present, false);
  t.match(notRedis, { why: /is not Redis 7/ });
});
