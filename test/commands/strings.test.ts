import t from 'tap';
import { applyWrite } from '../../src/versioning/object.js';
import { makeHarness, run } from '../support/command-harness.js';

const SYNTAX = { error: 'ERR syntax error' };
const NOT_INT = { error: 'ERR value is not an integer or out of range' };
const invalidExpire = (cmd: string) => ({ error: `ERR invalid expire time in '${cmd}' command` });

t.test('GET and SET', async (t) => {
  const r = makeHarness();
  t.equal(await r('GET', 'k'), null);
  t.equal(await r('SET', 'k', 'v'), 'OK');
  t.equal(await r('get', 'k'), 'v');
  t.equal(await r('SET', 'k', 'v2'), 'OK');
  t.equal(await r('GET', 'k'), 'v2');
  t.same(await r('GET'), { error: "ERR wrong number of arguments for 'get' command" });
  t.same(await r('SET', 'k'), { error: "ERR wrong number of arguments for 'set' command" });
});

t.test('values are raw bytes', async (t) => {
  const r = makeHarness();
  const bytes = Buffer.from([0, 255, 13, 10, 128]);
  await r('SET', Buffer.from([1, 2]), bytes);
  const reply = await run(r.ctx, 'GET', Buffer.from([1, 2]));
  t.same(reply, { t: 'bulk', v: bytes });
});

t.test('plain SET supersedes what the coordinator holds; conditional SETs go through update', async (t) => {
  const r = makeHarness();
  await r('SET', 'k', 'v');
  t.same(r.kv.calls.map((c) => [c.op, c.req?.supersedes.kind]), [['write', 'local']]);
  r.kv.calls.length = 0;
  await r('SET', 'k', 'v', 'NX');
  await r('SET', 'k', 'v', 'XX');
  await r('SET', 'k', 'v', 'GET');
  await r('SET', 'k', 'v', 'KEEPTTL');
  t.same(r.kv.calls.map((c) => c.op), ['update', 'update', 'update', 'update']);
});

t.test('SET resolves siblings and GET returns the newest one', async (t) => {
  const r = makeHarness();
  await r('SET', 'k', 'mine');
  r.clock.advance(10);
  // A concurrent write coordinated elsewhere arrives as a sibling.
  r.kv.merge('k', applyWrite(undefined, {}, 'other-node', { value: Buffer.from('theirs'), tombstone: false, expireAt: 0, ts: r.clock.now() }));
  t.equal(r.kv.peek('k')!.siblings.length, 2);
  t.equal(await r('GET', 'k'), 'theirs', 'newest timestamp wins');
  t.same(await r('MGET', 'k'), ['theirs']);
  await r('SET', 'k', 'resolved');
  t.equal(r.kv.peek('k')!.siblings.length, 1);
  t.equal(await r('GET', 'k'), 'resolved');
});

t.test('SET NX and XX', async (t) => {
  const r = makeHarness();
  t.equal(await r('SET', 'k', 'v', 'XX'), null);
  t.equal(await r('GET', 'k'), null);
  t.equal(await r('SET', 'k', 'v', 'NX'), 'OK');
  t.equal(await r('SET', 'k', 'v2', 'NX'), null);
  t.equal(await r('GET', 'k'), 'v');
  t.equal(await r('SET', 'k', 'v3', 'xx'), 'OK');
  t.equal(await r('GET', 'k'), 'v3');
  t.equal(await r('SET', 'k', 'v4', 'nx', 'nx'), null, 'repeating an option is allowed');
  t.same(await r('SET', 'k', 'v', 'NX', 'XX'), SYNTAX);
  t.same(await r('SET', 'k', 'v', 'XX', 'NX'), SYNTAX);
});

