/**
 * Every protocol error, with the exact text redis-server 7.0 replies before
 * it closes the connection (each case below was checked against one).
 */
import t, { type Test } from 'tap';
import {
  PROTO_INVALID_BULK,
  PROTO_INVALID_MULTIBULK,
  PROTO_TOO_BIG_BULK,
  PROTO_TOO_BIG_INLINE,
  PROTO_TOO_BIG_MBULK,
  PROTO_UNAUTH_BULK,
  PROTO_UNAUTH_MULTIBULK,
  PROTO_UNBALANCED_QUOTES,
  QUERY_BUFFER_LIMIT,
  protoExpectedDollar,
  RequestParser,
} from '../../resp/index.js';
import { feedEveryWay, type FeedOptions } from './feed-ways.js';

function fails(t: Test, input: string, error: string, opts: FeedOptions = {}, commands: string[][] = []): void {
  const { whole, disagreements } = feedEveryWay(input, opts);
  t.same(disagreements, [], `every way of feeding agrees on ${JSON.stringify(input.slice(0, 40))}`);
  t.equal(whole.error, error, JSON.stringify(input.slice(0, 40)));
  t.same(whole.commands, commands);
}

function waits(t: Test, input: string, opts: FeedOptions = {}): void {
  const { whole, disagreements } = feedEveryWay(input, opts);
  t.same(disagreements, []);
  t.equal(whole.error, null, `${JSON.stringify(input.slice(0, 40))} is not an error yet`);
  t.same(whole.commands, []);
  t.equal(whole.buffered, input.length, 'all of it is held');
}

t.test('the texts', async (t) => {
  t.equal(PROTO_INVALID_MULTIBULK, 'ERR Protocol error: invalid multibulk length');
  t.equal(PROTO_INVALID_BULK, 'ERR Protocol error: invalid bulk length');
  t.equal(PROTO_TOO_BIG_MBULK, 'ERR Protocol error: too big mbulk count string');
  t.equal(PROTO_TOO_BIG_BULK, 'ERR Protocol error: too big bulk count string');
  t.equal(PROTO_TOO_BIG_INLINE, 'ERR Protocol error: too big inline request');
  t.equal(PROTO_UNBALANCED_QUOTES, 'ERR Protocol error: unbalanced quotes in request');
  t.equal(PROTO_UNAUTH_MULTIBULK, 'ERR Protocol error: unauthenticated multibulk length');
  t.equal(PROTO_UNAUTH_BULK, 'ERR Protocol error: unauthenticated bulk length');
  t.equal(protoExpectedDollar(0x66), "ERR Protocol error: expected '$', got 'f'");
});

t.test('invalid multibulk length', async (t) => {
  for (const bad of ['*x', '*', '*01', '*+1', '*-0', '*1x', '*1 ', '*2147483648', `*1${'1'.repeat(30)}`, '*-9223372036854775809']) {
    fails(t, `${bad}\r\n`, PROTO_INVALID_MULTIBULK);
  }
  // Redis's own tests: "Out of range multibulk length".
  fails(t, '*3000000000\r\n', PROTO_INVALID_MULTIBULK);
  // 7.0 takes counts up to INT_MAX, and waits for the arguments.
  waits(t, '*2147483647\r\n');
  waits(t, '*1048577\r\n');
  fails(t, '*4\r\n', PROTO_INVALID_MULTIBULK, { limits: { maxMultibulkLength: 3 } });
  waits(t, '*3\r\n', { limits: { maxMultibulkLength: 3 } });
  // The requests before the bad one are returned with the error.
  fails(t, 'PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n', PROTO_INVALID_MULTIBULK, {}, [['PING'], ['PING']]);
});

t.test('invalid bulk length', async (t) => {
  for (const bad of ['$-1', '$-10', '$', '$x', '$01', '$ 1', '$536870913', '$2000000000', '$blabla', `$${'9'.repeat(25)}`]) {
    fails(t, `*3\r\n$3\r\nSET\r\n$1\r\nx\r\n${bad}\r\n`, PROTO_INVALID_BULK);
  }
  waits(t, '*1\r\n$536870912\r\n');
  fails(t, '*1\r\n$6\r\n', PROTO_INVALID_BULK, { limits: { maxBulkLength: 5 } });
});

t.test("expected '$'", async (t) => {
  fails(t, '*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n', protoExpectedDollar(0x66));
  fails(t, '*1\r\nfoo\r\n', "ERR Protocol error: expected '$', got 'f'");
  // An empty line: Redis reads the CR, and prints it as a space.
  fails(t, '*1\r\n\r\n', "ERR Protocol error: expected '$', got ' '");
  fails(t, '*1\r\n\n\r\n', "ERR Protocol error: expected '$', got ' '");
  fails(t, '*1\r\n\xe9\r\n', "ERR Protocol error: expected '$', got '\xe9'");
  fails(t, '*2\r\n$4\r\nECHO\r\n*1\r\n', "ERR Protocol error: expected '$', got '*'");
});

