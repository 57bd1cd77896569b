import t from 'tap';
import { NIL, NOT_FLOAT, NOT_INT, OK, SYNTAX, WRONGTYPE, arity, arr, bulk, checkSessions, err, int, sample, simple, startTargets } from './diff-support.js';
import type { Session } from './diff-support.js';
import type { RawClient } from './raw-client.js';

/**
 * Hashes against Redis 7: HSET HSETNX HGET HMGET HMSET HGETALL HDEL HLEN
 * HEXISTS HKEYS HVALS HSTRLEN HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, their
 * errors (arity, WRONGTYPE both ways, integers and floats), TYPE, SCAN ...
 * TYPE hash and the keyspace commands on hashes (EXISTS DEL EXPIRE TTL
 * PERSIST RENAME). Byte for byte, except where Redis leaves the order open:
 * HGETALL, HKEYS and HVALS compare as sets (HGETALL as a set of field/value
 * pairs, a map in RESP3), HSCAN is iterated to cursor 0 on both servers and
 * the unions compared, HRANDFIELD is checked for size, membership and values
 * on each server by itself. Expected replies were recorded from
 * redis-server 7.0.15.
 *
 * QuorumKV only (no Redis counterpart): the --max-collection-members bound
 * and QHGET, at the end.
 */

const HASH_NOT_INT = err('ERR hash value is not an integer');
const HASH_NOT_FLOAT = err('ERR hash value is not a float');
const OVERFLOW = err('ERR increment or decrement would overflow');
const INVALID_CURSOR = err('ERR invalid cursor');
const NO_SUCH_KEY = err('ERR no such key');
const BIN_FIELD = Buffer.from('f\0\r\n\xff', 'latin1');
const BIN_VALUE = Buffer.from([0x61, 0x00, 0x0d, 0x0a, 0xff, 0x80, 0x24, 0x2d, 0x31, 0x0d, 0x0a, 0x00]);
/** 100 KB of every byte value. */
const BIG = Buffer.from(Array.from({ length: 100 * 1024 }, (_, i) => (i * 11) % 256));
/** Beyond Redis's listpack encoding (128 fields), so its hashtable order and paging are in play. */
const MANY = Array.from({ length: 300 }, (_, i) => [`field:${i}`, `value:${i}`] as const);
const MANY_FLAT = MANY.flat();
const flat = (pairs: ReadonlyArray<readonly [string, string]>): string[] => pairs.map(([f, v]) => [bulk(f), bulk(v)]).flat();
const bulks = (...items: string[]): string => arr(...items.map(bulk));

