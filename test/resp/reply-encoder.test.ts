/**
 * Every reply type in both protocols, byte for byte. The expected bytes of
 * nulls, maps, sets, doubles (0.1, inf, -inf, 1e-5, 1e17, 123.5) were
 * checked against redis-server 7.0.15 under HELLO 2 and HELLO 3.
 */
import t, { type Test } from 'tap';
import {
  BY_REFERENCE_MIN,
  NULL,
  NULL_ARRAY,
  OK,
  ReplyEncoder,
  array,
  bool,
  bulk,
  bulkOrNull,
  double,
  encodeReply,
  error,
  int,
  map,
  mapOf,
  oneLine,
  push,
  set,
  simple,
  verbatim,
  type Reply,
} from '../../resp/index.js';

const enc = (r: Reply, p: 2 | 3): string => encodeReply(r, p).toString('latin1');

function both(t: Test, r: Reply, resp2: string, resp3: string = resp2): void {
  t.equal(enc(r, 2), resp2, `RESP2 ${JSON.stringify(resp2.slice(0, 30))}`);
  t.equal(enc(r, 3), resp3, `RESP3 ${JSON.stringify(resp3.slice(0, 30))}`);
}

t.test('simple strings, errors, integers', async (t) => {
  both(t, OK, '+OK\r\n');
  both(t, simple('PONG'), '+PONG\r\n');
  both(t, simple(''), '+\r\n');
  both(t, error('ERR syntax error'), '-ERR syntax error\r\n');
  both(t, int(0), ':0\r\n');
  both(t, int(1), ':1\r\n');
  both(t, int(-1), ':-1\r\n');
  both(t, int(42), ':42\r\n');
  both(t, int(1234567890), ':1234567890\r\n');
  both(t, int(Number.MAX_SAFE_INTEGER), ':9007199254740991\r\n');
  both(t, int(-Number.MAX_SAFE_INTEGER), ':-9007199254740991\r\n');
  both(t, int(2 ** 63), ':9223372036854775808\r\n');
  both(t, int(9223372036854775807n), ':9223372036854775807\r\n');
  both(t, int(-9223372036854775808n), ':-9223372036854775808\r\n');
  both(t, int(2n ** 200n), `:${(2n ** 200n).toString()}\r\n`);
  t.throws(() => encodeReply(int(1.5), 2), TypeError);
});

t.test('CR and LF cannot break a one-line reply', async (t) => {
  both(t, error('ERR bad\r\nthing'), '-ERR bad  thing\r\n');
  both(t, error('\r\nERR at the ends\n'), '-ERR at the ends\r\n');
  both(t, simple('a\nb'), '+a b\r\n');
  t.equal(oneLine('plain'), 'plain');
});

t.test('one-line texts are byte strings unless they hold wider chars', async (t) => {
  // As a protocol error quotes the offending byte, and errors quote client bytes read as latin1.
  t.same(encodeReply(error("ERR Protocol error: expected '$', got '\xe9'"), 2), Buffer.from("-ERR Protocol error: expected '$', got '\xe9'\r\n", 'latin1'));
  t.same(encodeReply(simple('\xff'), 3), Buffer.from([0x2b, 0xff, 13, 10]));
  t.same(encodeReply(error('ERR 日本'), 2), Buffer.from('-ERR 日本\r\n', 'utf8'));
  t.same(encodeReply(error(`ERR ${'x'.repeat(BY_REFERENCE_MIN)}`), 2).length, BY_REFERENCE_MIN + 7);
  t.equal(oneLine('\n\r'), '');
});

t.test('bulk strings and nulls', async (t) => {
  both(t, bulk('bar'), '$3\r\nbar\r\n');
  both(t, bulk(''), '$0\r\n\r\n');
  both(t, bulk(Buffer.from([0, 13, 10, 255])), '$4\r\n\x00\r\n\xff\r\n');
  both(t, bulk('é'), '$2\r\n\xc3\xa9\r\n');
  both(t, bulkOrNull(undefined), '$-1\r\n', '_\r\n');
  both(t, bulkOrNull(null), '$-1\r\n', '_\r\n');
  both(t, bulkOrNull('x'), '$1\r\nx\r\n');
  both(t, NULL, '$-1\r\n', '_\r\n');
  both(t, NULL_ARRAY, '*-1\r\n', '_\r\n');
});