t.test('too big count strings', async (t) => {
  fails(t, `*${'1'.repeat(70_000)}`, PROTO_TOO_BIG_MBULK);
  fails(t, `*1\r\n$${'1'.repeat(70_000)}`, PROTO_TOO_BIG_BULK);
  // Checked before the '$': the line never ended.
  fails(t, `*1\r\n${'x'.repeat(70_000)}`, PROTO_TOO_BIG_BULK);
  const limits = { maxInlineLength: 10 };
  // The bound is on the line before its CR, '*' or '$' included.
  fails(t, '*000000000\r\n', PROTO_INVALID_MULTIBULK, { limits });
  fails(t, '*0000000000\r\n', PROTO_TOO_BIG_MBULK, { limits });
  fails(t, '*0000000000', PROTO_TOO_BIG_MBULK, { limits });
  waits(t, '*000000000', { limits });
  fails(t, '*1\r\n$000000000\r\n', PROTO_INVALID_BULK, { limits });
  fails(t, '*1\r\n$0000000000\r\n', PROTO_TOO_BIG_BULK, { limits });
});

t.test('too big inline request', async (t) => {
  fails(t, 'A'.repeat(70_000), PROTO_TOO_BIG_INLINE);
  fails(t, `PING\r\n${'A'.repeat(70_000)}`, PROTO_TOO_BIG_INLINE, {}, [['PING']]);
  const limits = { maxInlineLength: 10 };
  // The bound is on the bytes before the LF, a CR included.
  const ok = feedEveryWay('ECHO 12345\nECHO 1234\r\n', { limits });
  t.same(ok.disagreements, []);
  t.same(ok.whole.commands, [['ECHO', '12345'], ['ECHO', '1234']]);
  fails(t, 'ECHO 123456\n', PROTO_TOO_BIG_INLINE, { limits });
  fails(t, 'ECHO 12345\r\n', PROTO_TOO_BIG_INLINE, { limits });
  waits(t, 'ECHO 12345', { limits });
});

t.test('unbalanced quotes', async (t) => {
  // Redis's own test: the error comes before the PING after it.
  fails(t, 'set """test-key""" test-value\r\nping\r\n', PROTO_UNBALANCED_QUOTES);
  fails(t, 'set a "b c\r\n', PROTO_UNBALANCED_QUOTES);
  fails(t, 'set a "b c"d\r\n', PROTO_UNBALANCED_QUOTES);
  fails(t, "set a 'b\r\n", PROTO_UNBALANCED_QUOTES);
  fails(t, 'PING\r\nset a "\\\r\n', PROTO_UNBALANCED_QUOTES, {}, [['PING']]);
});

t.test('unauthenticated limits', async (t) => {
  const unauth = { authenticated: false };
  fails(t, '*11\r\n', PROTO_UNAUTH_MULTIBULK, unauth);
  waits(t, '*10\r\n', unauth);
  waits(t, '*11\r\n');
  fails(t, '*1\r\n$16385\r\n', PROTO_UNAUTH_BULK, unauth);
  waits(t, '*1\r\n$16384\r\n', unauth);
  waits(t, '*1\r\n$16385\r\n');
  // The invalid checks come first, as in Redis.
  fails(t, '*2147483648\r\n', PROTO_INVALID_MULTIBULK, unauth);
  fails(t, '*1\r\n$536870913\r\n', PROTO_INVALID_BULK, unauth);
  const small = { authenticated: false, limits: { unauthMaxMultibulkLength: 2, unauthMaxBulkLength: 3 } };
  fails(t, '*3\r\n', PROTO_UNAUTH_MULTIBULK, small);
  fails(t, '*2\r\n$4\r\n', PROTO_UNAUTH_BULK, small);
  // Inline requests have no unauthenticated bound, as in Redis.
  const inline = feedEveryWay(`PING ${'a '.repeat(20)}${'b'.repeat(20_000)}\r\n`, unauth);
  t.equal(inline.whole.commands[0]?.length, 22);
});

t.test('a line holding a NUL byte never completes, as in Redis', async (t) => {
  // Redis's "Protocol desync regression test": a NUL, then lines of 1 KB.
  const payload = `${'A'.repeat(1024)}\n`.repeat(70);
  fails(t, `\x00${payload}`, PROTO_TOO_BIG_INLINE);
  fails(t, `*\x00${payload}`, PROTO_TOO_BIG_MBULK);
  fails(t, `$\x00${payload}`, PROTO_TOO_BIG_INLINE);
  fails(t, `*1\r\n\x00\r\n${payload}`, PROTO_TOO_BIG_BULK);
  fails(t, `*1\x00\r\n${payload}`, PROTO_TOO_BIG_MBULK);
  // Until then it waits, and holds the bytes.
  waits(t, 'PI\x00NG\r\nPING\r\n');
  waits(t, '*1\x00\r\n$4\r\nPING\r\n');
  waits(t, '*1\r\n$\x004\r\nPING\r\n');
  const limits = { maxInlineLength: 10 };
  // Counted from the line's start: 4 bytes to the LF, then 6 more make 10.
  waits(t, 'A\x00\r\n123456', { limits });
  fails(t, 'A\x00\r\n1234567', PROTO_TOO_BIG_INLINE, { limits });
  fails(t, '*\x00\r\n12345678', PROTO_TOO_BIG_MBULK, { limits });
  // A NUL after the line's end is just data.
  const after = feedEveryWay('*1\r\n$4\r\nPI\x00G\r\n');
  t.same(after.whole.commands, [['PI\x00G']]);
});