const sessions: Session[] = [
  {
    name: 'HSET HGET HMSET HMGET HSETNX',
    steps: [
      [['HSET', 'hs:h', 'f1', 'v1'], int(1)],
      [['HSET', 'hs:h', 'f1', 'v1b', 'f2', 'v2'], int(1)],
      [['HGET', 'hs:h', 'f1'], bulk('v1b')],
      [['HGET', 'hs:h', 'f2'], bulk('v2')],
      [['HGET', 'hs:h', 'nofield'], NIL],
      [['HGET', 'hs:none', 'f1'], NIL],
      [['HSET', 'hs:h', 'f2', 'x', 'f2', 'v3'], int(0)],
      [['HGET', 'hs:h', 'f2'], bulk('v3')],
      [['HMSET', 'hs:h', 'f3', 'v3', 'f4', ''], OK],
      [['HMGET', 'hs:h', 'f1', 'f4', 'nofield', 'f3', 'f1'], arr(bulk('v1b'), bulk(''), NIL, bulk('v3'), bulk('v1b'))],
      [['HMGET', 'hs:none', 'a', 'b'], arr(NIL, NIL)],
      [['HSETNX', 'hs:h', 'f1', 'other'], int(0)],
      [['HGET', 'hs:h', 'f1'], bulk('v1b')],
      [['HSETNX', 'hs:h', 'f5', 'x'], int(1)],
      [['HSETNX', 'hs:new', 'f', 'v'], int(1)],
      [['HMGET', 'hs:new', 'f'], arr(bulk('v'))],
      [['hset', 'hs:h', '', 'empty field'], int(1)],
      [['HGET', 'hs:h', ''], bulk('empty field')],
      [['HSET', 'hs:bin', BIN_FIELD, BIN_VALUE], int(1)],
      [['HGET', 'hs:bin', BIN_FIELD], bulk('a\x00\r\n\xff\x80$-1\r\n\x00')],
      [['HGET', 'hs:bin', 'f'], NIL],
      [['HSET', Buffer.from('hs:\0\r\n', 'latin1'), 'f', 'v'], int(1)],
      [['HGET', Buffer.from('hs:\0\r\n', 'latin1'), 'f'], bulk('v')],
      [['HSET', 'hs:big', 'f', BIG], int(1)],
      [['HGET', 'hs:big', 'f'], bulk(BIG)],
      [['HSTRLEN', 'hs:big', 'f'], int(102400)],
      [['HSET', 'hs:big', 'f', 'small'], int(0)],
      [['HGET', 'hs:big', 'f'], bulk('small')],
      [['HMSET', 'hs:h', 'f1', 'm1', 'f6', 'm6'], OK],
      [['HMGET', 'hs:h', 'f1', 'f6'], arr(bulk('m1'), bulk('m6'))],
      [['HSET', 'hs:num', '1', '2', '3', '4'], int(2)],
      [['HGET', 'hs:num', '1'], bulk('2')],
      [['HSET'], arity('hset')],
      [['HSET', 'hs:h'], arity('hset')],
      [['HSET', 'hs:h', 'f'], arity('hset')],
      [['HSET', 'hs:h', 'f', 'v', 'g'], arity('hset')],
      [['HMSET', 'hs:h', 'f'], arity('hmset')],
      [['HMSET', 'hs:h', 'f', 'v', 'g'], arity('hmset')],
      [['HGET', 'hs:h'], arity('hget')],
      [['HGET', 'hs:h', 'f1', 'f2'], arity('hget')],
      [['HMGET', 'hs:h'], arity('hmget')],
      [['HSETNX', 'hs:h', 'f'], arity('hsetnx')],
      [['HSETNX', 'hs:h', 'f', 'v', 'w'], arity('hsetnx')],
      [['HGET', 'hs:h', 'f'], NIL],
    ],
  },
  {
    name: 'HGETALL HKEYS HVALS HLEN HEXISTS HSTRLEN HDEL',
    steps: [
      [['HSET', 'hg:h', 'a', '1', 'b', '22', 'c', '333'], int(3)],
      [['HGETALL', 'hg:h'], bulks('a', '1', 'b', '22', 'c', '333'), { unordered: true, resp3: 'map' }],
      [['HKEYS', 'hg:h'], bulks('a', 'b', 'c'), { unordered: true }],
      [['HVALS', 'hg:h'], bulks('1', '22', '333'), { unordered: true }],
      [['HLEN', 'hg:h'], int(3)],
      [['HLEN', 'hg:none'], int(0)],
      [['HEXISTS', 'hg:h', 'a'], int(1)],
      [['HEXISTS', 'hg:h', 'z'], int(0)],
      [['HEXISTS', 'hg:none', 'a'], int(0)],
      [['HSTRLEN', 'hg:h', 'c'], int(3)],
      [['HSTRLEN', 'hg:h', 'z'], int(0)],
      [['HSTRLEN', 'hg:none', 'a'], int(0)],
      [['HGETALL', 'hg:none'], arr(), { resp3: 'map' }],
      [['HKEYS', 'hg:none'], arr()],
      [['HVALS', 'hg:none'], arr()],
      [['HDEL', 'hg:h', 'a', 'z', 'a'], int(1)],
      [['HDEL', 'hg:none', 'a'], int(0)],
      [['HEXISTS', 'hg:h', 'a'], int(0)],
      [['HGETALL', 'hg:h'], bulks('b', '22', 'c', '333'), { unordered: true, resp3: 'map' }],
      [['HLEN', 'hg:h'], int(2)],
      [['HDEL', 'hg:h', 'b', 'c'], int(2)],
      [['EXISTS', 'hg:h'], int(0)],
      [['TYPE', 'hg:h'], simple('none')],
      [['HLEN', 'hg:h'], int(0)],
      [['HGETALL', 'hg:h'], arr(), { resp3: 'map' }],
      [['HSET', 'hg:h', 'again', 'yes'], int(1)],
      [['HGETALL', 'hg:h'], bulks('again', 'yes'), { resp3: 'map' }],
      [['HSET', 'hg:many', ...MANY_FLAT], int(300)],
      [['HLEN', 'hg:many'], int(300)],
      [['HGETALL', 'hg:many'], arr(...flat(MANY)), { unordered: true, resp3: 'map' }],
      [['HKEYS', 'hg:many'], bulks(...MANY.map(([f]) => f)), { unordered: true }],
      [['HVALS', 'hg:many'], bulks(...MANY.map(([, v]) => v)), { unordered: true }],
      [['HDEL', 'hg:many', ...MANY.slice(0, 299).map(([f]) => f)], int(299)],
      [['HGETALL', 'hg:many'], bulks('field:299', 'value:299'), { resp3: 'map' }],
      [['HGETALL'], arity('hgetall')],
      [['HGETALL', 'hg:h', 'x'], arity('hgetall')],
      [['HKEYS'], arity('hkeys')],
      [['HVALS', 'hg:h', 'x'], arity('hvals')],
      [['HLEN'], arity('hlen')],
      [['HLEN', 'hg:h', 'x'], arity('hlen')],
      [['HEXISTS', 'hg:h'], arity('hexists')],
      [['HSTRLEN', 'hg:h'], arity('hstrlen')],
      [['HSTRLEN', 'hg:h', 'a', 'b'], arity('hstrlen')],
      [['HDEL', 'hg:h'], arity('hdel')],
    ],
  },
  {
    name: 'HINCRBY',
    steps: [
      [['HINCRBY', 'hi:h', 'n', '5'], int(5)],
      [['HINCRBY', 'hi:h', 'n', '-3'], int(2)],
      [['HINCRBY', 'hi:h', 'n', '0'], int(2)],
      [['HGET', 'hi:h', 'n'], bulk('2')],
      [['HINCRBY', 'hi:h', 'new', '-7'], int(-7)],
      [['HSET', 'hi:h', 's', 'abc', 'sp', ' 1', 'fl', '1.5', 'e', '', 'big', '12345678901234567890', 'plus', '+1', 'zero', '007'], int(7)],
      [['HINCRBY', 'hi:h', 's', '1'], HASH_NOT_INT],
      [['HINCRBY', 'hi:h', 'sp', '1'], HASH_NOT_INT],
      [['HINCRBY', 'hi:h', 'fl', '1'], HASH_NOT_INT],
      [['HINCRBY', 'hi:h', 'e', '1'], HASH_NOT_INT],
      [['HINCRBY', 'hi:h', 'big', '1'], HASH_NOT_INT],
      [['HINCRBY', 'hi:h', 'plus', '1'], HASH_NOT_INT],
      [['HINCRBY', 'hi:h', 'zero', '1'], HASH_NOT_INT],
      [['HGET', 'hi:h', 's'], bulk('abc')],
      [['HINCRBY', 'hi:h', 'n', 'abc'], NOT_INT],
      [['HINCRBY', 'hi:h', 'n', '1.5'], NOT_INT],
      [['HINCRBY', 'hi:h', 'n', ''], NOT_INT],
      [['HINCRBY', 'hi:h', 'n', '9223372036854775808'], NOT_INT],
      [['HINCRBY', 'hi:h', 'n', ' 1'], NOT_INT],
      [['HSET', 'hi:h', 'max', '9223372036854775807', 'min', '-9223372036854775808'], int(2)],
      [['HINCRBY', 'hi:h', 'max', '1'], OVERFLOW],
      [['HINCRBY', 'hi:h', 'max', '0'], int('9223372036854775807')],
      [['HINCRBY', 'hi:h', 'min', '-1'], OVERFLOW],
      [['HINCRBY', 'hi:h', 'min', '9223372036854775807'], int(-1)],
      [['HINCRBY', 'hi:h', 'max', '-9223372036854775808'], int(-1)],
      [['HGET', 'hi:h', 'max'], bulk('-1')],
      [['HINCRBY', 'hi:h', 'top', '9223372036854775807'], int('9223372036854775807')],
      [['HINCRBY', 'hi:h', 'top', '1'], OVERFLOW],
      [['HGET', 'hi:h', 'top'], bulk('9223372036854775807')],
      [['HINCRBY', 'hi:h', 'n'], arity('hincrby')],
      [['HINCRBY', 'hi:h', 'n', '1', '2'], arity('hincrby')],
      [['hincrby', 'hi:new', 'f', '1'], int(1)],
      [['HGETALL', 'hi:new'], bulks('f', '1'), { resp3: 'map' }],
      [['HLEN', 'hi:h'], int(12)],
    ],
  },
  {
    name: 'HINCRBYFLOAT',
    steps: [
      [['HINCRBYFLOAT', 'hf:h', 'f', '10.5'], bulk('10.5')],
      [['HINCRBYFLOAT', 'hf:h', 'f', '0.1'], bulk('10.6')],
      [['HINCRBYFLOAT', 'hf:h', 'f', '-5'], bulk('5.6')],
      [['HINCRBYFLOAT', 'hf:h', 'f', '5.0e3'], bulk('5005.60000000000000009')],
      [['HGET', 'hf:h', 'f'], bulk('5005.60000000000000009')],
      [['HINCRBYFLOAT', 'hf:h', 'g', '3.0'], bulk('3')],
      [['HINCRBYFLOAT', 'hf:h', 'e', '1e-5'], bulk('0.00001')],
      [['HINCRBYFLOAT', 'hf:h', 'e', '1E5'], bulk('100000.00001000000000317')],
      [['HINCRBYFLOAT', 'hf:h', 'x', '0x10'], bulk('16')],
      [['HINCRBYFLOAT', 'hf:h', 'z', '-0'], bulk('0')],
      [['HINCRBYFLOAT', 'hf:h', 'huge', '1e400'], bulk('10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880')],
      [['HSET', 'hf:h', 'i', '7', 's', 'abc', 'sp', ' 1', 'empty', '', 'max', '9223372036854775807'], int(5)],
      [['HINCRBYFLOAT', 'hf:h', 'i', '1'], bulk('8')],
      [['HINCRBYFLOAT', 'hf:h', 'i', '0.25'], bulk('8.25')],
      [['HINCRBY', 'hf:h', 'i', '1'], HASH_NOT_INT],
      [['HINCRBYFLOAT', 'hf:h', 'max', '1'], bulk('9223372036854775808')],
      [['HINCRBYFLOAT', 'hf:h', 's', '1'], HASH_NOT_FLOAT],
      [['HINCRBYFLOAT', 'hf:h', 'sp', '1'], HASH_NOT_FLOAT],
      [['HINCRBYFLOAT', 'hf:h', 'empty', '1'], HASH_NOT_FLOAT],
      [['HINCRBYFLOAT', 'hf:h', 'f', 'abc'], NOT_FLOAT],
      [['HINCRBYFLOAT', 'hf:h', 'f', ''], NOT_FLOAT],
      [['HINCRBYFLOAT', 'hf:h', 'f', 'nan'], NOT_FLOAT],
      [['HINCRBYFLOAT', 'hf:h', 'f', 'inf'], err('ERR value is NaN or Infinity')],
      [['HINCRBYFLOAT', 'hf:h', 'f', '-inf'], err('ERR value is NaN or Infinity')],
      [['HINCRBYFLOAT', 'hf:h', 'f', '1.2.3'], NOT_FLOAT],
      [['HGET', 'hf:h', 'f'], bulk('5005.60000000000000009')],
      [['HINCRBYFLOAT', 'hf:h', 'f'], arity('hincrbyfloat')],
      [['HINCRBYFLOAT', 'hf:h', 'f', '1', '2'], arity('hincrbyfloat')],
    ],
  },
  {
    name: 'HRANDFIELD',
    steps: [
      [['HSET', 'hr:h', 'a', '1', 'b', '2', 'c', '3'], int(3)],
      [['HRANDFIELD', 'hr:h'], sample(['a', 'b', 'c'])],
      [['HRANDFIELD', 'hr:h', '2'], sample(['a', 'b', 'c'], 2, { distinct: true })],
      [['HRANDFIELD', 'hr:h', '3'], sample(['a', 'b', 'c'], 3, { distinct: true })],
      [['HRANDFIELD', 'hr:h', '10'], sample(['a', 'b', 'c'], 3, { distinct: true })],
      [['HRANDFIELD', 'hr:h', '-5'], sample(['a', 'b', 'c'], 5)],
      [['HRANDFIELD', 'hr:h', '-1'], sample(['a', 'b', 'c'], 1)],
      [['HRANDFIELD', 'hr:h', '0'], arr()],
      [['HRANDFIELD', 'hr:h', '2', 'WITHVALUES'], sample(['a', 'b', 'c'], 2, { distinct: true, values: { a: '1', b: '2', c: '3' } })],
      [['HRANDFIELD', 'hr:h', '5', 'withvalues'], sample(['a', 'b', 'c'], 3, { distinct: true, values: { a: '1', b: '2', c: '3' } })],
      [['HRANDFIELD', 'hr:h', '-4', 'WITHVALUES'], sample(['a', 'b', 'c'], 4, { values: { a: '1', b: '2', c: '3' } })],
      [['HRANDFIELD', 'hr:h', '0', 'WITHVALUES'], arr()],
      [['HSET', 'hr:many', ...MANY_FLAT], int(300)],
      [['HRANDFIELD', 'hr:many', '250'], sample(MANY.map(([f]) => f), 250, { distinct: true })],
      [['HRANDFIELD', 'hr:many', '-20', 'WITHVALUES'], sample(MANY.map(([f]) => f), 20, { values: Object.fromEntries(MANY) })],
      [['HRANDFIELD', 'hr:none'], NIL],
      [['HRANDFIELD', 'hr:none', '3'], arr()],
      [['HRANDFIELD', 'hr:none', '-3', 'WITHVALUES'], arr()],
      [['HRANDFIELD', 'hr:h', 'abc'], NOT_INT],
      [['HRANDFIELD', 'hr:h', '1.5'], NOT_INT],
      [['HRANDFIELD', 'hr:h', 'WITHVALUES'], NOT_INT],
      [['HRANDFIELD', 'hr:h', '1', 'FOO'], SYNTAX],
      [['HRANDFIELD', 'hr:h', '1', 'WITHVALUES', 'x'], SYNTAX],
      [['HRANDFIELD', 'hr:h', '-9223372036854775808'], err('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807')],
      [['HRANDFIELD', 'hr:h', '-9223372036854775807', 'WITHVALUES'], err('ERR value is out of range')],
      [['HRANDFIELD'], arity('hrandfield')],
      [['HLEN', 'hr:h'], int(3)],
    ],
  },
  {
    name: 'HSCAN',
    steps: [
      [['HSET', 'hc:h', 'f1', 'v1', 'f2', 'v2', 'g1', 'w1'], int(3)],
      { scan: [], keys: ['f1', 'v1', 'f2', 'v2', 'g1', 'w1'], over: ['HSCAN', 'hc:h'] },
      { scan: ['MATCH', 'f*'], keys: ['f1', 'v1', 'f2', 'v2'], over: ['HSCAN', 'hc:h'] },
      { scan: ['COUNT', '1'], keys: ['f1', 'v1', 'f2', 'v2', 'g1', 'w1'], over: ['HSCAN', 'hc:h'] },
      { scan: ['MATCH', 'nothing*'], keys: [], over: ['HSCAN', 'hc:h'] },
      { scan: ['match', 'v*'], keys: [], over: ['HSCAN', 'hc:h'] },
      [['HSET', 'hc:many', ...MANY_FLAT], int(300)],
      { scan: ['COUNT', '10'], keys: MANY_FLAT, over: ['HSCAN', 'hc:many'] },
      { scan: ['MATCH', 'field:1?', 'COUNT', '7'], keys: MANY.filter(([f]) => /^field:1.$/.test(f)).flat(), over: ['HSCAN', 'hc:many'] },
      { scan: [], keys: [], over: ['HSCAN', 'hc:none'] },
      [['HSCAN', 'hc:none', '0'], arr(bulk('0'), arr())],
      [['HSCAN', 'hc:h'], arity('hscan')],
      [['HSCAN'], arity('hscan')],
      [['HSCAN', 'hc:h', 'abc'], INVALID_CURSOR],
      [['HSCAN', 'hc:h', '0', 'COUNT', '0'], SYNTAX],
      [['HSCAN', 'hc:h', '0', 'COUNT', 'x'], NOT_INT],
      [['HSCAN', 'hc:h', '0', 'COUNT'], SYNTAX],
      [['HSCAN', 'hc:h', '0', 'MATCH'], SYNTAX],
      [['HSCAN', 'hc:h', '0', 'FOO', 'bar'], SYNTAX],
      [['HSCAN', 'hc:h', '0', 'TYPE', 'hash'], SYNTAX],
    ],
  },
  {
    name: 'WRONGTYPE: hash commands on a string and a set',
    steps: [
      [['SET', 'wt:str', 'v'], OK],
      [['SADD', 'wt:set', 'm'], int(1)],
      ...(['wt:str', 'wt:set'] as const).flatMap((k) => [
        [['HSET', k, 'f', 'v'], WRONGTYPE],
        [['HSETNX', k, 'f', 'v'], WRONGTYPE],
        [['HMSET', k, 'f', 'v'], WRONGTYPE],
        [['HGET', k, 'f'], WRONGTYPE],
        [['HMGET', k, 'f', 'g'], WRONGTYPE],
        [['HGETALL', k], WRONGTYPE],
        [['HDEL', k, 'f'], WRONGTYPE],
        [['HLEN', k], WRONGTYPE],
        [['HEXISTS', k, 'f'], WRONGTYPE],
        [['HKEYS', k], WRONGTYPE],
        [['HVALS', k], WRONGTYPE],
        [['HSTRLEN', k, 'f'], WRONGTYPE],
        [['HINCRBY', k, 'f', '1'], WRONGTYPE],
        [['HINCRBYFLOAT', k, 'f', '1'], WRONGTYPE],
        [['HRANDFIELD', k], WRONGTYPE],
        [['HRANDFIELD', k, '2', 'WITHVALUES'], WRONGTYPE],
        [['HSCAN', k, '0'], WRONGTYPE],
      ] as const),
      [['GET', 'wt:str'], bulk('v')],
      [['SISMEMBER', 'wt:set', 'm'], int(1)],
      [['HSET', 'wt:str', 'f'], arity('hset')],
      [['HGET', 'wt:str'], arity('hget')],
      [['TYPE', 'wt:str'], simple('string')],
      [['TYPE', 'wt:set'], simple('set')],
    ],
  },
  {
    name: 'WRONGTYPE: string commands on a hash',
    steps: [
      [['HSET', 'ws:h', 'f', '5'], int(1)],
      [['GET', 'ws:h'], WRONGTYPE],
      [['APPEND', 'ws:h', 'x'], WRONGTYPE],
      [['STRLEN', 'ws:h'], WRONGTYPE],
      [['INCR', 'ws:h'], WRONGTYPE],
      [['DECR', 'ws:h'], WRONGTYPE],
      [['INCRBY', 'ws:h', '2'], WRONGTYPE],
      [['DECRBY', 'ws:h', '2'], WRONGTYPE],
      [['INCRBYFLOAT', 'ws:h', '1.5'], WRONGTYPE],
      [['GETRANGE', 'ws:h', '0', '-1'], WRONGTYPE],
      [['SETRANGE', 'ws:h', '0', 'x'], WRONGTYPE],
      [['GETSET', 'ws:h', 'x'], WRONGTYPE],
      [['GETDEL', 'ws:h'], WRONGTYPE],
      [['GETEX', 'ws:h', 'EX', '100'], WRONGTYPE],
      [['SET', 'ws:h', 'x', 'GET'], WRONGTYPE],
      [['SET', 'ws:h', 'x', 'NX'], NIL],
      [['SETNX', 'ws:h', 'x'], int(0)],
      [['MSETNX', 'ws:h', 'x', 'ws:other', 'y'], int(0)],
      [['EXISTS', 'ws:other'], int(0)],
      [['SET', 'ws:str', 'plain'], OK],
      [['MGET', 'ws:h', 'ws:str', 'ws:none'], arr(NIL, bulk('plain'), NIL)],
      [['TTL', 'ws:h'], int(-1)],
      [['TYPE', 'ws:h'], simple('hash')],
      [['HGET', 'ws:h', 'f'], bulk('5')],
      [['SET', 'ws:h', 'replaced'], OK],
      [['TYPE', 'ws:h'], simple('string')],
      [['GET', 'ws:h'], bulk('replaced')],
      [['HGET', 'ws:h', 'f'], WRONGTYPE],
      [['HSET', 'ws:h2', 'f', 'v'], int(1)],
      [['SET', 'ws:h2', 'x', 'XX', 'EX', '100'], OK],
      [['GET', 'ws:h2'], bulk('x')],
      [['TTL', 'ws:h2'], int(100), { near: 1 }],
      [['HSET', 'ws:h3', 'f', 'v'], int(1)],
      [['MSET', 'ws:h3', 'm', 'ws:h4', 'n'], OK],
      [['TYPE', 'ws:h3'], simple('string')],
      [['GET', 'ws:h3'], bulk('m')],
      [['HSET', 'ws:h5', 'f', 'v'], int(1)],
      [['SETEX', 'ws:h5', '100', 'x'], OK],
      [['TYPE', 'ws:h5'], simple('string')],
      [['HSET', 'ws:h6', 'f', 'v'], int(1)],
      [['EXPIRE', 'ws:h6', '100'], int(1)],
      [['SET', 'ws:h6', 'x', 'KEEPTTL'], OK],
      [['TYPE', 'ws:h6'], simple('string')],
      [['TTL', 'ws:h6'], int(100), { near: 1 }],
      [['HSET', 'ws:h7', 'f', 'v'], int(1)],
      [['SET', 'ws:h7', 'x', 'PX', '100000', 'XX'], OK],
      [['TYPE', 'ws:h7'], simple('string')],
    ],
  },
  {
    name: 'keyspace commands on hashes',
    steps: [
      [['HSET', 'hk:h', 'a', '1', 'b', '2'], int(2)],
      [['EXISTS', 'hk:h', 'hk:h', 'hk:none'], int(2)],
      [['TYPE', 'hk:h'], simple('hash')],
      [['TTL', 'hk:h'], int(-1)],
      [['EXPIRE', 'hk:h', '100'], int(1)],
      [['TTL', 'hk:h'], int(100), { near: 1 }],
      [['HSET', 'hk:h', 'c', '3'], int(1)],
      [['TTL', 'hk:h'], int(100), { near: 1 }],
      [['HDEL', 'hk:h', 'c'], int(1)],
      [['HINCRBY', 'hk:h', 'n', '1'], int(1)],
      [['HINCRBYFLOAT', 'hk:h', 'n', '1.5'], bulk('2.5')],
      [['HSETNX', 'hk:h', 'd', '4'], int(1)],
      [['HMSET', 'hk:h', 'e', '5'], OK],
      [['PTTL', 'hk:h'], int(100_000), { near: 1000 }],
      [['PERSIST', 'hk:h'], int(1)],
      [['PERSIST', 'hk:h'], int(0)],
      [['TTL', 'hk:h'], int(-1)],
      [['EXPIREAT', 'hk:h', '4102444800'], int(1)],
      [['EXPIRETIME', 'hk:h'], int(4102444800)],
      [['PEXPIRE', 'hk:h', '300'], int(1)],
      { sleep: 500 },
      [['EXISTS', 'hk:h'], int(0)],
      [['TYPE', 'hk:h'], simple('none')],
      [['HLEN', 'hk:h'], int(0)],
      [['HGET', 'hk:h', 'a'], NIL],
      [['HGETALL', 'hk:h'], arr(), { resp3: 'map' }],
      [['HSET', 'hk:h', 'a', 'new'], int(1)],
      [['TTL', 'hk:h'], int(-1)],
      [['HGETALL', 'hk:h'], bulks('a', 'new'), { resp3: 'map' }],
      [['HSET', 'hk:gone', 'f', 'v'], int(1)],
      [['EXPIRE', 'hk:gone', '100'], int(1)],
      [['HDEL', 'hk:gone', 'f'], int(1)],
      [['TTL', 'hk:gone'], int(-2)],
      [['HSET', 'hk:gone', 'f', 'v'], int(1)],
      [['TTL', 'hk:gone'], int(-1)],
      [['EXPIRE', 'hk:h', '100'], int(1)],
      [['RENAME', 'hk:h', 'hk:h2'], OK],
      [['EXISTS', 'hk:h'], int(0)],
      [['TYPE', 'hk:h2'], simple('hash')],
      [['HGET', 'hk:h2', 'a'], bulk('new')],
      [['TTL', 'hk:h2'], int(100), { near: 1 }],
      [['SET', 'hk:str', 'v'], OK],
      [['RENAME', 'hk:h2', 'hk:str'], OK],
      [['TYPE', 'hk:str'], simple('hash')],
      [['HGETALL', 'hk:str'], bulks('a', 'new'), { resp3: 'map' }],
      [['GET', 'hk:str'], WRONGTYPE],
      [['SET', 'hk:s2', 'x'], OK],
      [['HSET', 'hk:h3', 'f', 'v'], int(1)],
      [['RENAME', 'hk:s2', 'hk:h3'], OK],
      [['TYPE', 'hk:h3'], simple('string')],
      [['GET', 'hk:h3'], bulk('x')],
      [['HSET', 'hk:h4', 'f', 'v'], int(1)],
      [['SADD', 'hk:set', 'm'], int(1)],
      [['RENAME', 'hk:h4', 'hk:set'], OK],
      [['TYPE', 'hk:set'], simple('hash')],
      [['HGET', 'hk:set', 'f'], bulk('v')],
      [['KEYS', 'hk:*'], bulks('hk:str', 'hk:h3', 'hk:gone', 'hk:set'), { unordered: true }],
      [['DEL', 'hk:str', 'hk:h3', 'hk:none'], int(2)],
      [['UNLINK', 'hk:gone'], int(1)],
      [['HGETALL', 'hk:str'], arr(), { resp3: 'map' }],
      [['EXISTS', 'hk:str', 'hk:gone'], int(0)],
      [['HSET', 'hk:x', 'f', 'v'], int(1)],
      [['PEXPIRE', 'hk:x', '300'], int(1)],
      { sleep: 500 },
      [['RENAME', 'hk:x', 'hk:y'], NO_SUCH_KEY],
      [['HINCRBY', 'hk:x', 'f', '2'], int(2)],
      [['TTL', 'hk:x'], int(-1)],
    ],
  },
  {
    name: 'fields written by HINCRBY read like any other field',
    steps: [
      [['HINCRBY', 'hn:h', 'c', '5'], int(5)],
      [['HINCRBY', 'hn:h', 'd', '-7'], int(-7)],
      [['HSET', 'hn:h', 'v', 'text'], int(1)],
      [['HGET', 'hn:h', 'c'], bulk('5')],
      [['HMGET', 'hn:h', 'd', 'c', 'v'], arr(bulk('-7'), bulk('5'), bulk('text'))],
      [['HSTRLEN', 'hn:h', 'd'], int(2)],
      [['HEXISTS', 'hn:h', 'c'], int(1)],
      [['HGETALL', 'hn:h'], bulks('c', '5', 'd', '-7', 'v', 'text'), { unordered: true, resp3: 'map' }],
      [['HVALS', 'hn:h'], bulks('5', '-7', 'text'), { unordered: true }],
      [['HRANDFIELD', 'hn:h', '-5', 'WITHVALUES'], sample(['c', 'd', 'v'], 5, { values: { c: '5', d: '-7', v: 'text' } })],
      { scan: [], keys: ['c', '5', 'd', '-7', 'v', 'text'], over: ['HSCAN', 'hn:h'] },
      [['HINCRBYFLOAT', 'hn:h', 'c', '0.5'], bulk('5.5')],
      [['HINCRBY', 'hn:h', 'c', '1'], HASH_NOT_INT],
      [['HGET', 'hn:h', 'c'], bulk('5.5')],
      [['HSET', 'hn:h', 'c', '10'], int(0)],
      [['HINCRBY', 'hn:h', 'c', '1'], int(11)],
      [['HSET', 'hn:h', 'd', 'x'], int(0)],
      [['HINCRBY', 'hn:h', 'd', '1'], HASH_NOT_INT],
      [['HSETNX', 'hn:h', 'c', '0'], int(0)],
      [['HGET', 'hn:h', 'c'], bulk('11')],
      [['HDEL', 'hn:h', 'c'], int(1)],
      [['HINCRBY', 'hn:h', 'c', '3'], int(3)],
      [['HINCRBYFLOAT', 'hn:h', 'f', '1.5'], bulk('1.5')],
      [['HINCRBY', 'hn:h', 'f', '1'], HASH_NOT_INT],
      [['HSET', 'hn:h', 'f', '2'], int(0)],
      [['HINCRBY', 'hn:h', 'f', '1'], int(3)],
      [['HGETALL', 'hn:h'], bulks('c', '3', 'd', 'x', 'v', 'text', 'f', '3'), { unordered: true, resp3: 'map' }],
      [['RENAME', 'hn:h', 'hn:h2'], OK],
      [['HINCRBY', 'hn:h2', 'c', '1'], int(4)],
      [['HGET', 'hn:h', 'c'], NIL],
    ],
  },
  {
    name: 'a hash or set deleted, replaced or emptied starts again empty',
    steps: [
      [['HSET', 'hd:h', 'a', '1', 'b', '2'], int(2)],
      [['DEL', 'hd:h'], int(1)],
      [['HSET', 'hd:h', 'c', '3'], int(1)],
      [['HGETALL', 'hd:h'], bulks('c', '3'), { resp3: 'map' }],
      [['HDEL', 'hd:h', 'c'], int(1)],
      [['HINCRBY', 'hd:h', 'n', '1'], int(1)],
      [['HGETALL', 'hd:h'], bulks('n', '1'), { resp3: 'map' }],
      [['SET', 'hd:h', 'string now'], OK],
      [['DEL', 'hd:h'], int(1)],
      [['HSET', 'hd:h', 'd', '4'], int(1)],
      [['HGETALL', 'hd:h'], bulks('d', '4'), { resp3: 'map' }],
      [['HSET', 'hd:src', 'e', '5'], int(1)],
      [['RENAME', 'hd:src', 'hd:h'], OK],
      [['HGETALL', 'hd:h'], bulks('e', '5'), { resp3: 'map' }],
      [['HSET', 'hd:src', 'f', '6'], int(1)],
      [['HGETALL', 'hd:src'], bulks('f', '6'), { resp3: 'map' }],
      [['RENAME', 'hd:h', 'hd:h'], OK],
      [['HGETALL', 'hd:h'], bulks('e', '5'), { resp3: 'map' }],
      [['SADD', 'hd:s', 'a', 'b'], int(2)],
      [['UNLINK', 'hd:s'], int(1)],
      [['SADD', 'hd:s', 'c'], int(1)],
      [['SMEMBERS', 'hd:s'], bulks('c'), { resp3: 'set' }],
      [['SPOP', 'hd:s'], bulk('c')],
      [['SADD', 'hd:s', 'd'], int(1)],
      [['SMEMBERS', 'hd:s'], bulks('d'), { resp3: 'set' }],
      [['SADD', 'hd:t', 'x'], int(1)],
      [['SINTERSTORE', 'hd:s', 'hd:t'], int(1)],
      [['SMEMBERS', 'hd:s'], bulks('x'), { resp3: 'set' }],
    ],
  },
  {
    name: 'MULTI/EXEC over hashes and sets',
    steps: [
      [['MULTI'], OK],
      [['HSET', 'tx:h', 'f', '1', 'g', '2'], simple('QUEUED')],
      [['HINCRBY', 'tx:h', 'f', '2'], simple('QUEUED')],
      [['SADD', 'tx:s', 'a', 'b'], simple('QUEUED')],
      [['GET', 'tx:h'], simple('QUEUED')],
      [['HGET', 'tx:h', 'f'], simple('QUEUED')],
      [['SISMEMBER', 'tx:s', 'b'], simple('QUEUED')],
      [['HINCRBY', 'tx:h', 'g', 'x'], simple('QUEUED')],
      [['HLEN', 'tx:h'], simple('QUEUED')],
      [['EXEC'], arr(int(2), int(3), int(2), WRONGTYPE, bulk('3'), int(1), NOT_INT, int(2))],
      [['MULTI'], OK],
      [['HSET', 'tx:h', 'f'], arity('hset')],
      [['HDEL', 'tx:h', 'f'], simple('QUEUED')],
      [['EXEC'], err('EXECABORT Transaction discarded because of previous errors.')],
      [['HGET', 'tx:h', 'f'], bulk('3')],
      [['MULTI'], OK],
      [['HDEL', 'tx:h', 'f', 'g'], simple('QUEUED')],
      [['SREM', 'tx:s', 'a', 'b'], simple('QUEUED')],
      [['TYPE', 'tx:h'], simple('QUEUED')],
      [['EXISTS', 'tx:h', 'tx:s'], simple('QUEUED')],
      [['EXEC'], arr(int(2), int(2), simple('none'), int(0))],
    ],
  },
  {
    name: 'SCAN TYPE and KEYS see hashes and sets',
    steps: [
      [['SET', 'ty:s1', 'v'], OK],
      [['HSET', 'ty:h1', 'f', 'v'], int(1)],
      [['HSET', 'ty:h2', 'f', 'v', 'g', 'w'], int(2)],
      [['SADD', 'ty:z1', 'm'], int(1)],
      [['SADD', 'ty:z2', 'm', 'n'], int(2)],
      { scan: ['MATCH', 'ty:*', 'TYPE', 'hash'], keys: ['ty:h1', 'ty:h2'] },
      { scan: ['MATCH', 'ty:*', 'TYPE', 'HASH', 'COUNT', '1'], keys: ['ty:h1', 'ty:h2'] },
      { scan: ['MATCH', 'ty:*', 'TYPE', 'set'], keys: ['ty:z1', 'ty:z2'] },
      { scan: ['MATCH', 'ty:*', 'TYPE', 'string'], keys: ['ty:s1'] },
      { scan: ['MATCH', 'ty:*', 'TYPE', 'list'], keys: [] },
      { scan: ['MATCH', 'ty:*'], keys: ['ty:s1', 'ty:h1', 'ty:h2', 'ty:z1', 'ty:z2'] },
      [['KEYS', 'ty:*'], bulks('ty:s1', 'ty:h1', 'ty:h2', 'ty:z1', 'ty:z2'), { unordered: true }],
      [['HDEL', 'ty:h2', 'f', 'g'], int(2)],
      [['SREM', 'ty:z1', 'm'], int(1)],
      { scan: ['MATCH', 'ty:*', 'TYPE', 'hash'], keys: ['ty:h1'] },
      { scan: ['MATCH', 'ty:*', 'TYPE', 'set'], keys: ['ty:z2'] },
      [['HSET', 'ty:e', 'f', 'v'], int(1)],
      [['PEXPIRE', 'ty:e', '300'], int(1)],
      { sleep: 500 },
      { scan: ['MATCH', 'ty:*', 'TYPE', 'hash'], keys: ['ty:h1'] },
      [['KEYS', 'ty:*'], bulks('ty:s1', 'ty:h1', 'ty:z2'), { unordered: true }],
    ],
  },
];

