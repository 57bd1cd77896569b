import t from 'tap';
import { encodeReply } from '../../resp/reply-encoder.js';
import { applyCollectionOp, type CollectionOp } from '../../src/versioning/collection-ops.js';
import { applyWrite } from '../../src/versioning/object.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { makeHarness, run, type Harness, type Plain } from '../support/command-harness.js';

const WRONGTYPE = { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' };
const SYNTAX = { error: 'ERR syntax error' };
const NOT_INTEGER = { error: 'ERR value is not an integer or out of range' };
const arity = (cmd: string): Plain => ({ error: `ERR wrong number of arguments for '${cmd}' command` });

const sorted = (p: Plain): Plain => [...(p as string[])].sort();

/** A set op applied by another node (actor) to its own copy, for merging into the harness's copy. */
function elsewhere(actor: string, base: VersionedObject | undefined, op: CollectionOp, ts: number): VersionedObject {
  const out = applyCollectionOp(base, op, actor, ts);
  if ('refused' in out) throw new Error(out.refused);
  return applyWrite(base, base?.clock ?? {}, actor, { ...out.payload, ts });
}

async function wire(h: Harness, protocol: 2 | 3, ...cmd: string[]): Promise<string> {
  h.ctx.session.protocol = protocol;
  try {
    const r = await run(h.ctx, cmd[0]!, ...cmd.slice(1));
    return typeof r === 'string' ? `-${r}\r\n` : encodeReply(r, protocol).toString('latin1');
  } finally {
    h.ctx.session.protocol = 2;
  }
}

t.test('SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD', async (t) => {
  const h = makeHarness();
  t.equal(await h('SADD', 's', 'a', 'b', 'a'), 2);
  t.equal(await h('SADD', 's', 'b', 'c'), 1);
  t.same(sorted(await h('SMEMBERS', 's')), ['a', 'b', 'c']);
  t.same(await h('SMEMBERS', 'nokey'), []);
  t.equal(await h('SISMEMBER', 's', 'a'), 1);
  t.equal(await h('SISMEMBER', 's', 'z'), 0);
  t.equal(await h('SISMEMBER', 'nokey', 'a'), 0);
  t.same(await h('SMISMEMBER', 's', 'a', 'z', 'c'), [1, 0, 1]);
  t.same(await h('SMISMEMBER', 'nokey', 'a'), [0]);
  t.equal(await h('SCARD', 's'), 3);
  t.equal(await h('SCARD', 'nokey'), 0);
  t.equal(await h('SREM', 's', 'a', 'z', 'a'), 1);
  t.equal(await h('SREM', 'nokey', 'a'), 0);
  t.equal(await h('TYPE', 's'), 'set');
  t.equal(await h('SREM', 's', 'b', 'c'), 2);
  t.equal(await h('EXISTS', 's'), 0, 'the last member removed deletes the key');
  t.equal(await h('TYPE', 's'), 'none');
  t.equal(await h('SADD', 's', 'd'), 1);
  t.same(await h('SMEMBERS', 's'), ['d']);
});

t.test('arity errors', async (t) => {
  const h = makeHarness();
  t.same(await h('SADD', 's'), arity('sadd'));
  t.same(await h('SREM', 's'), arity('srem'));
  t.same(await h('SMEMBERS'), arity('smembers'));
  t.same(await h('SISMEMBER', 's'), arity('sismember'));
  t.same(await h('SMISMEMBER', 's'), arity('smismember'));
  t.same(await h('SCARD'), arity('scard'));
  t.same(await h('SPOP'), arity('spop'));
  t.same(await h('SRANDMEMBER'), arity('srandmember'));
  t.same(await h('SSCAN', 's'), arity('sscan'));
  t.same(await h('SMOVE', 's', 'd'), arity('smove'));
  t.same(await h('SINTER'), arity('sinter'));
  t.same(await h('SUNION'), arity('sunion'));
  t.same(await h('SDIFF'), arity('sdiff'));
  t.same(await h('SINTERSTORE', 'd'), arity('sinterstore'));
  t.same(await h('SUNIONSTORE', 'd'), arity('sunionstore'));
  t.same(await h('SDIFFSTORE', 'd'), arity('sdiffstore'));
  t.same(await h('SPOP', 's', '1', '2'), SYNTAX);
  t.same(await h('SRANDMEMBER', 's', '1', '2'), SYNTAX);
});

t.test('WRONGTYPE both ways', async (t) => {
  const h = makeHarness();
  await h('SET', 'str', 'v');
  await h('HSET', 'hash', 'f', 'v');
  await h('SADD', 'set', 'm');
  for (const key of ['str', 'hash']) {
    for (const cmd of [
      ['SADD', key, 'm'],
      ['SREM', key, 'm'],
      ['SMEMBERS', key],
      ['SISMEMBER', key, 'm'],
      ['SMISMEMBER', key, 'm'],
      ['SCARD', key],
      ['SPOP', key],
      ['SPOP', key, '2'],
      ['SRANDMEMBER', key],
      ['SSCAN', key, '0'],
      ['SINTER', 'set', key],
      ['SUNION', key],
      ['SDIFF', 'set', key],
      ['SINTERSTORE', 'dst', 'set', key],
    ]) {
      t.same(await h(cmd[0]!, ...cmd.slice(1)), WRONGTYPE, cmd.join(' '));
    }
  }
  for (const cmd of [
    ['GET', 'set'],
    ['APPEND', 'set', 'x'],
    ['INCR', 'set'],
    ['DECRBY', 'set', '1'],
    ['HGET', 'set', 'm'],
    ['HSET', 'set', 'f', 'v'],
  ]) {
    t.same(await h(cmd[0]!, ...cmd.slice(1)), WRONGTYPE, cmd.join(' '));
  }
  t.same(await h('MGET', 'set', 'str'), [null, 'v'], 'MGET answers nil for a set');
  t.equal(await h('EXISTS', 'dst'), 0, 'a refused STORE writes nothing');
});

t.test('SPOP: one, with a count, zero, absent key; a negative count refused', async (t) => {
  const h = makeHarness();
  await h('SADD', 's', 'a', 'b', 'c', 'd', 'e');
  const one = (await h('SPOP', 's')) as string;
  t.ok(['a', 'b', 'c', 'd', 'e'].includes(one));
  t.equal(await h('SISMEMBER', 's', one), 0, 'removed');
  const two = (await h('SPOP', 's', '2')) as string[];
  t.equal(two.length, 2);
  t.equal(new Set([one, ...two]).size, 3, 'distinct members');
  t.equal(await h('SCARD', 's'), 2);
  t.same(await h('SPOP', 's', '0'), []);
  t.equal(await h('SCARD', 's'), 2);
  t.equal(((await h('SPOP', 's', '9223372036854775807')) as string[]).length, 2, 'at most every member');
  t.equal(await h('EXISTS', 's'), 0);
  t.equal(await h('SPOP', 's'), null);
  t.same(await h('SPOP', 's', '3'), []);
  t.same(await h('SPOP', 'nokey', '1'), []);
  t.same(await h('SPOP', 's', '-1'), { error: 'ERR value is out of range, must be positive' });
  t.same(await h('SPOP', 's', 'x'), { error: 'ERR value is out of range, must be positive' }, 'Redis reads the count as a positive long');
  await h('SADD', 'r', 'm');
  t.equal(await wire(h, 3, 'SPOP', 'r', '5'), '~1\r\n$1\r\nm\r\n', 'RESP3: a set');
  t.equal(await wire(h, 3, 'SPOP', 'r', '5'), '~0\r\n');
  t.equal(await wire(h, 3, 'SPOP', 'r'), '_\r\n');
});

t.test('SPOP answers only the members its removal took', async (t) => {
  const h = makeHarness();
  await h('SADD', 's', 'm');
  // Another client pops the member between this SPOP's read and its removal.
  const write = h.kv.write.bind(h.kv);
  let raced = false;
  h.kv.write = async (key, req, opts) => {
    if (!raced && req.op?.t === 'srem') {
      raced = true;
      await write(key, { ...req });
    }
    return write(key, req, opts);
  };
  t.equal(await h('SPOP', 's'), null);
  raced = false;
  await h('SADD', 's', 'n');
  t.same(await h('SPOP', 's', '1'), []);
});

t.test('SRANDMEMBER: no count, positive, negative, zero, absent key', async (t) => {
  const h = makeHarness();
  const all = ['a', 'b', 'c'];
  await h('SADD', 's', ...all);
  t.ok(all.includes((await h('SRANDMEMBER', 's')) as string));
  t.equal(await h('SRANDMEMBER', 'nokey'), null);
  const two = (await h('SRANDMEMBER', 's', '2')) as string[];
  t.equal(two.length, 2);
  t.equal(new Set(two).size, 2);
  t.same(sorted(await h('SRANDMEMBER', 's', '5')), all);
  const many = (await h('SRANDMEMBER', 's', '-7')) as string[];
  t.equal(many.length, 7);
  t.ok(many.every((m) => all.includes(m)));
  t.same(await h('SRANDMEMBER', 's', '0'), []);
  t.same(await h('SRANDMEMBER', 'nokey', '3'), []);
  t.same(await h('SRANDMEMBER', 'nokey', '-3'), []);
  t.equal(await h('SCARD', 's'), 3, 'nothing removed');
  t.same(await h('SRANDMEMBER', 's', 'x'), NOT_INTEGER);
  t.same(await h('SRANDMEMBER', 's', '-9223372036854775808'), { error: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807' });
  t.same(sorted(await h('SRANDMEMBER', 's', '9223372036854775807')), all, 'a huge positive count answers every member, as in Redis');
  t.same(sorted(await h('SRANDMEMBER', 's', '4611686018427387904')), all);
  t.equal(((await h('SRANDMEMBER', 's', '-3000000')) as string[]).length, 1_000_000, 'a huge negative count is capped');
  t.equal(((await h('SRANDMEMBER', 's', '3000000')) as string[]).length, 3);
});

t.test('SSCAN: MATCH, COUNT, invalid cursor and options', async (t) => {
  const h = makeHarness();
  await h('SADD', 's', 'a1', 'a2', 'b1');
  t.same(await h('SSCAN', 's', '0'), ['0', ['a1', 'a2', 'b1']]);
  t.same(await h('SSCAN', 's', '0', 'MATCH', 'a*', 'COUNT', '1'), ['0', ['a1', 'a2']]);
  t.same(await h('SSCAN', 's', '0', 'MATCH', '*1'), ['0', ['a1', 'b1']]);
  t.same(await h('SSCAN', 'nokey', '0'), ['0', []]);
  t.same(await h('SSCAN', 's', 'x'), { error: 'ERR invalid cursor' });
  t.same(await h('SSCAN', 's', '0', 'COUNT', '0'), SYNTAX);
  t.same(await h('SSCAN', 's', '0', 'COUNT', '-1'), SYNTAX);
  t.same(await h('SSCAN', 's', '0', 'MATCH'), SYNTAX);
  t.same(await h('SSCAN', 's', '0', 'TYPE', 'set'), SYNTAX);
  t.same(await h('SSCAN', 's', '0', 'NOVALUES'), { error: 'ERR NOVALUES option can only be used in HSCAN' }, "Redis 7.4's words");
  // As in Redis: the cursor is checked first, then the key (a missing one answers the empty scan, another type WRONGTYPE), then the options.
  await h('SET', 'str', 'v');
  t.same(await h('SSCAN', 'nokey', '0', 'NOVALUES'), ['0', []]);
  t.same(await h('SSCAN', 'nokey', '0', 'COUNT', '0'), ['0', []]);
  t.same(await h('SSCAN', 'nokey', 'x'), { error: 'ERR invalid cursor' });
  t.same(await h('SSCAN', 'str', '0', 'COUNT', '0'), WRONGTYPE);
});

t.test('SMOVE', async (t) => {
  const h = makeHarness();
  await h('SADD', 'src', 'a', 'b');
  await h('SADD', 'dst', 'x');
  await h('SET', 'str', 'v');
  t.equal(await h('SMOVE', 'src', 'dst', 'a'), 1);
  t.same(sorted(await h('SMEMBERS', 'src')), ['b']);
  t.same(sorted(await h('SMEMBERS', 'dst')), ['a', 'x']);
  t.equal(await h('SMOVE', 'src', 'dst', 'nope'), 0, 'member missing');
  t.equal(await h('SMOVE', 'nokey', 'dst', 'a'), 0, 'src missing');
  t.equal(await h('SMOVE', 'src', 'src', 'b'), 1, 'src == dst, member present');
  t.equal(await h('SMOVE', 'src', 'src', 'z'), 0, 'src == dst, member missing');
  t.same(await h('SMEMBERS', 'src'), ['b']);
  t.same(await h('SMOVE', 'src', 'str', 'b'), WRONGTYPE, 'dst wrong type');
  t.same(await h('SMOVE', 'src', 'str', 'z'), WRONGTYPE, 'dst wrong type, member missing');
  t.same(await h('SMOVE', 'str', 'dst', 'b'), WRONGTYPE, 'src wrong type');
  t.equal(await h('SMOVE', 'nokey', 'str', 'b'), 0, 'src missing: 0 before dst is looked at, as in Redis');
  t.same(await h('SMOVE', 'str', 'nokey', 'b'), WRONGTYPE, 'src wrong type, dst missing');
  t.same(await h('SMEMBERS', 'src'), ['b'], 'a refused SMOVE moves nothing');
  t.equal(await h('SMOVE', 'src', 'new', 'b'), 1, 'to a new key');
  t.equal(await h('EXISTS', 'src'), 0, 'the last member moved deletes src');
  t.same(await h('SMEMBERS', 'new'), ['b']);
  t.equal(await h('SMOVE', 'dst', 'new', 'a'), 1, 'a member dst has already');
  t.same(sorted(await h('SMEMBERS', 'new')), ['a', 'b']);
  const small = makeHarness({ maxKeyBytes: 3 });
  await small('SADD', 's', 'm');
  t.same(await small('SMOVE', 's', 'long', 'm'), { error: 'ERR key exceeds the maximum of 3 bytes (max-key-bytes)' });
});

t.test('SMOVE answers 0 when another client removed the member first', async (t) => {
  const h = makeHarness();
  await h('SADD', 'src', 'a');
  const write = h.kv.write.bind(h.kv);
  h.kv.write = async (key, req, opts) => {
    if (req.op?.t === 'srem') await write(key, { ...req });
    return write(key, req, opts);
  };
  t.equal(await h('SMOVE', 'src', 'dst', 'a'), 0);
  t.equal(await h('EXISTS', 'dst'), 0, 'nothing added to dst');
});

t.test('SINTER, SUNION, SDIFF and their STORE forms', async (t) => {
  const h = makeHarness();
  await h('SADD', 'a', '1', '2', '3');
  await h('SADD', 'b', '2', '3', '4');
  await h('SADD', 'c', '3', '5');
  t.same(await h('SINTER', 'a', 'b'), ['2', '3']);
  t.same(await h('SINTER', 'a', 'b', 'c'), ['3']);
  t.same(await h('SINTER', 'a', 'nokey'), []);
  t.same(await h('SINTER', 'a'), ['1', '2', '3']);
  t.same(await h('SINTER', 'a', 'a'), ['1', '2', '3'], 'a key named twice');
  t.same(await h('SUNION', 'a', 'b', 'c', 'nokey'), ['1', '2', '3', '4', '5']);
  t.same(await h('SUNION', 'nokey'), []);
  t.same(await h('SDIFF', 'a', 'b'), ['1']);
  t.same(await h('SDIFF', 'b', 'a', 'c'), ['4']);
  t.same(await h('SDIFF', 'nokey', 'a'), []);
  t.same(await h('SDIFF', 'a', 'nokey'), ['1', '2', '3']);
  t.equal(await h('SINTERSTORE', 'd', 'a', 'b'), 2);
  t.same(await h('SMEMBERS', 'd'), ['2', '3']);
  t.equal(await h('SUNIONSTORE', 'd', 'a', 'c'), 4);
  t.same(sorted(await h('SMEMBERS', 'd')), ['1', '2', '3', '5'], 'dst replaced, not added to');
  t.equal(await h('SDIFFSTORE', 'd', 'a', 'b'), 1);
  t.same(await h('SMEMBERS', 'd'), ['1']);
  t.equal(await h('SUNIONSTORE', 'd', 'd', 'c'), 3, 'dst among the sources');
  t.same(sorted(await h('SMEMBERS', 'd')), ['1', '3', '5']);
  await h('SET', 'str', 'v');
  await h('HSET', 'hash', 'f', 'v');
  t.equal(await h('SINTERSTORE', 'str', 'a', 'b'), 2, 'a STORE overwrites a string');
  t.equal(await h('TYPE', 'str'), 'set');
  t.equal(await h('SUNIONSTORE', 'hash', 'c'), 2, 'and a hash');
  t.equal(await h('TYPE', 'hash'), 'set');
  await h('EXPIRE', 'd', '100');
  t.equal(await h('SINTERSTORE', 'd', 'a', 'c'), 1);
  t.equal(await h('TTL', 'd'), -1, 'the stored result has no expiry, as in Redis, though dst was a set with one');
  t.equal(await h('SINTERSTORE', 'd', 'a', 'nokey'), 0, 'an empty result');
  t.equal(await h('EXISTS', 'd'), 0, 'deletes dst');
  t.equal(await h('TYPE', 'd'), 'none');
  t.equal(await h('SDIFFSTORE', 'str', 'a', 'a'), 0);
  t.equal(await h('EXISTS', 'str'), 0);
  t.equal(await h('SINTERSTORE', 'never', 'nokey'), 0);
  t.equal(await h('EXISTS', 'never'), 0);
  t.equal(await wire(h, 3, 'SINTER', 'a', 'b'), '~2\r\n$1\r\n2\r\n$1\r\n3\r\n');
});

t.test('--max-collection-members and the size limits', async (t) => {
  const h = makeHarness({ maxCollectionMembers: 2, maxValueBytes: 100, maxKeyBytes: 4 });
  const tooMany = { error: 'ERR the collection would hold more than 2 members (--max-collection-members); nothing was written' };
  t.same(await h('SADD', 's', 'a', 'b', 'c'), tooMany);
  t.equal(await h('EXISTS', 's'), 0);
  t.equal(await h('SADD', 's', 'a', 'b'), 2);
  t.same(await h('SADD', 's', 'c'), tooMany);
  t.equal(await h('SADD', 's', 'a'), 0, 're-adding at the limit');
  await h('SADD', 't', 'c', 'd');
  t.same(await h('SUNIONSTORE', 'u', 's', 't'), tooMany);
  t.equal(await h('EXISTS', 'u'), 0);
  t.same(await h('SMOVE', 't', 's', 'c'), tooMany, 'SMOVE into a full set');
  const big = 'x'.repeat(101);
  t.same(await h('SADD', 's', big), { error: 'ERR value exceeds the maximum of 100 bytes (max-value-bytes)' });
  t.same(await h('SMOVE', 's', 't', big), { error: 'ERR value exceeds the maximum of 100 bytes (max-value-bytes)' });
  t.same(await h('SADD', 'long.', 'a'), { error: 'ERR key exceeds the maximum of 4 bytes (max-key-bytes)' });
  t.same(await h('SINTERSTORE', 'long.', 's'), { error: 'ERR key exceeds the maximum of 4 bytes (max-key-bytes)' });
  // A set is one record: the whole of it is bounded by --max-value-bytes too.
  const whole = makeHarness({ maxValueBytes: 100 });
  t.equal(await whole('SADD', 's', 'm'.repeat(60)), 1);
  t.same(await whole('SADD', 's', 'n'.repeat(60)), { error: 'ERR the collection would take more than 100 bytes (max-value-bytes); nothing was written' });
  t.equal(await whole('SCARD', 's'), 1);
});

t.test('RESP3 shapes: SMEMBERS and the algebra answer sets; SRANDMEMBER an array', async (t) => {
  const h = makeHarness();
  await h('SADD', 's', 'a');
  t.equal(await wire(h, 3, 'SMEMBERS', 's'), '~1\r\n$1\r\na\r\n');
  t.equal(await wire(h, 2, 'SMEMBERS', 's'), '*1\r\n$1\r\na\r\n');
  t.equal(await wire(h, 3, 'SMEMBERS', 'nokey'), '~0\r\n');
  t.equal(await wire(h, 3, 'SRANDMEMBER', 's', '1'), '*1\r\n$1\r\na\r\n');
  t.equal(await wire(h, 3, 'SUNION', 's'), '~1\r\n$1\r\na\r\n');
});

t.test('add-wins through another node: a concurrent add survives a remove that did not see it', async (t) => {
  const h = makeHarness();
  await h('SADD', 's', 'm', 'n');
  const shared = h.kv.peek('s')!;
  t.equal(await h('SREM', 's', 'm', 'n'), 2);
  t.equal(await h('EXISTS', 's'), 0);
  h.kv.merge('s', elsewhere('node-b', shared, { t: 'sadd', names: [Buffer.from('m')], max: 100, maxBytes: 2 ** 30 }, h.clock.now() + 1));
  t.same(await h('SMEMBERS', 's'), ['m'], 'the add the remove did not see');
  h.kv.merge('s', elsewhere('node-c', undefined, { t: 'sadd', names: [Buffer.from('o')], max: 100, maxBytes: 2 ** 30 }, h.clock.now() + 2));
  t.same(sorted(await h('SMEMBERS', 's')), ['m', 'o'], 'a set started elsewhere at once merges in');
  t.equal(await h('SCARD', 's'), 2);
});

t.test('EXPIRE, TTL, PERSIST, RENAME, DEL, EXISTS, TYPE, SCAN TYPE on sets', async (t) => {
  const h = makeHarness();
  await h('SADD', 's', 'a', 'b');
  await h('HSET', 'h', 'f', 'v');
  t.equal(await h('EXISTS', 's', 'h', 'nokey'), 2);
  t.equal(await h('PEXPIRE', 's', '2500'), 1);
  t.equal(await h('PTTL', 's'), 2500);
  t.equal(await h('SADD', 's', 'c'), 1);
  t.equal(await h('PTTL', 's'), 2500, 'a member write keeps the expiry');
  t.equal(await h('SREM', 's', 'a'), 1);
  t.equal(await h('PTTL', 's'), 2500);
  t.equal(await h('PERSIST', 's'), 1);
  t.equal(await h('PERSIST', 's'), 0);
  t.equal(await h('TTL', 's'), -1);
  t.same(await h('SCAN', '0', 'TYPE', 'set'), ['0', ['s']]);
  t.same(await h('SCAN', '0', 'TYPE', 'hash'), ['0', ['h']]);
  t.same(await h('SCAN', '0', 'TYPE', 'SET'), ['0', ['s']]);
  t.equal(await h('RENAME', 's', 's2'), 'OK');
  t.equal(await h('TYPE', 's'), 'none');
  t.equal(await h('TYPE', 's2'), 'set');
  t.same(sorted(await h('SMEMBERS', 's2')), ['b', 'c']);
  t.equal(await h('RENAME', 's2', 'h'), 'OK', 'RENAME over a hash');
  t.equal(await h('TYPE', 'h'), 'set');
  t.same(sorted(await h('SMEMBERS', 'h')), ['b', 'c']);
  t.equal(await h('SADD', 'h', 'd'), 1);
  t.equal(await h('EXPIRE', 'h', '1'), 1);
  h.clock.advance(1000);
  t.equal(await h('EXISTS', 'h'), 0, 'expired');
  t.equal(await h('SCARD', 'h'), 0);
  t.equal(await h('SADD', 'h', 'new'), 1, 'a new set where the expired one was');
  t.same(await h('SMEMBERS', 'h'), ['new']);
  t.equal(await h('DEL', 'h'), 1);
  t.equal(await h('EXISTS', 'h'), 0);
  t.equal(await h('SADD', 'h', 'again'), 1);
  t.same(await h('SMEMBERS', 'h'), ['again']);
  t.same(await h('RENAME', 'nokey', 'x'), { error: 'ERR no such key' });
});
