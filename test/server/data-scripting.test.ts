import t from 'tap';
import { createHash } from 'node:crypto';
import { NIL, NOT_INT, OK, arity, arr, bulk, checkSessions, err, int, simple, startTargets } from './diff-support.js';
import type { Session } from './diff-support.js';

/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT against Redis 7, byte for
 * byte in RESP2 and RESP3: Lua-to-RESP conversions, redis.call's
 * RESP-to-Lua conversions, and Redis 7's error texts with their
 * "script: <sha>, on @user_script:<line>." context. Expected replies were
 * recorded from redis-server 7.0.15.
 *
 * Not compared: compile errors (Lua 5.4's parser words them differently
 * from Redis's Lua 5.1, e.g. "syntax error near" for "'=' expected near";
 * the prefix is the same and is checked in test/scripting/).
 */

const sha = (body: string): string => createHash('sha1').update(body).digest('hex');
const at = (body: string, line = 1): string => ` script: ${sha(body)}, on @user_script:${line}.`;
const scriptErr = (text: string, body: string, line = 1): string => err(text + at(body, line));

const INCR_EXPIRE = "local v = redis.call('INCR', KEYS[1]) redis.call('PEXPIRE', KEYS[1], ARGV[1]) return v";
const READ = "return redis.call('GET', KEYS[1])";
const BAD_INCR = "return redis.call('INCR', KEYS[1])";

