import t from 'tap';
import { createHash } from 'node:crypto';
import { LuaEngine, type ScriptHost } from '../../src/scripting/index.js';
import { parseRaw } from '../../src/scripting/lua-convert.js';
import type { Reply } from '../../resp/reply.js';

/**
 * The Lua engine alone, with a host that answers fixed replies: Redis's
 * RESP-to-Lua conversions in RESP2 and RESP3 (redis.setresp), Lua-to-RESP
 * edge cases, binary safety, the sandbox's Lua 5.1 helpers, and commands
 * that answer later (the script yields until they do).
 */

const engine = await LuaEngine.create(() => performance.now());
const logged: Array<[number, string]> = [];

function host(answer: (args: string[]) => Reply | Promise<Reply>): ScriptHost {
  return { clientProtocol: 2, log: (l, m) => logged.push([l, m]), call: (args) => answer(args.map((a) => a.toString('latin1'))) };
}

async function run(body: string, answer: (args: string[]) => Reply | Promise<Reply> = () => ({ t: 'null' }), keys: string[] = [], argv: Array<string | Buffer> = []): Promise<Reply> {
  const loaded = engine.load(Buffer.from(body));
  if ('error' in loaded) return { t: 'error', v: loaded.error };
  return engine.run(loaded.sha, keys.map((k) => Buffer.from(k)), argv.map((a) => (typeof a === 'string' ? Buffer.from(a) : a)), host(answer));
}

const REPLIES: Record<string, Reply> = {
  map: { t: 'map', v: [[{ t: 'bulk', v: 'f' }, { t: 'bulk', v: 'v' }]] },
  set: { t: 'set', v: [{ t: 'bulk', v: 'm' }] },
  double: { t: 'double', v: 1.5 },
  true: { t: 'bool', v: true },
  null: { t: 'null' },
  nullarray: { t: 'nullarray' },
  verbatim: { t: 'verbatim', format: 'txt', v: 'text' },
  push: { t: 'push', v: [{ t: 'int', v: 1 }] },
  ok: { t: 'raw', v: Buffer.from('+OK\r\n') },
  one: { t: 'raw', v: Buffer.from(':1\r\n') },
  rawerr: { t: 'raw', v: Buffer.from('-ERR raw\r\n') },
  big: { t: 'int', v: 2n ** 62n },
};
const answer = (args: string[]): Reply => REPLIES[args[0]!]!;

t.test('RESP2 conversions of command replies (the default, as in Redis)', async (t) => {
  t.same(await run("local r = redis.call('map') return {r[1], r[2]}", answer), { t: 'array', v: [{ t: 'bulk', v: Buffer.from('f') }, { t: 'bulk', v: Buffer.from('v') }] });
  t.same(await run("return redis.call('set')[1]", answer), { t: 'bulk', v: Buffer.from('m') });
  t.same(await run("return redis.call('double')", answer), { t: 'bulk', v: Buffer.from('1.5') });
  t.same(await run("return redis.call('true')", answer), { t: 'int', v: 1 });
  t.same(await run("return type(redis.call('null'))", answer), { t: 'bulk', v: Buffer.from('boolean') });
  t.same(await run("return type(redis.call('nullarray'))", answer), { t: 'bulk', v: Buffer.from('boolean') });
  t.same(await run("return redis.call('verbatim')", answer), { t: 'bulk', v: Buffer.from('text') });
  t.same(await run("return redis.call('push')[1]", answer), { t: 'int', v: 1 });
  t.same(await run("return redis.call('ok').ok", answer), { t: 'bulk', v: Buffer.from('OK') });
  t.same(await run("return redis.call('one')", answer), { t: 'int', v: 1 });
  t.same(await run("return redis.pcall('rawerr').err", answer), { t: 'bulk', v: Buffer.from('ERR raw') });
  t.same(await run("return redis.call('big')", answer), { t: 'int', v: 2n ** 62n }, '64-bit integers stay exact');
});

