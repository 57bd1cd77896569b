import t from 'tap';
import { NIL, NIL_ARRAY, OK, REC, againstRecord, againstReply, arr, bulk, elements, err, findRedis, int, literal, oneOf, show, simple, toResp3 } from './diff-support.js';
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