const targets = await startTargets(t);
await checkSessions(t, targets, sessions);

// ---- QuorumKV only ----

const LIMIT = 10_000;
const fields = (n: number, prefix = 'f'): string[] => Array.from({ length: n }, (_, i) => [`${prefix}${i}`, `v${i}`]).flat();

async function call(c: RawClient, ...args: string[]): Promise<string> {
  return c.call(...args);
}

t.test('a hash above --max-collection-members (10000 by default) is refused, naming the option', async (t) => {
  const c = await targets.qkv.raw();
  const tooMany = await call(c, 'HSET', 'lim:h', ...fields(LIMIT + 1));
  t.match(tooMany, /^-ERR .*max-collection-members/, 'one HSET of 10001 fields');
  t.equal(await call(c, 'EXISTS', 'lim:h'), int(0), 'nothing stored');
  t.equal(await call(c, 'HSET', 'lim:h', ...fields(LIMIT)), int(LIMIT), '10000 fields are accepted');
  t.equal(await call(c, 'HLEN', 'lim:h'), int(LIMIT));
  t.match(await call(c, 'HSET', 'lim:h', 'one-more', 'v'), /^-ERR .*max-collection-members/, 'a new field beyond the bound');
  t.match(await call(c, 'HSETNX', 'lim:h', 'one-more', 'v'), /^-ERR .*max-collection-members/, 'HSETNX likewise');
  t.match(await call(c, 'HINCRBY', 'lim:h', 'one-more', '1'), /^-ERR .*max-collection-members/, 'HINCRBY likewise');
  t.equal(await call(c, 'HSET', 'lim:h', 'f0', 'changed'), int(0), 'changing a field that exists is fine');
  t.equal(await call(c, 'HGET', 'lim:h', 'f0'), bulk('changed'));
  t.equal(await call(c, 'HDEL', 'lim:h', 'f1'), int(1));
  t.equal(await call(c, 'HSET', 'lim:h', 'one-more', 'v'), int(1), 'room again after a delete');
  t.equal(await call(c, 'HLEN', 'lim:h'), int(LIMIT));
});