t.test('RESP3 conversions after redis.setresp(3)', async (t) => {
  t.same(await run("redis.setresp(3) return redis.call('map').map.f", answer), { t: 'bulk', v: Buffer.from('v') });
  t.same(await run("redis.setresp(3) return redis.call('set').set.m", answer), { t: 'int', v: 1 });
  t.same(await run("redis.setresp(3) return redis.call('double')", answer), { t: 'double', v: 1.5 });
  t.same(await run("redis.setresp(3) return redis.call('true') == true", answer), { t: 'int', v: 1 });
  t.same(await run("redis.setresp(3) return redis.call('null') == nil", answer), { t: 'int', v: 1 });
  t.match(await run('redis.setresp(4)'), { t: 'error', v: /^ERR user_script:1: RESP version must be 2 or 3\. script: / });
});

t.test('script results: numbers, binary strings, nesting, raw replies', async (t) => {
  const bin = Buffer.from([0, 255, 13, 10, 200]);
  t.same(await run('return ARGV[1]', undefined, [], [bin]), { t: 'bulk', v: bin }, 'bytes pass through unchanged');
  t.same(await run('return #ARGV[1]', undefined, [], [bin]), { t: 'int', v: 5 });
  t.same(await run('return 2^63'), { t: 'int', v: -(2n ** 63n) }, 'out of range as Redis casts it');
  t.same(await run('return 0/0'), { t: 'int', v: -(2n ** 63n) });
  t.same(await run('return 2^60'), { t: 'int', v: 2n ** 60n });
  t.same(await run('return math.maxinteger'), { t: 'int', v: 2n ** 63n - 1n });
  t.same(await run("return {double=2.5}"), { t: 'double', v: 2.5 });
  t.same(await run("return {ok='a\\r\\nb'}"), { t: 'simple', v: 'a  b' });
  t.same(await run("return {err='x\\ny'}"), { t: 'error', v: 'x y' });
  t.same(await run('return function() end'), { t: 'null' });
  t.match(await run('local t = {} local c = t for i = 1, 1200 do c[1] = {} c = c[1] end return t'), { t: 'array' }, 'deep tables are cut, not a crash');
  t.same(parseRaw(Buffer.from('+QUEUED\r\n')), { t: 'simple', v: 'QUEUED' });
});

t.test('redis.call arguments: integers as such, other numbers as %.17g', async (t) => {
  const seen: string[][] = [];
  await run("redis.call('x', 1, 1.5, 0.1, 10/2, 'y')", (args) => {
    seen.push(args);
    return { t: 'null' };
  });
  t.same(seen, [['x', '1', '1.5', '0.10000000000000001', '5', 'y']]);
  t.match(await run("return redis.call()"), { t: 'error', v: /^ERR Please specify at least one argument for this redis lib call script: / });
});

t.test('commands that answer later: the script waits, also inside pcall; a failure becomes an error reply', async (t) => {
  const later = (r: Reply) => () => new Promise<Reply>((resolve) => setTimeout(() => resolve(r), 2));
  t.same(await run("local a = redis.call('x') local ok, b = pcall(redis.call, 'y') return {a, b}", later({ t: 'int', v: 7 })), {
    t: 'array',
    v: [
      { t: 'int', v: 7 },
      { t: 'int', v: 7 },
    ],
  });
  t.same(await run("return redis.pcall('x')", () => Promise.reject(new Error('lost'))), { t: 'error', v: 'ERR lost' });
  t.same(await run("return redis.pcall('x')", () => Promise.reject('plain')), { t: 'error', v: 'ERR plain' });
  t.match(await run("return redis.call('x')", later({ t: 'error', v: 'ERR later' })), { t: 'error', v: /^ERR later script: [0-9a-f]{40}, on @user_script:1\.$/ });
  const inCoroutine = await run("local co = coroutine.wrap(function() return redis.pcall('x') end) return co()", later({ t: 'int', v: 1 }));
  t.match(inCoroutine, { t: 'error', v: /inside a coroutine or a C callback/ });
  const inSort = await run("local t = {3, 1, 2} table.sort(t, function(a, b) redis.call('x') return a < b end) return t", later({ t: 'int', v: 1 }));
  t.match(inSort, { t: 'error', v: /inside a coroutine or a C callback/ });
});