t.test('SET GET', async (t) => {
  const r = makeHarness();
  t.equal(await r('SET', 'k', 'v', 'GET'), null);
  t.equal(await r('SET', 'k', 'v2', 'GET'), 'v');
  t.equal(await r('SET', 'k', 'v3', 'GET', 'GET'), 'v2');
  t.equal(await r('SET', 'k', 'v4', 'NX', 'GET'), 'v3', 'NX with GET returns the old value and sets nothing');
  t.equal(await r('GET', 'k'), 'v3');
  t.equal(await r('SET', 'n', 'x', 'GET', 'NX'), null);
  t.equal(await r('GET', 'n'), 'x');
  t.equal(await r('SET', 'm', 'x', 'XX', 'GET'), null);
  t.equal(await r('GET', 'm'), null);
});

t.test('SET expiry options', async (t) => {
  const r = makeHarness();
  const now = r.clock.now();
  t.equal(await r('SET', 'k', 'v', 'EX', '10'), 'OK');
  t.equal(await r('PTTL', 'k'), 10000);
  t.equal(await r('SET', 'k', 'v', 'PX', '1500'), 'OK');
  t.equal(await r('PTTL', 'k'), 1500);
  t.equal(await r('SET', 'k', 'v', 'EXAT', String(Math.floor(now / 1000) + 100)), 'OK');
  t.equal(await r('PEXPIRETIME', 'k'), (Math.floor(now / 1000) + 100) * 1000);
  t.equal(await r('SET', 'k', 'v', 'PXAT', String(now + 1234)), 'OK');
  t.equal(await r('PEXPIRETIME', 'k'), now + 1234);
  t.equal(await r('SET', 'k', 'v', 'ex', '10', 'ex', '20'), 'OK', 'the same option twice: the last wins');
  t.equal(await r('TTL', 'k'), 20);
  t.equal(await r('SET', 'k', 'v'), 'OK');
  t.equal(await r('TTL', 'k'), -1, 'a plain SET clears the expiry');
  t.equal(await r('SET', 'k', 'v', 'EX', '10', 'NX'), null);
  t.equal(await r('TTL', 'k'), -1);
  t.equal(await r('SET', 'k', 'v', 'XX', 'PX', '500'), 'OK');
  t.equal(await r('PTTL', 'k'), 500);
});

t.test('SET with an expiry time already past stores nothing visible', async (t) => {
  const r = makeHarness();
  await r('SET', 'k', 'old');
  t.equal(await r('SET', 'k', 'v', 'EXAT', '1'), 'OK');
  t.equal(await r('GET', 'k'), null);
  t.equal(r.kv.peek('k')!.siblings[0]!.tombstone, true, 'written as a tombstone so the old value cannot return');
  await r('SET', 'k', 'old');
  t.equal(await r('SET', 'k', 'v', 'PXAT', '1', 'GET'), 'old');
  t.equal(await r('EXISTS', 'k'), 0);
});

t.test('SET KEEPTTL', async (t) => {
  const r = makeHarness();
  await r('SET', 'k', 'v', 'EX', '100');
  r.clock.advance(1000);
  t.equal(await r('SET', 'k', 'v2', 'KEEPTTL'), 'OK');
  t.equal(await r('GET', 'k'), 'v2');
  t.equal(await r('PTTL', 'k'), 99000);
  t.equal(await r('SET', 'new', 'v', 'KEEPTTL', 'KEEPTTL'), 'OK');
  t.equal(await r('TTL', 'new'), -1);
});

