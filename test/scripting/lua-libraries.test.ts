import t from 'tap';
import { LuaEngine, type ScriptHost } from '../../src/scripting/index.js';
import type { Reply } from '../../resp/reply.js';

/**
 * The Lua libraries Redis scripts rely on and Redis 7's read-only sandbox:
 * cmsgpack's encodings byte for byte (as lua-cmsgpack writes them), cjson's
 * settings and Lua 5.1 number reading, and globals and library tables that
 * no script can change for the next one.
 */

const engine = await LuaEngine.create(() => performance.now());
const host: ScriptHost = { clientProtocol: 2, log: () => undefined, call: () => ({ t: 'null' }) };

async function run(body: string): Promise<Reply> {
  const loaded = engine.load(Buffer.from(body));
  if ('error' in loaded) return { t: 'error', v: loaded.error };
  return engine.run(loaded.sha, [], [], host);
}

const hexOf = (expr: string): string =>
  `local s = ${expr}; local h = {}; for i = 1, #s do h[i] = string.format('%02x', s:byte(i)) end; return table.concat(h)`;

t.test('cmsgpack packs each type as lua-cmsgpack does', async (t) => {
  const cases: Array<[string, string]> = [
    ['0.1', 'cb3fb999999999999a'],
    ['0.5', 'ca3f000000'],
    ['-1099511627776', 'd3ffffff0000000000'],
    ['1, -1, 200, -100, 65535, -30000, 70000, -70000, 2^40', '01ffccc8d09ccdffffd18ad0ce00011170d2fffeee90cf0000010000000000'],
    ["'abc', true, false, nil", 'a3616263c3c2c0'],
    ["string.rep('x', 40)", `d928${'78'.repeat(40)}`],
    ['{1, 2, 3}', '93010203'],
    ['{}', '90'],
    ["{a = 1}", '81a16101'],
  ];
  for (const [args, hex] of cases) t.same(await run(hexOf(`cmsgpack.pack(${args})`)), { t: 'bulk', v: Buffer.from(hex) }, args);
  t.match(await run('return cmsgpack.pack()'), { t: 'error', v: /MessagePack pack needs input\./ });
});

t.test('cmsgpack nests to depth 16, then packs nil: a cycle becomes a bounded copy', async (t) => {
  const reply = await run(`local a = {y = 5}; a.x = a; local r = cmsgpack.unpack(cmsgpack.pack(a))
    local depth = 0; while r and r.x ~= nil do r = r.x; depth = depth + 1 end
    return depth`);
  t.same(reply, { t: 'int', v: 15 });
});

t.test('cmsgpack unpacks what it packs, one object or several at a time', async (t) => {
  t.same(await run("local a, b, c = cmsgpack.unpack(cmsgpack.pack('x', {1, {k = 'v'}}, -5)); return {a, b[2].k, c}"), {
    t: 'array',
    v: [{ t: 'bulk', v: Buffer.from('x') }, { t: 'bulk', v: Buffer.from('v') }, { t: 'int', v: -5 }],
  });
  const stepped = await run(`local s = cmsgpack.pack('a', string.rep('b', 300), 7)
    local o1, v1 = cmsgpack.unpack_one(s, 0)
    local o2, v2 = cmsgpack.unpack_limit(s, 1, o1)
    local o3, v3 = cmsgpack.unpack_one(s, o2)
    return {o1, v1, o2, #v2, o3, v3}`);
  t.same(stepped, { t: 'array', v: [{ t: 'int', v: 2 }, { t: 'bulk', v: Buffer.from('a') }, { t: 'int', v: 305 }, { t: 'int', v: 300 }, { t: 'int', v: -1 }, { t: 'int', v: 7 }] });
  t.match(await run("return cmsgpack.unpack('\\xa5ab')"), { t: 'error', v: /Missing bytes in input\./ });
  t.match(await run("return cmsgpack.unpack('\\xc1')"), { t: 'error', v: /Bad data format in input\./ });
  t.match(await run("return cmsgpack.unpack_one('\\x01', 5)"), { t: 'error', v: /Start offset 5 greater than input length 1\./ });
});