t.test('Lua 5.1 helpers and libraries scripts expect', async (t) => {
  t.same(await run('return math.pow(2, 10)'), { t: 'int', v: 1024 });
  t.same(await run('return math.mod(7, 3)'), { t: 'int', v: 1 });
  t.same(await run('return bit.bnot(0)'), { t: 'int', v: -1 });
  t.same(await run('return bit.arshift(-16, 2)'), { t: 'int', v: -4 });
  t.same(await run('return bit.tobit(2^32 + 5)'), { t: 'int', v: 5 });
  t.same(await run('return bit.tohex(255, -2)'), { t: 'bulk', v: Buffer.from('FF') });
  t.same(await run("return cjson.encode({a='x\\n\"'})"), { t: 'bulk', v: Buffer.from('{"a":"x\\n\\""}') });
  t.same(await run('return cjson.encode({n=1.5})'), { t: 'bulk', v: Buffer.from('{"n":1.5}') });
  t.same(await run('return cjson.encode({true, cjson.null, {}})'), { t: 'bulk', v: Buffer.from('[true,null,{}]') });
  t.same(await run('return tostring(cjson.null)'), { t: 'bulk', v: Buffer.from('null') });
});

t.test('cjson round trips and refusals', async (t) => {
  t.same(await run("return cjson.encode(cjson.decode('[1,-2.5,\"a\\\\u0041\\\\n\",true,false,null,{},[]]'))"), { t: 'bulk', v: Buffer.from('[1,-2.5,"aA\\n",true,false,null,{},{}]') });
  t.same(await run("return cjson.encode({s='/\\t'})"), { t: 'bulk', v: Buffer.from('{"s":"\\/\\t"}') });
  t.same(await run("return cjson.encode({[1]=1,[3]=3})"), { t: 'bulk', v: Buffer.from('[1,null,3]') });
  t.match(await run('return cjson.encode(0/0)'), { t: 'error', v: /Cannot serialise number/ });
  t.match(await run('return cjson.encode(function() end)'), { t: 'error', v: /Cannot serialise function/ });
  t.match(await run('return cjson.encode({[true]=1})'), { t: 'error', v: /table key must be a number or string/ });
  t.match(await run("return cjson.decode('[1,')"), { t: 'error', v: /Expected/ });
  t.match(await run("return cjson.decode('{\"a\" 1}')"), { t: 'error', v: /colon/ });
  t.match(await run("return cjson.decode('{1:2}')"), { t: 'error', v: /object key string/ });
  t.match(await run("return cjson.decode('[1 2]')"), { t: 'error', v: /comma or array end/ });
  t.match(await run("return cjson.decode('{\"a\":1 \"b\"}')"), { t: 'error', v: /comma or object end/ });
  t.match(await run("return cjson.decode('\"abc')"), { t: 'error', v: /string/ });
  t.match(await run("return cjson.decode('\"\\\\q\"')"), { t: 'error', v: /escape/ });
  t.match(await run("return cjson.decode('1 x')"), { t: 'error', v: /the end/ });
  t.match(await run("return cjson.decode('x')"), { t: 'error', v: /value/ });
  t.match(await run('return cjson.decode(1)'), { t: 'error', v: /string expected/ });
  t.match(await run('local t = {} t[1] = t return cjson.encode(t)'), { t: 'error', v: /excessive nesting/ });
});