t.test('SET option conflicts and bad expiry', async (t) => {
  const r = makeHarness();
  for (const opts of [
    ['EX', '10', 'PX', '100'],
    ['PX', '10', 'EX', '100'],
    ['EX', '10', 'EXAT', '10'],
    ['EXAT', '10', 'EX', '10'],
    ['PX', '10', 'PXAT', '10'],
    ['EX', '10', 'PXAT', '10'],
    ['KEEPTTL', 'EX', '10'],
    ['EX', '10', 'KEEPTTL'],
    ['KEEPTTL', 'PXAT', '10'],
    ['EX'],
    ['foo'],
    ['PERSIST'],
    ['EX', 'abc', 'XX', 'NX'],
  ]) {
    t.same(await r('SET', 'k', 'v', ...opts), SYNTAX, opts.join(' '));
  }
  t.same(await r('SET', 'k', 'v', 'EX', '0'), invalidExpire('set'));
  t.same(await r('SET', 'k', 'v', 'EX', '-1'), invalidExpire('set'));
  t.same(await r('SET', 'k', 'v', 'PX', '0'), invalidExpire('set'));
  t.same(await r('SET', 'k', 'v', 'EXAT', '0'), invalidExpire('set'));
  t.same(await r('SET', 'k', 'v', 'EX', '9223372036854775807'), invalidExpire('set'));
  t.same(await r('SET', 'k', 'v', 'EX', '9223372036854775'), invalidExpire('set'), 'overflows once now is added');
  t.same(await r('SET', 'k', 'v', 'PX', '9223372036854775807'), invalidExpire('set'));
  t.same(await r('SET', 'k', 'v', 'EXAT', '9223372036854775807'), invalidExpire('set'));
  t.same(await r('SET', 'k', 'v', 'EX', 'abc'), NOT_INT);
  t.same(await r('SET', 'k', 'v', 'EX', '1.5'), NOT_INT);
  t.same(await r('SET', 'k', 'v', 'GET', 'EX', '0'), invalidExpire('set'));
  t.equal(await r('SET', 'k', 'v', 'PXAT', '1000000000000000000'), 'OK');
  t.equal(await r('EXISTS', 'k'), 1);
});

t.test('SETNX', async (t) => {
  const r = makeHarness();
  t.equal(await r('SETNX', 'k', 'v'), 1);
  t.equal(await r('SETNX', 'k', 'w'), 0);
  t.equal(await r('GET', 'k'), 'v');
  t.same(await r('SETNX', 'k'), { error: "ERR wrong number of arguments for 'setnx' command" });
});

t.test('SETEX and PSETEX', async (t) => {
  const r = makeHarness();
  t.equal(await r('SETEX', 'k', '10', 'v'), 'OK');
  t.equal(await r('GET', 'k'), 'v');
  t.equal(await r('TTL', 'k'), 10);
  t.equal(await r('PSETEX', 'k', '1500', 'v2'), 'OK');
  t.equal(await r('PTTL', 'k'), 1500);
  r.clock.advance(1500);
  t.equal(await r('GET', 'k'), null);
  t.same(await r('SETEX', 'k', '0', 'v'), invalidExpire('setex'));
  t.same(await r('SETEX', 'k', '-5', 'v'), invalidExpire('setex'));
  t.same(await r('SETEX', 'k', 'abc', 'v'), NOT_INT);
  t.same(await r('SETEX', 'k', '9223372036854775', 'v'), invalidExpire('setex'));
  t.same(await r('PSETEX', 'k', '0', 'v'), invalidExpire('psetex'));
  t.same(await r('PSETEX', 'k', '9223372036854775807', 'v'), invalidExpire('psetex'));
  t.same(await r('SETEX', 'k', '10'), { error: "ERR wrong number of arguments for 'setex' command" });
});

t.test('GETSET and GETDEL', async (t) => {
  const r = makeHarness();
  t.equal(await r('GETSET', 'k', '1'), null);
  t.equal(await r('GETSET', 'k', '2'), '1');
  t.equal(await r('GET', 'k'), '2');
  await r('SET', 't', 'v', 'EX', '100');
  t.equal(await r('GETSET', 't', 'v2'), 'v');
  t.equal(await r('TTL', 't'), -1, 'GETSET clears the expiry');
  t.equal(await r('GETDEL', 'k'), '2');
  t.equal(await r('GETDEL', 'k'), null);
  t.equal(await r('EXISTS', 'k'), 0);
  t.equal(r.kv.peek('k')!.siblings[0]!.tombstone, true);
});

