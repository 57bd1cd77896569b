import t, { type Test } from 'tap';
import { ProtocolError, RequestParser, resolveLimits, DEFAULT_LIMITS } from '../../resp/index.js';
import { SeededRng } from '../../src/core/rng.js';
import { feedChunks, feedEveryWay, latin1, randomChunks, type FeedOptions } from './feed-ways.js';

const mb = (...args: (string | Buffer)[]): Buffer =>
  Buffer.concat([
    latin1(`*${args.length}\r\n`),
    ...args.flatMap((a) => {
      const b = typeof a === 'string' ? latin1(a) : a;
      return [latin1(`$${b.length}\r\n`), b, latin1('\r\n')];
    }),
  ]);

function parses(t: Test, input: Buffer | string, commands: string[][], opts: FeedOptions = {}): void {
  const { whole, disagreements } = feedEveryWay(input, opts);
  t.same(disagreements, [], 'every way of feeding agrees');
  t.equal(whole.error, null, 'no error');
  t.same(whole.commands, commands);
}

t.test('multibulk requests', async (t) => {
  parses(t, mb('SET', 'a', 'bar'), [['SET', 'a', 'bar']]);
  parses(t, mb('PING'), [['PING']]);
  parses(t, mb('ECHO', ''), [['ECHO', '']], {});
  parses(t, mb('SET', 'k', latin1('a\r\nb\0c\r')), [['SET', 'k', 'a\r\nb\0c\r']]);
  parses(t, mb('GET', latin1('\xff\xfe')), [['GET', '\xff\xfe']]);
});

t.test('pipelined requests in one chunk, mixed with inline ones', async (t) => {
  const parts: Buffer[] = [];
  const want: string[][] = [];
  for (let i = 0; i < 200; i++) {
    if (i % 3 === 0) {
      parts.push(latin1(`SET key:${i} "v ${i}"\r\n`));
      want.push(['SET', `key:${i}`, `v ${i}`]);
    } else {
      parts.push(mb('SET', `key:${i}`, 'x'.repeat(i)));
      want.push(['SET', `key:${i}`, 'x'.repeat(i)]);
    }
  }
  parses(t, Buffer.concat(parts), want);
  const parser = new RequestParser();
  t.equal(parser.feed(Buffer.concat(parts)).length, 200);
  t.equal(parser.bufferedBytes(), 0);
});

t.test('inline requests', async (t) => {
  parses(t, 'PING\r\n', [['PING']]);
  parses(t, 'PING\n', [['PING']], {});
  parses(t, 'set a "b c"\r\n', [['set', 'a', 'b c']]);
  parses(t, '  get   a  \r\n', [['get', 'a']]);
  // Redis strips one CR before the LF; another one is a blank.
  parses(t, 'PING\r\r\n', [['PING']]);
  parses(t, '$1\r\n', [['$1']]);
});

t.test('empty requests are skipped', async (t) => {
  parses(t, '\r\n\n  \r\n\t\nPING\r\n', [['PING']]);
  parses(t, '*0\r\n*-1\r\n*-10\r\nPING\r\n', [['PING']]);
  parses(t, '*-9223372036854775808\r\n*1\r\n$4\r\nPING\r\n', [['PING']]);
});

t.test('like Redis, the byte after a header CR and the two after a value go unchecked', async (t) => {
  parses(t, '*1\rX$4\rXPING\rX', [['PING']]);
  parses(t, '*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n', [['PING'], ['PING']]);
});

t.test('incomplete input waits and counts its bytes', async (t) => {
  const parser = new RequestParser();
  parser.authenticated = true;
  t.same(parser.feed(latin1('*2\r\n$4\r\nEC')), []);
  t.equal(parser.bufferedBytes(), 10);
  t.same(parser.feed(latin1('HO\r\n$5\r\nhel')), []);
  t.equal(parser.bufferedBytes(), 21);
  const [argv] = parser.feed(latin1('lo\r\nPI'));
  t.same(argv?.map(String), ['ECHO', 'hello']);
  t.equal(parser.bufferedBytes(), 2);
  t.same(parser.feed(latin1('NG\r')).length, 0);
  t.same(parser.feed(latin1('\n')).map((a) => a.map(String)), [['PING']]);
  t.equal(parser.bufferedBytes(), 0);
  t.same(parser.feed(Buffer.alloc(0)), []);
});

t.test('a large value arriving in many chunks', async (t) => {
  const value = Buffer.alloc(3 * 1024 * 1024 + 7);
  for (let i = 0; i < value.length; i++) value[i] = (i * 31 + 7) & 0xff;
  const input = Buffer.concat([mb('SET', 'big', value), mb('GET', 'big')]);
  const rng = new SeededRng(7);
  for (const max of [1000, 20_000, 70_000]) {
    const parser = new RequestParser();
    parser.authenticated = true;
    const got: Buffer[][] = [];
    let fed = 0;
    let heldAhead = false;
    for (const chunk of randomChunks(input, rng, max)) {
      got.push(...parser.feed(Buffer.from(chunk)));
      fed += chunk.length;
      // Held bytes never run ahead of what arrived.
      if (parser.bufferedBytes() > fed - (got.length > 0 ? mb('SET', 'big', value).length : 0)) heldAhead = true;
    }
    t.notOk(heldAhead, 'buffered bytes follow the input');
    t.equal(got.length, 2, `two requests with chunks up to ${max}`);
    t.ok(got[0]![2]!.equals(value), 'the value arrives intact');
    t.same(got[1]!.map(String), ['GET', 'big']);
    t.equal(parser.bufferedBytes(), 0);
  }
  // Trickled a byte at a time, the value still arrives intact.
  const small = Buffer.alloc(200_000, 'z');
  const parser = new RequestParser();
  parser.authenticated = true;
  const req = mb('SET', 'k', small);
  let out: Buffer[][] = [];
  for (let i = 0; i < req.length; i++) out = out.concat(parser.feed(req.subarray(i, i + 1)));
  t.equal(out.length, 1);
  t.ok(out[0]![2]!.equals(small));
});

