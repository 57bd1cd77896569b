import t from 'tap';
import { decodeContext, encodeContext } from '../../src/versioning/codec.js';
import { applyWrite } from '../../src/versioning/object.js';
import { makeHarness } from '../support/command-harness.js';

const SYNTAX = { error: 'ERR syntax error' };
const INVALID_CONTEXT = { error: 'ERR invalid context' };

type QgetReply = [string | null, string[]];

t.test('QGET on a key that never existed', async (t) => {
  const r = makeHarness();
  t.same(await r('QGET', 'k'), [null, []]);
  t.same(await r('QLOCAL', 'k'), [null, []]);
  t.same(await r('VCLOCK', 'k'), []);
});

t.test('blind QSETs become siblings; a context write resolves them', async (t) => {
  const r = makeHarness();
  const c1 = (await r('QSET', 'k', 'a')) as string;
  t.same(decodeContext(c1), { 'test-node': 1 });
  r.clock.advance(1);
  const c2 = (await r('QSET', 'k', 'b')) as string;
  t.same(decodeContext(c2), { 'test-node': 2 });
  const [ctx, values] = (await r('QGET', 'k')) as QgetReply;
  t.equal(ctx, c2);
  t.same(values.sort(), ['a', 'b'], 'both writes are kept');
  t.equal(await r('GET', 'k'), 'b', 'plain GET shows the newest');
  t.same(r.kv.calls.filter((c) => c.op === 'write').map((c) => c.req!.supersedes), [{ kind: 'blind' }, { kind: 'blind' }]);
  const c3 = (await r('QSET', 'k', 'merged', 'CONTEXT', ctx!)) as string;
  t.same(await r('QGET', 'k'), [c3, ['merged']]);
});

t.test('a stale context supersedes only what it covers', async (t) => {
  const r = makeHarness();
  const c1 = (await r('QSET', 'k', 'a')) as string;
  await r('QSET', 'k', 'b', 'CONTEXT', c1);
  await r('QSET', 'k', 'c', 'context', c1);
  const [, values] = (await r('QGET', 'k')) as QgetReply;
  t.same(values.sort(), ['b', 'c'], 'b and c were both written from a: concurrent');
});

t.test('QSET IF is a compare-and-set', async (t) => {
  const r = makeHarness();
  const c1 = (await r('QSET', 'k', 'a')) as string;
  const c2 = (await r('QSET', 'k', 'b', 'IF', c1)) as string;
  t.same(await r('QGET', 'k'), [c2, ['b']], 'IF alone also supersedes the version it checked');
  t.match(await r('QSET', 'k', 'c', 'IF', c1), { error: /^CONFLICT / });
  t.same(await r('QGET', 'k'), [c2, ['b']]);
  t.same(await r('QSET', 'k', 'c', 'IF', c2, 'CONTEXT', c1), encodeContext({ 'test-node': 3 }));
  const [, values] = (await r('QGET', 'k')) as QgetReply;
  t.same(values.sort(), ['b', 'c'], 'with both, CONTEXT says what is superseded');
  t.match(await r('QSET', 'new', 'v', 'IF', c1), { error: /^CONFLICT / });
  t.type(await r('QSET', 'new', 'v', 'IF', encodeContext({})), 'string', 'the empty context matches a missing key');
});

t.test('QSET expiry', async (t) => {
  const r = makeHarness();
  await r('QSET', 'k', 'v', 'EX', '10');
  t.equal(await r('TTL', 'k'), 10);
  await r('QSET', 'p', 'v', 'PX', '1500', 'PX', '2500');
  t.equal(await r('PTTL', 'p'), 2500);
  r.clock.advance(2500);
  const [ctx, values] = (await r('QGET', 'p')) as QgetReply;
  t.type(ctx, 'string');
  t.same(values, [], 'expired siblings are not live');
  t.same(await r('QSET', 'k', 'v', 'EX', '10', 'PX', '100'), SYNTAX);
  t.same(await r('QSET', 'k', 'v', 'EX', '0'), { error: "ERR invalid expire time in 'qset' command" });
  t.same(await r('QSET', 'k', 'v', 'PX', 'x'), { error: 'ERR value is not an integer or out of range' });
});

t.test('quorum options', async (t) => {
  const r = makeHarness({ n: 3 });
  await r('QSET', 'k', 'v', 'W', '3');
  await r('QGET', 'k', 'R', '1');
  await r('VCLOCK', 'k', 'r', '2');
  await r('QDEL', 'k', 'w', '1');
  t.same(
    r.kv.calls.map((c) => [c.op, c.opts]),
    [
      ['write', { w: 3 }],
      ['read', { r: 1 }],
      ['read', { r: 2 }],
      ['write', { w: 1 }],
    ],
  );
  const rRange = { error: 'ERR R must be an integer between 1 and 3' };
  const wRange = { error: 'ERR W must be an integer between 1 and 3' };
  t.same(await r('QGET', 'k', 'R', '0'), rRange);
  t.same(await r('QGET', 'k', 'R', '4'), rRange);
  t.same(await r('QGET', 'k', 'R', 'two'), rRange);
  t.same(await r('VCLOCK', 'k', 'R', '-1'), rRange);
  t.same(await r('QSET', 'k', 'v', 'W', '4'), wRange);
  t.same(await r('QDEL', 'k', 'W', '0'), wRange);
});