t.test('MGET, MSET', async (t) => {
  const r = makeHarness();
  t.equal(await r('MSET', 'a', '1', 'b', '2', 'a', '3'), 'OK');
  t.same(await r('MGET', 'a', 'b', 'c', 'a'), ['3', '2', null, '3']);
  t.same(await r('MSET', 'a'), { error: "ERR wrong number of arguments for 'mset' command" });
  t.same(await r('MSET', 'a', '1', 'b'), { error: "ERR wrong number of arguments for 'mset' command" });
  t.same(await r('MGET'), { error: "ERR wrong number of arguments for 'mget' command" });
  await r('SET', 'e', 'v', 'EX', '1');
  r.clock.advance(1000);
  t.same(await r('MGET', 'e'), [null], 'expired keys read as absent');
});

t.test('MSET writes its keys concurrently and clears expiries', async (t) => {
  const r = makeHarness();
  await r('SET', 'a', 'old', 'EX', '100');
  r.kv.calls.length = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const write = r.kv.write.bind(r.kv);
  r.kv.write = async (...args) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
    return write(...args);
  };
  await r('MSET', 'a', '1', 'b', '2', 'c', '3');
  t.equal(maxInFlight, 3);
  t.same(r.kv.calls.map((c) => c.req?.supersedes.kind), ['local', 'local', 'local']);
  t.equal(await r('TTL', 'a'), -1);
});

t.test('MSETNX', async (t) => {
  const r = makeHarness();
  t.equal(await r('MSETNX', 'a', '1', 'a', '2'), 1);
  t.equal(await r('GET', 'a'), '2', 'the last value of a repeated key wins');
  t.equal(await r('MSETNX', 'a', '3', 'z', '4'), 0);
  t.same(await r('MGET', 'a', 'z'), ['2', null]);
  t.equal(await r('MSETNX', 'x', '1', 'y', '2'), 1);
  t.same(await r('MGET', 'x', 'y'), ['1', '2']);
  t.same(await r('MSETNX', 'x', '1', 'y'), { error: "ERR wrong number of arguments for 'msetnx' command" });
});

t.test('MSETNX fails with CONFLICT if a key appears between its check and its write', async (t) => {
  const r = makeHarness();
  r.kv.beforeDecide = (key) => {
    if (key.toString() === 'q') {
      r.kv.beforeDecide = null;
      void r.kv.write(key, { value: Buffer.from('theirs'), tombstone: false, expireAt: 0, supersedes: { kind: 'local' } });
    }
  };
  const reply = await r('MSETNX', 'p', '1', 'q', '2');
  t.match(reply, { error: /^CONFLICT / });
  t.equal(await r('GET', 'q'), 'theirs', 'the racing write is not overwritten');
  t.equal(await r('GET', 'p'), '1', 'the other key was set, as the error says');
});

t.test('size limits refuse the command and store nothing', async (t) => {
  const r = makeHarness({ maxKeyBytes: 4, maxValueBytes: 5 });
  const bigKey = { error: 'ERR key exceeds the maximum of 4 bytes (max-key-bytes)' };
  const bigValue = { error: 'ERR value exceeds the maximum of 5 bytes (max-value-bytes)' };
  t.same(await r('SET', 'kkkkk', 'v'), bigKey);
  t.same(await r('SET', 'k', '123456'), bigValue);
  t.same(await r('SET', 'k', '123456', 'NX'), bigValue);
  t.same(await r('SETNX', 'kkkkk', 'v'), bigKey);
  t.same(await r('SETNX', 'k', '123456'), bigValue);
  t.same(await r('SETEX', 'k', '10', '123456'), bigValue);
  t.same(await r('PSETEX', 'kkkkk', '10', 'v'), bigKey);
  t.same(await r('GETSET', 'k', '123456'), bigValue);
  t.same(await r('MSET', 'a', '1', 'k', '123456'), bigValue);
  t.same(await r('MSET', 'a', '1', 'kkkkk', '1'), bigKey);
  t.same(await r('MSETNX', 'a', '1', 'k', '123456'), bigValue);
  t.equal(await r('SET', 'kkkk', '12345'), 'OK', 'exactly at the limits is fine');
  t.same(r.kv.storedKeys(), ['kkkk']);
  r.limits.maxValueBytes = 100;
  t.equal(await r('SET', 'k', '123456'), 'OK', 'limits are read at call time');
});