t.test('small values split across chunks', async (t) => {
  // Values below the preallocation bound, split at every position.
  const value = latin1('0123456789'.repeat(50));
  const input = mb('SET', 'k', value);
  for (let cut = 1; cut < input.length; cut++) {
    const o = feedChunks([input.subarray(0, cut), input.subarray(cut)]);
    if (o.commands.length !== 1 || o.commands[0]![2] !== value.toString('latin1')) {
      t.fail(`split at ${cut}`);
      return;
    }
  }
  t.pass('every split point parses');
});

t.test('arguments own their memory', async (t) => {
  const parser = new RequestParser();
  parser.authenticated = true;
  const chunk = Buffer.concat([mb('SET', 'a', 'hello'), latin1('ECHO "in line"\r\n')]);
  const [set, echo] = parser.feed(chunk);
  chunk.fill(0);
  t.same(set?.map(String), ['SET', 'a', 'hello']);
  t.same(echo?.map(String), ['ECHO', 'in line']);
  // Lines split across chunks go through a reused line buffer.
  const first = parser.feed(latin1('ECHO aa')).concat(parser.feed(latin1('a\r\n')));
  const second = parser.feed(latin1('ECHO bb')).concat(parser.feed(latin1('b\r\n')));
  t.same(first[0]?.map(String), ['ECHO', 'aaa']);
  t.same(second[0]?.map(String), ['ECHO', 'bbb']);
  const long = 'x'.repeat(10_000);
  const third = parser.feed(latin1(`ECHO ${long.slice(0, 5000)}`)).concat(parser.feed(latin1(`${long.slice(5000)}\r\n`)));
  t.equal(third[0]?.[1]?.toString(), long);
});

t.test('push and next let a server act between requests', async (t) => {
  const big = 'v'.repeat(20_000);
  const input = Buffer.concat([mb('AUTH', 'pw'), mb('SET', 'k', big)]);
  const parser = new RequestParser();
  parser.push(input);
  t.same(parser.next()?.map(String), ['AUTH', 'pw']);
  t.equal(parser.bufferedBytes(), input.length - mb('AUTH', 'pw').length);
  parser.authenticated = true;
  t.same(parser.next()?.map((a) => a.length), [3, 1, 20_000]);
  t.equal(parser.next(), null);
  // feed() parses the chunk at once, so the limit applies to the whole of it.
  const eager = new RequestParser();
  const err = t.throws(() => eager.feed(input)) as ProtocolError;
  t.equal(err.message, 'ERR Protocol error: unauthenticated bulk length');
  t.same(err.commands.map((c) => c.map(String)), [['AUTH', 'pw']]);
  // Chunks pushed while one is being read queue up behind it.
  const queued = new RequestParser();
  queued.push(latin1('PI'));
  queued.push(latin1('NG\r\nPING'));
  queued.push(latin1('\r\n'));
  t.equal(queued.bufferedBytes(), 12);
  t.same(queued.next()?.map(String), ['PING']);
  queued.push(latin1('ECHO x\r\n'));
  t.same(queued.next()?.map(String), ['PING']);
  t.same(queued.next()?.map(String), ['ECHO', 'x']);
  t.equal(queued.next(), null);
  t.equal(queued.bufferedBytes(), 0);
});

t.test('after a protocol error the parser refuses everything', async (t) => {
  const parser = new RequestParser();
  const err = t.throws(() => parser.feed(latin1('PING\r\n*1\r\nfoo\r\nPING\r\n'))) as ProtocolError;
  t.ok(err instanceof ProtocolError);
  t.equal(err.name, 'ProtocolError');
  t.equal(err.silent, false);
  t.equal(err.message, "ERR Protocol error: expected '$', got 'f'");
  t.same(err.commands.map((c) => c.map(String)), [['PING']]);
  t.equal(parser.bufferedBytes(), 0, 'nothing is held after a failure');
  for (const act of [() => parser.feed(latin1('PING\r\n')), () => parser.push(latin1('x')), () => parser.next()]) {
    const again = t.throws(act) as ProtocolError;
    t.equal(again.message, err.message);
    t.same(again.commands, [], 'a refusal carries no requests to run');
  }
});

t.test('limits are checked when built', async (t) => {
  t.same(resolveLimits(), DEFAULT_LIMITS);
  t.equal(resolveLimits({ maxBulkLength: 5 }).maxBulkLength, 5);
  t.throws(() => new RequestParser({ maxInlineLength: -1 }), RangeError);
  t.throws(() => new RequestParser({ maxQueryBufferBytes: 1.5 }), RangeError);
  t.equal(DEFAULT_LIMITS.maxBulkLength, 512 * 1024 * 1024);
  t.equal(DEFAULT_LIMITS.maxInlineLength, 64 * 1024);
  t.equal(DEFAULT_LIMITS.unauthMaxMultibulkLength, 10);
  t.equal(DEFAULT_LIMITS.unauthMaxBulkLength, 16384);
});