t.test('cjson reads whole numbers as Lua 5.1 prints them, and keeps its settings', async (t) => {
  t.same(await run(`return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')`), { t: 'bulk', v: Buffer.from('0 -5000 -1 0.0003 1023.2 0') });
  t.same(await run(`return tostring(cjson.decode('[-inf]')[1])`), { t: 'bulk', v: Buffer.from('-inf') });
  t.same(await run('return cjson.encode_keep_buffer(false)'), { t: 'null' }, 'false converts to a null reply');
  t.same(await run('return cjson.encode_number_precision(3) .. cjson.encode(3.14159) .. cjson.encode_number_precision(14)'), { t: 'bulk', v: Buffer.from('33.1414') });
  t.match(await run("cjson.encode_max_depth(1); local ok = pcall(cjson.encode, {{}}); cjson.encode_max_depth(1000); return ok and 'encoded' or 'refused'"), { t: 'bulk', v: Buffer.from('refused') });
  t.match(await run("cjson.decode_max_depth(1); local ok, e = pcall(cjson.decode, '[[1]]'); cjson.decode_max_depth(1000); return e"), { t: 'bulk', v: /Found too many nested data structures \(2\) at character 2/ });
  t.match(await run('return cjson.encode_max_depth(0)'), { t: 'error', v: /bad argument #1 to 'encode_max_depth' \(expected integer between 1 and 2147483647\)/ });
  t.match(await run('return cjson.encode({[1] = 1, [20] = 2})'), { t: 'error', v: /Cannot serialise table: excessively sparse array/ });
  t.same(await run('cjson.encode_sparse_array(true); local s = cjson.encode({[1] = 1, [20] = 2}); cjson.encode_sparse_array(false); return #s'), { t: 'int', v: 14 }, '{"1":1,"20":2}');
  t.same(await run("cjson.encode_invalid_numbers('null'); local s = cjson.encode({0/0}); cjson.encode_invalid_numbers(false); return s"), { t: 'bulk', v: Buffer.from('[null]') });
});

t.test('globals and library tables are read-only, and print is gone', async (t) => {
  const refused = [
    'setmetatable(_G, {})',
    'local g = getmetatable(_G); g.__index = {}',
    'redis = function() return 1 end',
    '_G = {}',
    'redis.call = function() return 1 end',
    'cjson.encode = function() return 1 end',
    'cmsgpack.pack = function() return 1 end',
    'bit.lshift = function() return 1 end',
    'string.upper = nil',
    "rawset(_G, 'x', 1)",
    'newglobal = 1',
  ];
  for (const body of refused) t.match(await run(body), { t: 'error', v: /Attempt to modify a readonly table/ }, body);
  t.same(await run("return redis.status_reply('still here')"), { t: 'simple', v: 'still here' }, 'the redis table survived');
  t.match(await run("print('x')"), { t: 'error', v: /nonexistent global variable 'print'/ });
  t.same(await run("local t = setmetatable({}, {__index = function() return 5 end}); rawset(t, 'k', 1); return {t.x, t.k}"), { t: 'array', v: [{ t: 'int', v: 5 }, { t: 'int', v: 1 }] }, "a script's own tables stay writable");
  t.same(await run("local n = 0; for _ in pairs(string) do n = n + 1 end; return n > 10 and ('x'):upper() or 'empty'"), { t: 'bulk', v: Buffer.from('X') }, 'libraries still iterate');
  t.same(await run('return _G'), { t: 'array', v: [] });
});

t.test('SCRIPT FLUSH gives back the memory scripts held', async (t) => {
  for (let i = 0; i < 50; i++) await run(`local t = {} for i = 1, 2000 do t[i] = string.rep('x', 20) .. i end return ${i}`);
  const before = engine.usedBytes();
  engine.flush();
  t.equal(engine.cachedScripts, 0);
  t.ok(engine.usedBytes() < before - 100_000, `${engine.usedBytes()} < ${before} - 100000`);
  t.same(await run('return 1'), { t: 'int', v: 1 }, 'and scripts run after it');
});

t.test("scripts' short-lived garbage is freed young: many runs keep the Lua state near its live size", async (t) => {
  engine.flush();
  const live = engine.usedBytes();
  let peak = 0;
  for (let i = 0; i < 3000; i++) {
    await run("return {KEYS[1], 'reply', 1}");
    peak = Math.max(peak, engine.usedBytes());
  }
  t.ok(peak < live * 1.4, `peak ${peak} < 1.4 x ${live}`);
});