t.test('aggregates', async (t) => {
  both(t, array([]), '*0\r\n');
  both(t, array([bulk('a'), int(2), NULL]), '*3\r\n$1\r\na\r\n:2\r\n$-1\r\n', '*3\r\n$1\r\na\r\n:2\r\n_\r\n');
  both(t, array([array([simple('x')]), array([])]), '*2\r\n*1\r\n+x\r\n*0\r\n');
  both(t, map([[bulk('f'), bulk('v')]]), '*2\r\n$1\r\nf\r\n$1\r\nv\r\n', '%1\r\n$1\r\nf\r\n$1\r\nv\r\n');
  both(t, mapOf([]), '*0\r\n', '%0\r\n');
  both(t, mapOf([['proto', int(3)], ['modules', array([])]]),
    '*4\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n*0\r\n',
    '%2\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n*0\r\n');
  both(t, set([bulk('m')]), '*1\r\n$1\r\nm\r\n', '~1\r\n$1\r\nm\r\n');
  both(t, push([bulk('message'), bulk('ch'), bulk('hi')]),
    '*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n',
    '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n');
  // Types that RESP2 lacks degrade inside aggregates too.
  both(t, map([[bulk('score'), double(1.5)], [bulk('ok'), bool(true)]]),
    '*4\r\n$5\r\nscore\r\n$3\r\n1.5\r\n$2\r\nok\r\n:1\r\n',
    '%2\r\n$5\r\nscore\r\n,1.5\r\n$2\r\nok\r\n#t\r\n');
});

t.test('doubles, booleans, verbatim strings', async (t) => {
  both(t, double(0.1), '$19\r\n0.10000000000000001\r\n', ',0.10000000000000001\r\n');
  both(t, double(Infinity), '$3\r\ninf\r\n', ',inf\r\n');
  both(t, double(-Infinity), '$4\r\n-inf\r\n', ',-inf\r\n');
  both(t, double(NaN), '$3\r\nnan\r\n', ',nan\r\n');
  both(t, double(1e-5), '$22\r\n1.0000000000000001e-05\r\n', ',1.0000000000000001e-05\r\n');
  both(t, double(1e17), '$5\r\n1e+17\r\n', ',1e+17\r\n');
  both(t, double(123.5), '$5\r\n123.5\r\n', ',123.5\r\n');
  both(t, bool(true), ':1\r\n', '#t\r\n');
  both(t, bool(false), ':0\r\n', '#f\r\n');
  both(t, verbatim('hello\nworld'), '$11\r\nhello\nworld\r\n', '=15\r\ntxt:hello\nworld\r\n');
  both(t, verbatim('# x', 'mkd'), '$3\r\n# x\r\n', '=7\r\nmkd:# x\r\n');
});

t.test('large values pass by reference', async (t) => {
  const big = Buffer.alloc(BY_REFERENCE_MIN, 'b');
  const e = new ReplyEncoder();
  e.write(simple('before'), 2);
  e.write(bulk(big), 3);
  e.write(int(7), 2);
  t.equal(e.pendingBytes, 9 + 8 + BY_REFERENCE_MIN + 2 + 4);
  const chunks = e.take();
  t.equal(chunks.length, 3);
  t.equal(chunks[1], big, 'the very same Buffer');
  t.equal(Buffer.concat(chunks).toString('latin1'), `+before\r\n$16384\r\n${big.toString('latin1')}\r\n:7\r\n`);
  t.equal(e.pendingBytes, 0);
  t.same(e.take(), []);
  // A smaller value is copied; big strings, raw bytes and verbatim text likewise go whole.
  const small = Buffer.alloc(BY_REFERENCE_MIN - 1, 's');
  t.equal(encodeReply(bulk(small), 2).length, small.length + 10);
  const s = 'é'.repeat(BY_REFERENCE_MIN);
  t.equal(encodeReply(bulk(s), 2).toString('utf8'), `$${2 * BY_REFERENCE_MIN}\r\n${s}\r\n`);
  t.equal(encodeReply({ t: 'raw', v: big }, 2), big);
  t.equal(encodeReply(verbatim(s), 3).toString('utf8'), `=${2 * BY_REFERENCE_MIN + 4}\r\ntxt:${s}\r\n`);
  t.equal(encodeReply(error(s), 3).toString('latin1'), `-${s}\r\n`);
  const wide = '日'.repeat(BY_REFERENCE_MIN);
  t.equal(encodeReply(error(wide), 3).toString('utf8'), `-${wide}\r\n`);
});

t.test('one turn of many replies, and bytes once taken never change', async (t) => {
  const e = new ReplyEncoder();
  const want: string[] = [];
  const taken: [Buffer, string][] = [];
  for (let turn = 0; turn < 20; turn++) {
    for (let i = 0; i < 50 * turn; i++) {
      e.write(bulk(`value-${turn}-${i}`), 2);
      want.push(`$${`value-${turn}-${i}`.length}\r\nvalue-${turn}-${i}\r\n`);
    }
    const before = e.pendingBytes;
    const chunks = e.take();
    const bytes = Buffer.concat(chunks);
    t.equal(bytes.length, before);
    taken.push([bytes, Buffer.concat(chunks).toString('latin1')]);
    for (const c of chunks) taken.push([c, c.toString('latin1')]);
  }
  t.equal(taken.filter(([b]) => b.length > 0).map(([, s]) => s).join('').length, 2 * want.join('').length);
  t.ok(taken.every(([b, s]) => b.toString('latin1') === s), 'no taken chunk was overwritten');
});