t.test('option syntax and contexts', async (t) => {
  const r = makeHarness();
  t.same(await r('QGET', 'k', 'W', '1'), SYNTAX);
  t.same(await r('QGET', 'k', 'R'), SYNTAX);
  t.same(await r('QSET', 'k', 'v', 'CONTEXT'), SYNTAX);
  t.same(await r('QSET', 'k', 'v', 'R', '1'), SYNTAX);
  t.same(await r('QDEL', 'k', 'IF', 'AA'), SYNTAX);
  t.same(await r('QDEL', 'k', 'EX', '1'), SYNTAX);
  t.same(await r('VCLOCK', 'k', 'CONTEXT', 'AA'), SYNTAX);
  for (const bad of ['', '!!', 'AAAA', 'not base64', 'AQ']) {
    t.same(await r('QSET', 'k', 'v', 'CONTEXT', bad), INVALID_CONTEXT, JSON.stringify(bad));
  }
  t.same(await r('QSET', 'k', 'v', 'IF', '%%'), INVALID_CONTEXT);
  t.same(await r('QDEL', 'k', 'CONTEXT', '%%'), INVALID_CONTEXT);
  t.same(await r('QLOCAL', 'k', 'R', '1'), { error: "ERR wrong number of arguments for 'qlocal' command" });
  t.same(await r('QSET', 'k'), { error: "ERR wrong number of arguments for 'qset' command" });
  t.same(r.kv.storedKeys(), [], 'nothing was written');
});

t.test('QSET size limits', async (t) => {
  const r = makeHarness({ maxKeyBytes: 2, maxValueBytes: 3 });
  t.same(await r('QSET', 'kkk', 'v'), { error: 'ERR key exceeds the maximum of 2 bytes (max-key-bytes)' });
  t.same(await r('QSET', 'k', 'vvvv'), { error: 'ERR value exceeds the maximum of 3 bytes (max-value-bytes)' });
  t.same(await r('QDEL', 'kkk'), { error: 'ERR key exceeds the maximum of 2 bytes (max-key-bytes)' });
  t.same(r.kv.storedKeys(), []);
});

t.test('QDEL', async (t) => {
  const r = makeHarness();
  await r('QSET', 'k', 'a');
  await r('QSET', 'k', 'b');
  const ctx = (await r('QDEL', 'k')) as string;
  t.same(decodeContext(ctx), { 'test-node': 3 });
  t.same(await r('QGET', 'k'), [ctx, []], 'without a context it deletes every version held');
  t.equal(await r('GET', 'k'), null);
  t.equal(await r('EXISTS', 'k'), 0);
  const c1 = (await r('QSET', 'x', 'a')) as string;
  r.clock.advance(1);
  await r('QSET', 'x', 'b', 'CONTEXT', c1);
  r.clock.advance(1);
  await r('QDEL', 'x', 'CONTEXT', c1);
  const [, values] = (await r('QGET', 'x')) as QgetReply;
  t.same(values, ['b'], 'a stale delete leaves the newer value as a sibling of the tombstone');
  t.same(await r('QDEL', 'missing'), encodeContext({ 'test-node': 1 }), 'a tombstone is written even for a missing key');
  t.same(r.kv.calls.filter((c) => c.op === 'write' && c.req!.tombstone).map((c) => c.req!.supersedes.kind), ['local', 'context', 'local']);
});

t.test('VCLOCK shows each sibling', async (t) => {
  const r = makeHarness();
  const t0 = r.clock.now();
  await r('QSET', 'k', 'a', 'PX', '5000');
  r.clock.advance(7);
  r.kv.merge('k', applyWrite(undefined, {}, 'node-b', { value: Buffer.from('b'), tombstone: false, expireAt: 0, ts: t0 + 3 }));
  await r('QDEL', 'z');
  t.same(await r('VCLOCK', 'k'), [
    ['{"node-b":1,"test-node":1}', t0 + 3, 0, '{"node-b":1}', 0],
    ['{"node-b":1,"test-node":1}', t0, 0, '{"test-node":1}', t0 + 5000],
  ]);
  t.same(await r('VCLOCK', 'z'), [['{"test-node":1}', t0 + 7, 1, '{"test-node":1}', 0]]);
});

t.test('QLOCAL reads this node without coordination', async (t) => {
  const r = makeHarness();
  await r('QSET', 'k', 'coordinated');
  const local = applyWrite(undefined, {}, 'test-node', { value: Buffer.from('local'), tombstone: false, expireAt: 0, ts: 1 });
  r.kv.setLocal('k', local);
  t.same(await r('QLOCAL', 'k'), [encodeContext(local.clock), ['local']]);
  t.same(r.kv.calls.at(-1)!.op, 'readLocal');
});

t.test('CL names a consistency level on QGET, QSET and QDEL; it cannot be combined with R, W or PW', async (t) => {
  const r = makeHarness();
  t.type(await r('QSET', 'k', 'v', 'CL', 'local_quorum'), 'string');
  t.same(((await r('QGET', 'k', 'CL', 'LOCAL_ONE')) as QgetReply)[1], ['v']);
  t.type(await r('QDEL', 'k', 'CL', 'each_quorum'), 'string', 'QDEL takes CL');
  t.match(await r('QGET', 'k', 'CL', 'two'), { error: /^ERR unknown consistency level 'two', expected one of ONE, LOCAL_ONE, QUORUM, LOCAL_QUORUM, EACH_QUORUM, ALL/ });
  t.same(await r('QSET', 'k', 'v', 'W', '1', 'CL', 'ONE'), { error: 'ERR CL cannot be combined with R, W or PW' });
  t.same(await r('QDEL', 'k', 'CL', 'ALL', 'PW', '0'), { error: 'ERR CL cannot be combined with R, W or PW' });
  t.same(await r('QGET', 'k', 'CL'), SYNTAX);
  t.same(await r('VCLOCK', 'k', 'CL', 'ONE'), SYNTAX, 'VCLOCK takes R only');
});