const sessions: Session[] = [
  {
    name: 'EVAL returns: Lua to RESP',
    steps: [
      [['EVAL', 'return 1', '0'], int(1)],
      [['EVAL', 'return 3.99', '0'], int(3)],
      [['EVAL', 'return -3.99', '0'], int(-3)],
      [['EVAL', "return 'hello'", '0'], bulk('hello')],
      [['EVAL', 'return true', '0'], int(1)],
      [['EVAL', 'return false', '0'], NIL],
      [['EVAL', 'return nil', '0'], NIL],
      [['EVAL', "return {1, 'two', {3, 'four'}, 5.5}", '0'], arr(int(1), bulk('two'), arr(int(3), bulk('four')), int(5))],
      [['EVAL', 'return {1, 2, nil, 4}', '0'], arr(int(1), int(2))],
      [['EVAL', "return {1, false, 'x'}", '0'], arr(int(1), NIL, bulk('x'))],
      [['EVAL', "return {ok='fine'}", '0'], simple('fine')],
      [['EVAL', "return {err='My Error'}", '0'], err('My Error')],
      [['EVAL', "return redis.status_reply('DONE')", '0'], simple('DONE')],
      [['EVAL', "return redis.error_reply('ERR custom')", '0'], err('ERR custom')],
      [['EVAL', "return redis.error_reply('')", '0'], err('ERR ')],
      [['EVAL', "return redis.error_reply('MYCODE')", '0'], err('ERR MYCODE')],
      [['EVAL', "return redis.error_reply('-X y')", '0'], err('X y')],
      [['EVAL', "return redis.error_reply(' x')", '0'], err(' x')],
      [['EVAL', "return redis.error_reply('MY_ERR_CODE custom msg')", '0'], err('MY_ERR_CODE custom msg')],
      [['EVAL', "return cmsgpack.unpack(cmsgpack.pack({1, 'two'}))[2]", '0'], bulk('two')],
      [['EVAL', '#!lua flags=no-writes\nreturn 7', '0'], int(7)],
      [['EVAL', 'return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}', '2', 'k1', 'k2', 'a1', 'a2'], arr(bulk('k1'), bulk('k2'), bulk('a1'), bulk('a2'))],
      [['EVAL', 'return #ARGV', '1', 'k', 'a', 'b', 'c'], int(3)],
      [['EVAL', "return redis.sha1hex('')", '0'], bulk('da39a3ee5e6b4b0d3255bfef95601890afd80709')],
      [['EVAL', 'return unpack({7, 8})', '0'], int(7)],
      [['EVAL', 'return table.getn({1, 2, 3})', '0'], int(3)],
      [['EVAL', "return cjson.encode({1, 2, 'x'})", '0'], bulk('[1,2,"x"]')],
      [['EVAL', "return cjson.decode('{\"a\":[1,2,{\"b\":\"c\"}]}').a[3].b", '0'], bulk('c')],
      [['EVAL', 'return bit.band(0xff, 0x0f, 0x3)', '0'], int(3)],
      [['EVAL', 'return bit.bor(1, 2, 4)', '0'], int(7)],
      [['EVAL', 'return bit.bxor(5, 3)', '0'], int(6)],
      [['EVAL', 'return bit.lshift(1, 31)', '0'], int(-2147483648)],
      [['EVAL', 'return bit.rshift(-1, 28)', '0'], int(15)],
      [['EVAL', 'return bit.tohex(255)', '0'], bulk('000000ff')],
      [['EVAL', 'return bit.tohex(-1, 4)', '0'], bulk('ffff')],
      [['EVAL', 'return tonumber("0x10")', '0'], int(16)],
      [['EVAL', 'return loadstring', '0'], NIL],
    ],
  },
  {
    name: 'redis.call: RESP to Lua',
    steps: [
      [['EVAL', "return redis.call('SET', KEYS[1], 'v')", '1', 'sc:a'], OK],
      [['EVAL', "return redis.call('GET', KEYS[1])", '1', 'sc:a'], bulk('v')],
      [['EVAL', "return type(redis.call('GET', KEYS[1]))", '1', 'sc:none'], bulk('boolean')],
      [['EVAL', "return redis.call('GET', KEYS[1]) == false", '1', 'sc:none'], int(1)],
      [['EVAL', "return redis.call('SET', KEYS[1], 'v').ok", '1', 'sc:a'], bulk('OK')],
      [['EVAL', "return redis.call('INCRBY', KEYS[1], 5) + 1", '1', 'sc:n'], int(6)],
      [['EVAL', "return redis.call('INCRBY', KEYS[1], 2.0)", '1', 'sc:n'], int(7)],
      [['EVAL', "return redis.call('INCRBYFLOAT', KEYS[1], 0.5)", '1', 'sc:n'], bulk('7.5')],
      [['EVAL', "redis.call('HSET', KEYS[1], 'f', 'v') return redis.call('HGETALL', KEYS[1])", '1', 'sc:h'], arr(bulk('f'), bulk('v'))],
      [['EVAL', "return redis.call('EXISTS', KEYS[1], KEYS[2])", '2', 'sc:a', 'sc:none'], int(1)],
      [['EVAL', "return redis.pcall('INCR', KEYS[1])", '1', 'sc:a'], NOT_INT],
      [['EVAL', "local r = redis.pcall('INCR', KEYS[1]) return r.err", '1', 'sc:a'], bulk('ERR value is not an integer or out of range')],
      [['EVAL', "return redis.pcall('nosuchcommand')", '0'], err('ERR Unknown Redis command called from script')],
      [['EVAL', "return redis.pcall('GET')", '0'], err('ERR Wrong number of args calling Redis command from script')],
      [['EVAL', INCR_EXPIRE, '1', 'sc:ie', '60000'], int(1)],
      [['EVALSHA', sha(INCR_EXPIRE), '1', 'sc:ie', '60000'], int(2)],
      [['PTTL', 'sc:ie'], int(60000), { near: 1000 }],
      [['EVAL', "redis.setresp(3) return redis.call('HGETALL', KEYS[1]).map.f", '1', 'sc:h'], bulk('v')],
    ],
  },
  {
    name: 'struct: pack, unpack, size',
    steps: [
      [['EVAL', "return struct.pack('>I2', 258)", '0'], bulk('\x01\x02')],
      [['EVAL', "return struct.pack('bBhH', -1, 255, -2, 65535)", '0'], bulk('\xff\xff\xfe\xff\xff\xff')],
      [['EVAL', "return struct.pack('<i', -2)", '0'], bulk('\xfe\xff\xff\xff')],
      [['EVAL', "return struct.pack('!4bi', 1, 2)", '0'], bulk('\x01\x00\x00\x00\x02\x00\x00\x00')],
      [['EVAL', "return struct.pack(' > i ', 1)", '0'], bulk('\x00\x00\x00\x01')],
      [['EVAL', "return struct.pack('i', 3.7)", '0'], bulk('\x03\x00\x00\x00')],
      [['EVAL', "return struct.pack('i', -3.7)", '0'], bulk('\xfd\xff\xff\xff')],
      [['EVAL', "return struct.pack('>i9', -2)", '0'], bulk('\x00\xff\xff\xff\xff\xff\xff\xff\xfe')],
      [['EVAL', "return struct.pack('<I8', 1)", '0'], bulk('\x01\x00\x00\x00\x00\x00\x00\x00')],
      [['EVAL', "return struct.pack('c3', 'abcdef')", '0'], bulk('abc')],
      [['EVAL', "return struct.pack('c', 'xyz')", '0'], bulk('x')],
      [['EVAL', "return {struct.unpack('>I2', struct.pack('>I2', 258))}", '0'], arr(int(258), int(3))],
      [['EVAL', "return {struct.unpack('<l', struct.pack('<l', -5))}", '0'], arr(int(-5), int(9))],
      [['EVAL', "return {struct.unpack('<i9', struct.pack('<i9', -2))}", '0'], arr(int(-2), int(10))],
      [['EVAL', "return {struct.unpack('H', struct.pack('H', 70000))}", '0'], arr(int(4464), int(3))],
      [['EVAL', "return {struct.unpack('s', struct.pack('s', 'abc'))}", '0'], arr(bulk('abc'), int(5))],
      [['EVAL', "return {struct.unpack('Bc0', struct.pack('Bc0', 3, 'xyz'))}", '0'], arr(bulk('xyz'), int(5))],
      [['EVAL', "return {struct.unpack('xb', 'ab', 1)}", '0'], arr(int(98), int(3))],
      [['EVAL', "return {struct.unpack('d', struct.pack('d', 1.5))}", '0'], arr(int(1), int(9))],
      [['EVAL', "return {struct.unpack('f', struct.pack('f', 0.25))}", '0'], arr(int(0), int(5))],
      [['EVAL', "return struct.size('!4bi')", '0'], int(8)],
      [['EVAL', "local r = struct.size('s') return r", '0'], scriptErr("ERR user_script:1: bad argument #1 to 'size' (option 's' has no fixed size)", "local r = struct.size('s') return r")],
      [['EVAL', "local r = struct.size('c0') return r", '0'], scriptErr("ERR user_script:1: bad argument #1 to 'size' (option 'c0' has no fixed size)", "local r = struct.size('c0') return r")],
      [['EVAL', "local r = struct.pack('q', 1) return r", '0'], scriptErr("ERR user_script:1: bad argument #1 to 'pack' (invalid format option 'q')", "local r = struct.pack('q', 1) return r")],
      [['EVAL', "local r = struct.pack('c5', 'ab') return r", '0'], scriptErr("ERR user_script:1: bad argument #3 to 'pack' (string too short)", "local r = struct.pack('c5', 'ab') return r")],
      [['EVAL', "local r = struct.pack('i', 'x') return r", '0'], scriptErr("ERR user_script:1: bad argument #2 to 'pack' (number expected, got string)", "local r = struct.pack('i', 'x') return r")],
      [['EVAL', "local r = struct.pack('!3i', 1) return r", '0'], scriptErr('ERR user_script:1: alignment 3 is not a power of 2', "local r = struct.pack('!3i', 1) return r")],
      [['EVAL', "local r = struct.pack('i33', 1) return r", '0'], scriptErr('ERR user_script:1: integral size 33 is larger than limit of 32', "local r = struct.pack('i33', 1) return r")],
      [['EVAL', "local r = {struct.unpack('>I4', 'ab')} return r", '0'], scriptErr("ERR user_script:1: bad argument #2 to 'unpack' (data string too short)", "local r = {struct.unpack('>I4', 'ab')} return r")],
      [['EVAL', "local r = {struct.unpack('s', 'abc')} return r", '0'], scriptErr('ERR user_script:1: unfinished string in data', "local r = {struct.unpack('s', 'abc')} return r")],
      [['EVAL', "local r = {struct.unpack('c0', 'abc')} return r", '0'], scriptErr("ERR user_script:1: format 'c0' needs a previous size", "local r = {struct.unpack('c0', 'abc')} return r")],
      [['EVAL', "local r = {struct.unpack('b', 'a', 0)} return r", '0'], scriptErr("ERR user_script:1: bad argument #3 to 'unpack' (offset must be 1 or greater)", "local r = {struct.unpack('b', 'a', 0)} return r")],
      [['EVAL', "struct.x = 1", '0'], scriptErr('ERR user_script:1: Attempt to modify a readonly table', 'struct.x = 1')],
    ],
  },
  {
    name: 'script errors',
    steps: [
      [['SET', 'se:s', 'abc'], OK],
      [['EVAL', BAD_INCR, '1', 'se:s'], scriptErr('ERR value is not an integer or out of range', BAD_INCR)],
      [['EVAL', "return redis.call('nosuchcommand', 'x')", '0'], scriptErr('ERR Unknown Redis command called from script', "return redis.call('nosuchcommand', 'x')")],
      [['EVAL', "return redis.call('GET')", '0'], scriptErr('ERR Wrong number of args calling Redis command from script', "return redis.call('GET')")],
      [['EVAL', "return redis.call('EVAL', 'return 1', '0')", '0'], scriptErr('ERR This Redis command is not allowed from script', "return redis.call('EVAL', 'return 1', '0')")],
      [['EVAL', "return redis.call('SET', 'k', {})", '0'], scriptErr('ERR Lua redis lib command arguments must be strings or integers', "return redis.call('SET', 'k', {})")],
      [['EVAL', "error('boom')", '0'], scriptErr('ERR user_script:1: boom', "error('boom')")],
      [['EVAL', "local a = 1\nerror({err='boom2'})", '0'], scriptErr('boom2', "local a = 1\nerror({err='boom2'})", 2)],
      [['EVAL', 'x = 1', '0'], scriptErr('ERR user_script:1: Attempt to modify a readonly table', 'x = 1')],
      [['EVAL', 'return y', '0'], scriptErr("ERR user_script:1: Script attempted to access nonexistent global variable 'y'", 'return y')],
      [['EVAL', 'return os.time()', '0'], scriptErr("ERR user_script:1: Script attempted to access nonexistent global variable 'os'", 'return os.time()')],
      [['EVAL', "return io.open('/etc/passwd')", '0'], scriptErr("ERR user_script:1: Script attempted to access nonexistent global variable 'io'", "return io.open('/etc/passwd')")],
      [['EVAL', "return require('x')", '0'], scriptErr("ERR user_script:1: Script attempted to access nonexistent global variable 'require'", "return require('x')")],
      [['EVAL', "return dofile('/etc/passwd')", '0'], scriptErr("ERR user_script:1: Script attempted to access nonexistent global variable 'dofile'", "return dofile('/etc/passwd')")],
      [['EVAL', 'return 1', '-1'], err("ERR Number of keys can't be negative")],
      [['EVAL', 'return 1', '2', 'a'], err("ERR Number of keys can't be greater than number of args")],
      [['EVAL', 'return 1', 'x'], NOT_INT],
      [['EVAL', 'return 1'], arity('eval')],
      [['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'], err('NOSCRIPT No matching script. Please use EVAL.')],
      [['EVALSHA_RO', 'ffffffffffffffffffffffffffffffffffffffff', '0'], err('NOSCRIPT No matching script. Please use EVAL.')],
      [['EVAL_RO', "return redis.call('SET', KEYS[1], 'x')", '1', 'se:ro'], scriptErr('ERR Write commands are not allowed from read-only scripts.', "return redis.call('SET', KEYS[1], 'x')")],
      [['EVAL_RO', READ, '1', 'se:s'], bulk('abc')],
      [['SCRIPT', 'KILL'], err('NOTBUSY No scripts in execution right now.')],
    ],
  },
  {
    name: 'SCRIPT LOAD EXISTS FLUSH',
    alone: true,
    steps: [
      [['SCRIPT', 'FLUSH'], OK],
      [['SCRIPT', 'LOAD', READ], bulk(sha(READ))],
      [['SCRIPT', 'EXISTS', sha(READ), 'ffffffffffffffffffffffffffffffffffffffff', sha(READ).toUpperCase()], arr(int(1), int(0), int(1))],
      [['SET', 'sl:k', 'v'], OK],
      [['EVALSHA', sha(READ), '1', 'sl:k'], bulk('v')],
      [['EVALSHA', sha(READ).toUpperCase(), '1', 'sl:k'], bulk('v')],
      [['EVALSHA_RO', sha(READ), '1', 'sl:k'], bulk('v')],
      [['SCRIPT', 'FLUSH', 'ASYNC'], OK],
      [['SCRIPT', 'EXISTS', sha(READ)], arr(int(0))],
      [['EVALSHA', sha(READ), '1', 'sl:k'], err('NOSCRIPT No matching script. Please use EVAL.')],
      [['SCRIPT', 'FLUSH', 'SYNC'], OK],
      [['SCRIPT', 'FLUSH', 'NOW'], err('ERR SCRIPT FLUSH only support SYNC|ASYNC option')],
      [['SCRIPT', 'LOAD'], arity('script|load')],
      [['SCRIPT', 'EXISTS'], arity('script|exists')],
      [['SCRIPT', 'NOPE'], err("ERR unknown subcommand 'NOPE'. Try SCRIPT HELP.")],
    ],
  },
];

const targets = await startTargets(t);
await checkSessions(t, targets, sessions);