t.test('redis.* helpers: argument checks, log', async (t) => {
  t.match(await run('return redis.error_reply(1)'), { t: 'error', v: /wrong number or type of arguments/ });
  t.match(await run('return redis.status_reply(nil)'), { t: 'error', v: /wrong number or type of arguments/ });
  t.match(await run('return redis.sha1hex({})'), { t: 'error', v: /wrong number of arguments/ });
  t.same(await run('return redis.sha1hex(1)'), { t: 'bulk', v: Buffer.from('356a192b7913b04c54574d18c28d46e6395428ab') });
  t.match(await run('redis.log(redis.LOG_NOTICE)'), { t: 'error', v: /requires two arguments or more/ });
  t.match(await run("redis.log(9, 'x')"), { t: 'error', v: /Invalid debug level/ });
  logged.length = 0;
  await run("redis.log(redis.LOG_WARNING, 'a', 1, true)");
  t.same(logged, [[3, 'a 1 true']]);
  t.same(await run('error()'), { t: 'error', v: `ERR nil script: ${createHash('sha1').update('error()').digest('hex')}, on @user_script:1.` });
  t.match(await run('error({})'), { t: 'error', v: /^ERR unknown error script: / });
});

t.test('the script cache: load once, flush forgets', async (t) => {
  const loaded = engine.load(Buffer.from('return 42'));
  t.ok('sha' in loaded && engine.has(loaded.sha));
  t.same(engine.load(Buffer.from('return 42')), loaded, 'loading again answers the same digest');
  engine.flush();
  t.notOk('sha' in loaded && engine.has(loaded.sha));
  t.same(await engine.run('0'.repeat(40), [], [], host(() => ({ t: 'null' }))), { t: 'error', v: 'NOSCRIPT No matching script. Please use EVAL.' });
  t.equal(engine.running, null);
});

t.test('a script past the memory bound fails with not enough memory; the state goes on', async (t) => {
  const small = await LuaEngine.create(() => performance.now(), 4 * 1024 * 1024);
  const hog = small.load(Buffer.from("local t = {} for i = 1, 100 do t[i] = string.rep('x', 100000 + i) end return #t"));
  const fine = small.load(Buffer.from("return #string.rep('x', 100000)"));
  if (!('sha' in hog) || !('sha' in fine)) throw new Error('compile');
  const h = host(() => ({ t: 'null' }));
  t.same(await small.run(hog.sha, [], [], h), { t: 'error', v: 'ERR not enough memory' });
  t.same(await small.run(fine.sha, [], [], h), { t: 'int', v: 100000 });
});

t.test('scripts waiting for the store interleave, each with its own KEYS and ARGV', async (t) => {
  const later = (): Promise<Reply> => new Promise((resolve) => setTimeout(() => resolve({ t: 'null' }), 3));
  const body = "redis.call('x') local k = KEYS[1] redis.call('x') return {k, KEYS[1], ARGV[1]}";
  const [a, b] = await Promise.all([run(body, later, ['ka'], ['aa']), run(body, later, ['kb'], ['ab'])]);
  const bulks = (...v: string[]): Reply => ({ t: 'array', v: v.map((s) => ({ t: 'bulk', v: Buffer.from(s) })) });
  t.same(a, bulks('ka', 'ka', 'aa'));
  t.same(b, bulks('kb', 'kb', 'ab'));
  t.same(engine.inProgress, []);
});

t.test('a script returns {map=...} as a map and {set=...} as a set, as Redis 7 does', async (t) => {
  t.same(await run("redis.setresp(3); return redis.call('hgetall', 'h')", () => REPLIES.map!), { t: 'map', v: [[{ t: 'bulk', v: Buffer.from('f') }, { t: 'bulk', v: Buffer.from('v') }]] });
  t.same(await run("return {map = {[1] = 'one'}}"), { t: 'map', v: [[{ t: 'int', v: 1 }, { t: 'bulk', v: Buffer.from('one') }]] });
  t.same(await run("redis.setresp(3); return redis.call('smembers', 's')", () => REPLIES.set!), { t: 'set', v: [{ t: 'bulk', v: Buffer.from('m') }] });
  t.same(await run("redis.setresp(2); return redis.call('hgetall', 'h')", () => REPLIES.map!), { t: 'array', v: [{ t: 'bulk', v: Buffer.from('f') }, { t: 'bulk', v: Buffer.from('v') }] });
});