t.test('a field value, name or member above --max-value-bytes is refused and nothing is stored', async (t) => {
  const c = await targets.qkv.raw();
  const big = 'v'.repeat(1024 * 1024 + 1);
  const tooBig = err('ERR value exceeds the maximum of 1048576 bytes (max-value-bytes)');
  t.equal(await call(c, 'HSET', 'big:h', 'small', 'ok', 'f', big), tooBig, 'HSET');
  t.equal(await call(c, 'EXISTS', 'big:h'), int(0), 'not even the small field');
  t.equal(await call(c, 'HSET', 'big:h', big, 'v'), tooBig, 'a field name');
  t.equal(await call(c, 'HMSET', 'big:h', 'f', big), tooBig, 'HMSET');
  t.equal(await call(c, 'HSETNX', 'big:h', 'f', big), tooBig, 'HSETNX');
  t.equal(await call(c, 'SADD', 'big:s', 'm', big), tooBig, 'a set member');
  t.equal(await call(c, 'EXISTS', 'big:h', 'big:s'), int(0));
});

t.test('a hash or set whose whole record would pass --max-value-bytes is refused, naming the option', async (t) => {
  const c = await targets.qkv.raw();
  const chunk = 'v'.repeat(100 * 1024);
  for (let i = 0; i < 9; i++) t.equal(await call(c, 'HSET', 'whole:h', `f${i}`, chunk), int(1), `field ${i} of 100 KB`);
  let refused = -1;
  for (let i = 9; i < 12 && refused < 0; i++) {
    const r = await call(c, 'HSET', 'whole:h', `f${i}`, chunk);
    if (r !== int(1)) refused = i;
    if (refused >= 0) t.match(r, /^-ERR .*max-value-bytes/, `the field that passes 1 MB is refused (${JSON.stringify(r)})`);
  }
  t.ok(refused >= 10, `ten fields of 100 KB fit, the one past 1 MB does not (refused at ${refused})`);
  t.equal(await call(c, 'HLEN', 'whole:h'), int(refused), 'nothing of the refused write was stored');
  t.equal(await call(c, 'HSET', 'whole:h', 'f0', 'small'), int(0), 'shrinking a field is fine');
  t.equal(await call(c, 'HSET', 'whole:h', 'another', chunk), int(1), 'and makes room');
  for (let i = 0; i < 11; i++) {
    const r = await call(c, 'SADD', 'whole:s', `${i}:${chunk}`);
    if (r !== int(1)) {
      t.match(r, /^-ERR .*max-value-bytes/, `the member that passes 1 MB is refused (${i})`);
      t.equal(await call(c, 'SCARD', 'whole:s'), int(i), 'and not stored');
      return;
    }
  }
  t.fail('eleven members of 100 KB were all accepted');
});

t.test('QHGET answers every concurrent value of a field', async (t) => {
  const c = await targets.qkv.raw();
  t.equal(await call(c, 'HSET', 'qh:h', 'f', 'v1', 'g', 'w'), int(2));
  t.equal(await call(c, 'QHGET', 'qh:h', 'f'), arr(bulk('v1')), 'one writer, one value');
  t.equal(await call(c, 'HSET', 'qh:h', 'f', 'v2'), int(0));
  t.equal(await call(c, 'QHGET', 'qh:h', 'f'), arr(bulk('v2')), 'a write from the same client supersedes');
  t.equal(await call(c, 'QHGET', 'qh:h', 'nofield'), arr(), 'a missing field has no values');
  t.equal(await call(c, 'QHGET', 'qh:none', 'f'), arr(), 'nor does a missing key');
  t.equal(await call(c, 'SET', 'qh:str', 'v'), OK);
  t.equal(await call(c, 'QHGET', 'qh:str', 'f'), WRONGTYPE);
  t.equal(await call(c, 'QHGET', 'qh:h'), arity('qhget'));
  t.equal(await call(c, 'QHGET', 'qh:h', 'f', 'g'), arity('qhget'));
});
