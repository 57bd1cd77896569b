import t from 'tap';
import { encodeReply } from '../../resp/reply-encoder.js';
import type { WriteRequest } from '../../src/coordinator/api.js';
import { applyCollectionOp } from '../../src/versioning/collection-ops.js';
import { applyWrite } from '../../src/versioning/object.js';
import type { VersionedObject } from '../../src/versioning/types.js';
import { makeHarness, run, type Harness, type Plain } from '../support/command-harness.js';

const WRONGTYPE = { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' };
const SYNTAX = { error: 'ERR syntax error' };
const NOT_INTEGER = { error: 'ERR value is not an integer or out of range' };
const sorted = (p: Plain): Plain => [...(p as string[])].sort();
const arity = (cmd: string): Plain => ({ error: `ERR wrong number of arguments for '${cmd}' command` });

/** A hash written by another node (actor), as its replica holds it, for merging into the harness's copy. */
function elsewhere(actor: string, ts: number, pairs: Array<[string, string]>): VersionedObject {
  const out = applyCollectionOp(undefined, { t: 'hset', pairs: pairs.map(([f, v]) => [Buffer.from(f), Buffer.from(v)]), nx: false, max: 100, maxBytes: 2 ** 30 }, actor, ts);
  if ('refused' in out) throw new Error(out.refused);
  return applyWrite(undefined, {}, actor, { ...out.payload, ts });
}

/** A flat field, value list as an object (a merged hash lists its fields in no set order). */
function asObject(p: Plain): Record<string, Plain> {
  const list = p as Plain[];
  const out: Record<string, Plain> = {};
  for (let i = 0; i < list.length; i += 2) out[list[i] as string] = list[i + 1]!;
  return out;
}

/** The reply as a RESP3 (or RESP2) client receives it. */
async function wire(h: Harness, protocol: 2 | 3, ...cmd: string[]): Promise<string> {
  h.ctx.session.protocol = protocol;
  try {
    const r = await run(h.ctx, cmd[0]!, ...cmd.slice(1));
    if (typeof r === 'string') return `-${r}\r\n`;
    return encodeReply(r, protocol).toString('latin1');
  } finally {
    h.ctx.session.protocol = 2;
  }
}

t.test('HSET, HMSET, HSETNX, HGET, HMGET, HGETALL, HLEN, HEXISTS, HKEYS, HVALS, HSTRLEN', async (t) => {
  const h = makeHarness();
  t.equal(await h('HSET', 'k', 'f1', 'v1', 'f2', 'v2'), 2);
  t.equal(await h('HSET', 'k', 'f1', 'new', 'f3', 'v3'), 1);
  t.equal(await h('HMSET', 'k', 'f4', 'v4'), 'OK');
  t.equal(await h('HSETNX', 'k', 'f1', 'nope'), 0);
  t.equal(await h('HSETNX', 'k', 'f5', 'v5'), 1);
  t.equal(await h('HGET', 'k', 'f1'), 'new');
  t.equal(await h('HGET', 'k', 'missing'), null);
  t.equal(await h('HGET', 'nokey', 'f1'), null);
  t.same(await h('HMGET', 'k', 'f1', 'missing', 'f2'), ['new', null, 'v2']);
  t.same(await h('HMGET', 'nokey', 'a', 'b'), [null, null]);
  t.same(await h('HGETALL', 'k'), ['f1', 'new', 'f2', 'v2', 'f3', 'v3', 'f4', 'v4', 'f5', 'v5']);
  t.same(await h('HGETALL', 'nokey'), []);
  t.equal(await h('HLEN', 'k'), 5);
  t.equal(await h('HLEN', 'nokey'), 0);
  t.equal(await h('HEXISTS', 'k', 'f2'), 1);
  t.equal(await h('HEXISTS', 'k', 'nope'), 0);
  t.equal(await h('HEXISTS', 'nokey', 'f2'), 0);
  t.same(await h('HKEYS', 'k'), ['f1', 'f2', 'f3', 'f4', 'f5']);
  t.same(await h('HKEYS', 'nokey'), []);
  t.same(await h('HVALS', 'k'), ['new', 'v2', 'v3', 'v4', 'v5']);
  t.same(await h('HVALS', 'nokey'), []);
  t.equal(await h('HSTRLEN', 'k', 'f1'), 3);
  t.equal(await h('HSTRLEN', 'k', 'nope'), 0);
  t.equal(await h('HSTRLEN', 'nokey', 'f1'), 0);
  t.equal(await h('TYPE', 'k'), 'hash');
  t.equal(await h('HSET', 'bin', Buffer.from([0, 255]), Buffer.from([1, 2, 0])), 1);
  const raw = await run(h.ctx, 'HGET', 'bin', Buffer.from([0, 255]));
  t.same(typeof raw !== 'string' && raw.t === 'bulk' ? Buffer.from(raw.v) : raw, Buffer.from([1, 2, 0]), 'fields and values are bytes');
});

t.test('HDEL: counts what it removed; the last field deletes the key', async (t) => {
  const h = makeHarness();
  await h('HSET', 'k', 'a', '1', 'b', '2', 'c', '3');
  t.equal(await h('HDEL', 'k', 'a', 'a', 'missing'), 1);
  t.equal(await h('HDEL', 'nokey', 'a'), 0);
  t.equal(await h('HDEL', 'k', 'b', 'c'), 2);
  t.equal(await h('EXISTS', 'k'), 0);
  t.equal(await h('TYPE', 'k'), 'none');
  t.same(await h('HGETALL', 'k'), []);
  t.equal(h.kv.peek('k')!.siblings.at(-1)!.tombstone, true, 'stored as a tombstone that keeps its state');
  t.equal(await h('HSET', 'k', 'd', '4'), 1, 'a new field on the emptied hash');
  t.same(await h('HGETALL', 'k'), ['d', '4']);
  t.equal(await h('SADD', 'k2', 'x'), 1);
  await h('SREM', 'k2', 'x');
  t.equal(await h('HSET', 'k2', 'f', 'v'), 1, 'an emptied set is no obstacle to a hash');
  t.equal(await h('TYPE', 'k2'), 'hash');
});

t.test('arity errors', async (t) => {
  const h = makeHarness();
  t.same(await h('HSET', 'k', 'f'), arity('hset'));
  t.same(await h('HSET', 'k', 'f', 'v', 'g'), arity('hset'), 'an odd list of fields and values');
  t.same(await h('HMSET', 'k', 'f', 'v', 'g'), arity('hmset'));
  t.same(await h('HSETNX', 'k', 'f'), arity('hsetnx'));
  t.same(await h('HGET', 'k'), arity('hget'));
  t.same(await h('HMGET', 'k'), arity('hmget'));
  t.same(await h('HGETALL'), arity('hgetall'));
  t.same(await h('HDEL', 'k'), arity('hdel'));
  t.same(await h('HLEN', 'k', 'x'), arity('hlen'));
  t.same(await h('HEXISTS', 'k'), arity('hexists'));
  t.same(await h('HKEYS'), arity('hkeys'));
  t.same(await h('HVALS'), arity('hvals'));
  t.same(await h('HSTRLEN', 'k'), arity('hstrlen'));
  t.same(await h('HINCRBY', 'k', 'f'), arity('hincrby'));
  t.same(await h('HINCRBYFLOAT', 'k', 'f'), arity('hincrbyfloat'));
  t.same(await h('HRANDFIELD'), arity('hrandfield'));
  t.same(await h('HSCAN', 'k'), arity('hscan'));
  t.same(await h('QHGET', 'k'), arity('qhget'));
  t.equal(h.kv.peek('k'), undefined, 'nothing was written');
});

t.test('WRONGTYPE both ways', async (t) => {
  const h = makeHarness();
  await h('SET', 'str', 'v');
  await h('SADD', 'set', 'm');
  await h('HSET', 'hash', 'f', '1');
  for (const key of ['str', 'set']) {
    for (const cmd of [
      ['HSET', key, 'f', 'v'],
      ['HMSET', key, 'f', 'v'],
      ['HSETNX', key, 'f', 'v'],
      ['HGET', key, 'f'],
      ['HMGET', key, 'f'],
      ['HGETALL', key],
      ['HDEL', key, 'f'],
      ['HLEN', key],
      ['HEXISTS', key, 'f'],
      ['HKEYS', key],
      ['HVALS', key],
      ['HSTRLEN', key, 'f'],
      ['HINCRBY', key, 'f', '1'],
      ['HINCRBYFLOAT', key, 'f', '1'],
      ['HRANDFIELD', key],
      ['HSCAN', key, '0'],
      ['QHGET', key, 'f'],
    ]) {
      t.same(await h(cmd[0]!, ...cmd.slice(1)), WRONGTYPE, cmd.join(' '));
    }
  }
  await h('INCR', 'ctr');
  t.same(await h('HSET', 'ctr', 'f', 'v'), WRONGTYPE, 'a counter is a string');
  t.same(await h('HINCRBY', 'ctr', 'f', '1'), WRONGTYPE);
  for (const cmd of [
    ['GET', 'hash'],
    ['APPEND', 'hash', 'x'],
    ['STRLEN', 'hash'],
    ['INCR', 'hash'],
    ['INCRBY', 'hash', '2'],
    ['GETRANGE', 'hash', '0', '1'],
    ['SETRANGE', 'hash', '0', 'x'],
    ['GETDEL', 'hash'],
    ['SMEMBERS', 'hash'],
    ['SADD', 'hash', 'm'],
  ]) {
    t.same(await h(cmd[0]!, ...cmd.slice(1)), WRONGTYPE, cmd.join(' '));
  }
  t.same(await h('MGET', 'hash', 'str', 'nokey'), [null, 'v', null], 'MGET answers nil for a hash');
  t.equal(await h('SET', 'hash', 'over'), 'OK', 'SET overwrites a hash');
  t.equal(await h('GET', 'hash'), 'over');
  t.equal(await h('TYPE', 'hash'), 'string');
});

t.test('HINCRBY', async (t) => {
  const h = makeHarness();
  t.equal(await h('HINCRBY', 'k', 'n', '5'), 5);
  t.equal(await h('HINCRBY', 'k', 'n', '-7'), -2);
  t.equal(await h('HGET', 'k', 'n'), '-2');
  await h('HSET', 'k', 's', 'abc', 'big', '9223372036854775807', 'ten', '10');
  t.equal(await h('HINCRBY', 'k', 'ten', '1'), 11);
  t.same(await h('HINCRBY', 'k', 's', '1'), { error: 'ERR hash value is not an integer' });
  t.same(await h('HINCRBY', 'k', 'big', '1'), { error: 'ERR increment or decrement would overflow' });
  t.same(await h('HINCRBY', 'k', 'n', 'x'), NOT_INTEGER);
  t.same(await h('HINCRBY', 'k', 'n', '9223372036854775808'), NOT_INTEGER);
  t.equal(await h('HGET', 'k', 'big'), '9223372036854775807', 'a refused increment changes nothing');
  t.same(await h('HGETALL', 'k'), ['big', '9223372036854775807', 'n', '-2', 's', 'abc', 'ten', '11']);
});

t.test('HINCRBY through another node at once: both increments count', async (t) => {
  const h = makeHarness();
  await h('HINCRBY', 'k', 'n', '5');
  const other = applyCollectionOp(undefined, { t: 'hincrby', name: Buffer.from('n'), delta: 3n, max: 100, maxBytes: 2 ** 30 }, 'node-b', h.clock.now());
  if ('refused' in other) throw new Error(other.refused);
  h.kv.merge('k', applyWrite(undefined, {}, 'node-b', { ...other.payload, ts: h.clock.now() }));
  t.equal(await h('HGET', 'k', 'n'), '8');
  t.same(await h('QHGET', 'k', 'n'), ['8'], 'counter entries show as one total');
  t.equal(await h('HINCRBY', 'k', 'n', '1'), 9);
});

t.test('HINCRBYFLOAT', async (t) => {
  const h = makeHarness();
  t.equal(await h('HINCRBYFLOAT', 'k', 'f', '10.5'), '10.5');
  t.equal(await h('HINCRBYFLOAT', 'k', 'f', '0.1'), '10.6');
  t.equal(await h('HINCRBYFLOAT', 'k', 'f', '-5'), '5.6');
  t.equal(await h('HINCRBYFLOAT', 'k', 'e', '5.0e3'), '5000');
  t.equal(await h('HGET', 'k', 'f'), '5.6');
  await h('HSET', 'k', 's', 'abc');
  t.same(await h('HINCRBYFLOAT', 'k', 's', '1'), { error: 'ERR hash value is not a float' });
  t.same(await h('HINCRBYFLOAT', 'k', 'f', 'x'), { error: 'ERR value is not a valid float' });
  t.same(await h('HINCRBYFLOAT', 'k', 'f', 'inf'), { error: 'ERR value is NaN or Infinity' }, 'Redis 7.0 refuses an infinite increment before adding');
  t.equal(await h('HGET', 'k', 'f'), '5.6');
});

t.test('HINCRBYFLOAT reads again when another writer changed the field in between', async (t) => {
  const h = makeHarness();
  await h('HSET', 'k', 'f', '1');
  const write = h.kv.write.bind(h.kv);
  let races = 1;
  let other = 100;
  h.kv.write = async (key: Buffer, req: WriteRequest, opts) => {
    if (req.op?.t === 'hsetif' && races > 0) {
      races--;
      await write(key, { ...req, op: { t: 'hset', pairs: [[Buffer.from('f'), Buffer.from(String(other++))]], nx: false, max: 100, maxBytes: 2 ** 30 } });
    }
    return write(key, req, opts);
  };
  t.equal(await h('HINCRBYFLOAT', 'k', 'f', '0.5'), '100.5', 'the increment applied to what the other writer left');
  t.equal(await h('HGET', 'k', 'f'), '100.5');
  races = Infinity;
  t.same(await h('HINCRBYFLOAT', 'k', 'f', '1'), { error: 'CONFLICT the field changed since it was read' }, 'gives up after its retries');
});

t.test('HRANDFIELD: no count, positive, negative, zero, absent key, WITHVALUES', async (t) => {
  const h = makeHarness();
  await h('HSET', 'k', 'a', '1', 'b', '2', 'c', '3');
  const fields = ['a', 'b', 'c'];
  const one = await h('HRANDFIELD', 'k');
  t.ok(fields.includes(one as string));
  t.equal(await h('HRANDFIELD', 'nokey'), null);
  const two = (await h('HRANDFIELD', 'k', '2')) as string[];
  t.equal(two.length, 2);
  t.equal(new Set(two).size, 2, 'distinct');
  t.ok(two.every((f) => fields.includes(f)));
  t.same(((await h('HRANDFIELD', 'k', '10')) as string[]).sort(), fields, 'at most every field');
  const many = (await h('HRANDFIELD', 'k', '-10')) as string[];
  t.equal(many.length, 10, 'repeats allowed');
  t.ok(many.every((f) => fields.includes(f)));
  t.same(await h('HRANDFIELD', 'k', '0'), []);
  t.same(await h('HRANDFIELD', 'nokey', '5'), []);
  t.same(await h('HRANDFIELD', 'nokey', '-5'), []);
  const wv = (await h('HRANDFIELD', 'k', '-4', 'withvalues')) as string[];
  t.equal(wv.length, 8);
  for (let i = 0; i < wv.length; i += 2) t.equal(wv[i + 1], String(fields.indexOf(wv[i]!) + 1), 'each field with its value');
  t.same(((await h('HRANDFIELD', 'k', '3', 'WITHVALUES')) as string[]).length, 6);
  t.same(await h('HRANDFIELD', 'k', '1', 'WITHVALUES', 'x'), SYNTAX);
  t.same(await h('HRANDFIELD', 'k', '1', 'WITHSCORES'), SYNTAX);
  t.same(await h('HRANDFIELD', 'k', 'x'), NOT_INTEGER);
  // Redis's order and words: the count, then the syntax, then (with WITHVALUES) the count's half range.
  t.same(await h('HRANDFIELD', 'k', 'x', 'WITHSCORES'), NOT_INTEGER, 'the count is checked first');
  t.same(await h('HRANDFIELD', 'k', '-9223372036854775808'), { error: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807' });
  t.same(sorted(await h('HRANDFIELD', 'k', '9223372036854775807')), fields, 'a huge positive count answers every field');
  t.same(sorted(await h('HRANDFIELD', 'nokey', '9223372036854775807')), []);
  t.same(await h('HRANDFIELD', 'k', '4611686018427387904', 'WITHVALUES'), { error: 'ERR value is out of range' });
  t.same(await h('HRANDFIELD', 'k', '-4611686018427387904', 'WITHVALUES'), { error: 'ERR value is out of range' });
  t.equal(((await h('HRANDFIELD', 'k', '4611686018427387903', 'WITHVALUES')) as string[]).length, 6);
  t.equal(((await h('HRANDFIELD', 'k', '-2000000')) as string[]).length, 1_000_000, 'a huge negative count is capped');
});

t.test('HSCAN: MATCH, COUNT, NOVALUES, invalid cursor and options', async (t) => {
  const h = makeHarness();
  await h('HSET', 'k', 'f1', 'a', 'f2', 'b', 'g1', 'c');
  t.same(await h('HSCAN', 'k', '0'), ['0', ['f1', 'a', 'f2', 'b', 'g1', 'c']]);
  t.same(await h('HSCAN', 'k', '0', 'MATCH', 'f*'), ['0', ['f1', 'a', 'f2', 'b']]);
  t.same(await h('HSCAN', 'k', '0', 'match', '*'), ['0', ['f1', 'a', 'f2', 'b', 'g1', 'c']]);
  t.same(await h('HSCAN', 'k', '0', 'MATCH', '?1', 'NOVALUES'), ['0', ['f1', 'g1']]);
  t.same(await h('HSCAN', 'k', '0', 'COUNT', '1'), ['0', ['f1', 'a', 'f2', 'b', 'g1', 'c']], 'COUNT is a hint: one call answers all');
  t.same(await h('HSCAN', 'k', '0', 'NOVALUES', 'COUNT', '5'), ['0', ['f1', 'f2', 'g1']]);
  t.same(await h('HSCAN', 'nokey', '0'), ['0', []]);
  t.same(await h('HSCAN', 'k', 'abc'), { error: 'ERR invalid cursor' });
  t.same(await h('HSCAN', 'k', '-'), { error: 'ERR invalid cursor' });
  t.same(await h('HSCAN', 'k', '0', 'COUNT', '0'), SYNTAX);
  t.same(await h('HSCAN', 'k', '0', 'COUNT', 'x'), NOT_INTEGER);
  t.same(await h('HSCAN', 'k', '0', 'COUNT'), SYNTAX);
  t.same(await h('HSCAN', 'k', '0', 'MATCH'), SYNTAX);
  t.same(await h('HSCAN', 'k', '0', 'BOGUS', 'x'), SYNTAX);
  // As in Redis: the cursor is checked first, then the key (a missing one answers the empty scan, another type WRONGTYPE), then the options.
  await h('SET', 'str', 'v');
  t.same(await h('HSCAN', 'nokey', '0', 'COUNT', '0'), ['0', []]);
  t.same(await h('HSCAN', 'nokey', '0', 'BOGUS'), ['0', []]);
  t.same(await h('HSCAN', 'nokey', 'abc'), { error: 'ERR invalid cursor' });
  t.same(await h('HSCAN', 'str', '0', 'COUNT', '0'), WRONGTYPE);
});

t.test('--max-collection-members and the size limits', async (t) => {
  const h = makeHarness({ maxCollectionMembers: 2, maxValueBytes: 100, maxKeyBytes: 3 });
  const tooMany = { error: 'ERR the collection would hold more than 2 members (--max-collection-members); nothing was written' };
  t.same(await h('HSET', 'k', 'a', '1', 'b', '2', 'c', '3'), tooMany);
  t.equal(h.kv.peek('k'), undefined, 'nothing stored');
  t.equal(await h('HSET', 'k', 'a', '1', 'b', '2'), 2);
  t.same(await h('HSET', 'k', 'c', '3'), tooMany);
  t.same(await h('HMSET', 'k', 'c', '3'), tooMany);
  t.same(await h('HSETNX', 'k', 'c', '3'), tooMany);
  t.same(await h('HINCRBY', 'k', 'c', '3'), tooMany);
  t.same(await h('HINCRBYFLOAT', 'k', 'c', '3'), tooMany);
  t.equal(await h('HSET', 'k', 'a', '9'), 0, 'overwriting at the limit');
  const big = 'x'.repeat(101);
  const tooLong = { error: 'ERR value exceeds the maximum of 100 bytes (max-value-bytes)' };
  t.same(await h('HSET', 'k', 'a', big), tooLong);
  t.same(await h('HSET', 'k', big, '1'), tooLong, 'field names too');
  t.same(await h('HSETNX', 'k', 'a', big), tooLong);
  t.same(await h('HINCRBY', 'k', big, '1'), tooLong);
  t.same(await h('HINCRBYFLOAT', 'k', big, '1'), tooLong);
  t.same(await h('HSET', 'long', 'a', '1'), { error: 'ERR key exceeds the maximum of 3 bytes (max-key-bytes)' });
  // A hash is one record: the whole of it is bounded by --max-value-bytes too.
  const whole = makeHarness({ maxValueBytes: 100 });
  t.equal(await whole('HSET', 'k', 'f', 'x'.repeat(60)), 1);
  t.same(await whole('HSET', 'k', 'g', 'y'.repeat(60)), { error: 'ERR the collection would take more than 100 bytes (max-value-bytes); nothing was written' });
  t.same(await whole('HKEYS', 'k'), ['f']);
});

t.test('RESP3 shapes: HGETALL a map, HRANDFIELD WITHVALUES pairs', async (t) => {
  const h = makeHarness();
  await h('HSET', 'k', 'a', '1', 'b', '2');
  t.equal(await wire(h, 3, 'HGETALL', 'k'), '%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
  t.equal(await wire(h, 2, 'HGETALL', 'k'), '*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
  t.equal(await wire(h, 3, 'HGETALL', 'nokey'), '%0\r\n');
  const pairs = await wire(h, 3, 'HRANDFIELD', 'k', '-2', 'WITHVALUES');
  t.match(pairs, /^\*2\r\n(\*2\r\n\$1\r\n(a\r\n\$1\r\n1|b\r\n\$1\r\n2)\r\n){2}$/, 'an array of [field, value] pairs');
  const flat = await wire(h, 2, 'HRANDFIELD', 'k', '-2', 'WITHVALUES');
  t.match(flat, /^\*4\r\n(\$1\r\n(a\r\n\$1\r\n1|b\r\n\$1\r\n2)\r\n){2}$/, 'RESP2: one flat array');
  t.match(await wire(h, 3, 'HRANDFIELD', 'k', '2'), /^\*2\r\n/, 'without WITHVALUES, fields only');
});

t.test('QHGET shows every concurrent value of a field; HGET answers the newest', async (t) => {
  const h = makeHarness();
  const t0 = h.clock.now();
  await h('HSET', 'k', 'f', 'mine', 'g', 'only');
  h.kv.merge('k', elsewhere('node-b', t0 + 10, [['f', 'theirs'], ['h', 'new']]));
  t.same(await h('QHGET', 'k', 'f'), ['mine', 'theirs'], 'oldest first');
  t.equal(await h('HGET', 'k', 'f'), 'theirs');
  t.same(asObject(await h('HGETALL', 'k')), { f: 'theirs', g: 'only', h: 'new' }, 'writes of other fields all survive');
  t.same(await h('QHGET', 'k', 'g'), ['only']);
  t.same(await h('QHGET', 'k', 'nope'), []);
  t.same(await h('QHGET', 'nokey', 'f'), []);
  t.equal(await h('HLEN', 'k'), 3);
  // Equal times: the node names order them.
  h.kv.merge('k', elsewhere('node-c', t0 + 10, [['f', 'last']]));
  h.kv.merge('k', elsewhere('node-a', t0 + 10, [['f', 'tie']]));
  t.same(await h('QHGET', 'k', 'f'), ['mine', 'tie', 'theirs', 'last']);
  t.equal(await h('HGET', 'k', 'f'), 'last');
  t.equal(await h('HSET', 'k', 'f', 'settled'), 0, 'a write that saw them all replaces them');
  t.same(await h('QHGET', 'k', 'f'), ['settled']);
});

t.test('EXPIRE, TTL, PERSIST, RENAME, DEL, EXISTS, TYPE, SCAN TYPE on hashes', async (t) => {
  const h = makeHarness();
  await h('HSET', 'k', 'f', 'v');
  await h('SET', 's', 'x');
  t.equal(await h('EXISTS', 'k', 'nokey'), 1);
  t.equal(await h('TTL', 'k'), -1);
  t.equal(await h('EXPIRE', 'k', '10'), 1);
  t.equal(await h('TTL', 'k'), 10);
  t.equal(await h('TYPE', 'k'), 'hash', 'still a hash');
  t.equal(await h('HSET', 'k', 'g', 'w'), 1);
  t.equal(await h('TTL', 'k'), 10, 'a field write keeps the expiry');
  t.equal(await h('PERSIST', 'k'), 1);
  t.equal(await h('TTL', 'k'), -1);
  t.same(await h('HGETALL', 'k'), ['f', 'v', 'g', 'w']);
  await h('EXPIRE', 'k', '5');
  t.same(await h('SCAN', '0', 'TYPE', 'hash'), ['0', ['k']]);
  t.same(await h('SCAN', '0', 'TYPE', 'string'), ['0', ['s']]);
  t.equal(await h('RENAME', 'k', 'k2'), 'OK');
  t.equal(await h('EXISTS', 'k'), 0);
  t.same(await h('HGETALL', 'k2'), ['f', 'v', 'g', 'w']);
  t.equal(await h('TYPE', 'k2'), 'hash');
  t.equal(await h('TTL', 'k2'), 5, 'RENAME keeps the expiry');
  t.equal(await h('HINCRBY', 'k2', 'n', '1'), 1, 'the renamed hash takes writes');
  h.clock.advance(5000);
  t.equal(await h('TYPE', 'k2'), 'none', 'expired');
  t.equal(await h('HGET', 'k2', 'f'), null);
  t.equal(await h('EXISTS', 'k2'), 0);
  t.equal(await h('HSET', 'k2', 'x', '1'), 1, 'a new hash where the expired one was');
  t.same(await h('HGETALL', 'k2'), ['x', '1']);
  t.equal(await h('TTL', 'k2'), -1);
  t.equal(await h('DEL', 'k2'), 1);
  t.equal(await h('DEL', 'k2'), 0);
  t.same(await h('HGETALL', 'k2'), []);
  t.equal(await h('HSET', 'k2', 'y', '2'), 1, 'a new hash after DEL');
  t.same(await h('HGETALL', 'k2'), ['y', '2']);
  await h('HSET', 'gone', 'f', 'v');
  t.equal(await h('EXPIRE', 'gone', '0'), 1, 'an expiry in the past deletes');
  t.equal(await h('EXISTS', 'gone'), 0);
});

t.test('string writes that only ask whether a key exists treat a hash or a set as existing, as Redis does', async (t) => {
  const h = makeHarness();
  for (const make of [() => h('HSET', 'k', 'f', 'v'), () => h('SADD', 'k', 'm')]) {
    await h('DEL', 'k');
    await make();
    const type = await h('TYPE', 'k');
    t.equal(await h('SETNX', 'k', 'v'), 0, `SETNX on a ${type}`);
    t.equal(await h('SET', 'k', 'v', 'NX'), null, `SET NX on a ${type}`);
    t.equal(await h('MSETNX', 'other', '1', 'k', 'v'), 0, `MSETNX with a ${type}`);
    t.equal(await h('EXISTS', 'other'), 0);
    t.same(await h('SET', 'k', 'v', 'GET'), WRONGTYPE, `SET GET on a ${type}`);
    t.same(await h('SET', 'k', 'v', 'NX', 'GET'), WRONGTYPE);
    t.equal(await h('TYPE', 'k'), type, 'nothing written');
    await h('EXPIRE', 'k', '100');
    t.equal(await h('SET', 'k', 'v', 'XX', 'KEEPTTL'), 'OK', `SET XX KEEPTTL over a ${type}`);
    t.equal(await h('GET', 'k'), 'v');
    t.equal(await h('TTL', 'k'), 100, 'the expiry kept');
    await h('DEL', 'k');
    await make();
    t.equal(await h('SET', 'k', 'w', 'XX'), 'OK');
    t.equal(await h('TTL', 'k'), -1);
    t.equal(await h('GET', 'k'), 'w');
  }
});