t.test('the query buffer limit closes without a reply', async (t) => {
  const limits = { maxQueryBufferBytes: 40, argumentOverheadBytes: 0 };
  // With a two-digit N, "*2\r\n$4\r\nECHO\r\n$N\r\n" is 19 bytes, then N + 2.
  const at = (n: number): string => `*2\r\n$4\r\nECHO\r\n$${n}\r\n${'v'.repeat(n)}\r\n`;
  const ok = feedEveryWay(at(19).repeat(5), { limits });
  t.same(ok.disagreements, []);
  t.equal(ok.whole.commands.length, 5, 'the bound is per request, not per pipeline');
  t.equal(ok.whole.maxBuffered <= 40, true);
  fails(t, at(20), QUERY_BUFFER_LIMIT, { limits });
  const silent = feedEveryWay(at(20), { limits });
  t.equal(silent.whole.silent, true);
  fails(t, `PING\r\n${'x'.repeat(41)}`, QUERY_BUFFER_LIMIT, { limits }, [['PING']]);
  fails(t, `*1\r\n$${'1'.repeat(45)}`, QUERY_BUFFER_LIMIT, { limits });
  // When both bounds are passed, the one a byte-by-byte feed meets first wins.
  fails(t, 'A'.repeat(30), QUERY_BUFFER_LIMIT, { limits: { maxQueryBufferBytes: 10, argumentOverheadBytes: 0, maxInlineLength: 20 } });
  fails(t, 'A'.repeat(30), PROTO_TOO_BIG_INLINE, { limits: { maxQueryBufferBytes: 20, argumentOverheadBytes: 0, maxInlineLength: 10 } });
  fails(t, 'A'.repeat(30), QUERY_BUFFER_LIMIT, { limits: { maxQueryBufferBytes: 10, argumentOverheadBytes: 0, maxInlineLength: 10 } });
  fails(t, `*1\r\n$1\r\nx\r\n*1\r\n$${'1'.repeat(30)}`, PROTO_TOO_BIG_BULK, {
    limits: { maxQueryBufferBytes: 25, argumentOverheadBytes: 0, maxInlineLength: 10 },
  }, [['x']]);
  fails(t, `*1\r\n${'1'.repeat(30)}`, QUERY_BUFFER_LIMIT, { limits: { maxQueryBufferBytes: 14, argumentOverheadBytes: 0, maxInlineLength: 10 } });
  // A stuck line counts against both bounds.
  fails(t, `A\x00\r\n${'B'.repeat(30)}`, QUERY_BUFFER_LIMIT, { limits: { maxQueryBufferBytes: 10, argumentOverheadBytes: 0, maxInlineLength: 20 } });
});

t.test('each argument costs its overhead against the query buffer bound, so millions of empty ones cannot fill the heap', async (t) => {
  // 10 arguments of 0 bytes: 6 wire bytes each ("$0\r\n\r\n") plus 100 of overhead.
  const limits = { maxQueryBufferBytes: 1100, argumentOverheadBytes: 100 };
  const request = (n: number): string => `*${n}\r\n${'$0\r\n\r\n'.repeat(n)}`;
  const ok = feedEveryWay(request(9), { limits });
  t.same(ok.disagreements, []);
  t.equal(ok.whole.commands.length, 1, '9 empty arguments fit');
  t.equal(ok.whole.maxBuffered <= 100, true, 'what is reported held is wire bytes only');
  fails(t, request(11), QUERY_BUFFER_LIMIT, { limits });
  t.equal(feedEveryWay(request(11), { limits }).whole.silent, true, 'closed without a reply, as past the byte bound');
  // The default charge: the 30,000,000-argument SET meets the 1 GiB default after about 6.5 million arguments.
  const p = new RequestParser();
  p.authenticated = true;
  p.push(Buffer.from('*30000000\r\n$3\r\nSET\r\n'));
  t.equal(p.next(), null);
  const block = Buffer.from('$0\r\n\r\n'.repeat(100_000));
  let pushed = 0;
  const err = t.throws(() => {
    for (; pushed < 300; pushed++) {
      p.push(block);
      p.next();
    }
  });
  t.equal((err as Error).message, QUERY_BUFFER_LIMIT);
  t.ok(pushed * 100_000 < 7_000_000 && pushed * 100_000 > 5_000_000, `refused after ${pushed * 100_000} arguments`);
});
