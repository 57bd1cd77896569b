import t from 'tap';
import { startTarget } from './support/target.js';
import { run } from './support/run.js';
import { RawConnection } from './support/raw-socket.js';
import { requireTool, REDIS_TOOLS_HINT } from './support/outside-tool.js';

// redis-cli prints replies "raw" when its output is not a terminal (as here) and
// in the human form ("(integer) 1", "(nil)", quoted strings) with --no-raw.

if (requireTool(t, 'redis-cli', 'redis-cli', ['--version'], REDIS_TOOLS_HINT)) {
  const server = await startTarget(t);
  const port = String(server.port);
  const cli = async (...args: string[]): Promise<string> => {
    const res = await run('redis-cli', ['-p', port, ...args]);
    if (res.code !== 0) throw new Error(`redis-cli ${args.join(' ')} exited ${res.code}: ${res.stderr}`);
    return res.stdout;
  };

  t.test('commands as arguments, raw output', async (t) => {
    t.equal(await cli('SET', 'cli:k', 'v'), 'OK\n');
    t.equal(await cli('GET', 'cli:k'), 'v\n');
    t.equal(await cli('GET', 'cli:missing'), '\n', 'nil prints as an empty line');
    t.equal(await cli('INCR', 'cli:n'), '1\n');
    t.equal(await cli('MSET', 'cli:a', '1', 'cli:b', '2'), 'OK\n');
    t.equal(await cli('MGET', 'cli:a', 'cli:missing', 'cli:b'), '1\n\n2\n');
    t.equal(await cli('DEL', 'cli:a', 'cli:b', 'cli:missing'), '2\n');
    t.equal(await cli('EXISTS', 'cli:a'), '0\n');
    t.equal(await cli('SET', 'cli:sp', 'two words'), 'OK\n');
    t.equal(await cli('GET', 'cli:sp'), 'two words\n');
    t.equal(await cli('INCR', 'cli:k'), 'ERR value is not an integer or out of range\n\n');
  });

  t.test('commands as arguments, --no-raw output', async (t) => {
    t.equal(await cli('--no-raw', 'SET', 'cli:h', 'hello'), 'OK\n');
    t.equal(await cli('--no-raw', 'GET', 'cli:h'), '"hello"\n');
    t.equal(await cli('--no-raw', 'GET', 'cli:nothing'), '(nil)\n');
    t.equal(await cli('--no-raw', 'INCRBY', 'cli:hn', '41'), '(integer) 41\n');
    t.equal(await cli('--no-raw', 'MGET', 'cli:h', 'cli:nothing', 'cli:hn'), '1) "hello"\n2) (nil)\n3) "41"\n');
    t.equal(await cli('--no-raw', 'KEYS', 'no-such-prefix:*'), '(empty array)\n');
    t.equal(await cli('--no-raw', 'EXPIRE', 'cli:h', '100'), '(integer) 1\n');
    t.match(await cli('--no-raw', 'TTL', 'cli:h'), /^\(integer\) (99|100)\n$/);
    t.equal(await cli('--no-raw', 'TTL', 'cli:nothing'), '(integer) -2\n');
    t.equal(await cli('--no-raw', 'INCR', 'cli:h'), '(error) ERR value is not an integer or out of range\n');
    t.equal(await cli('--no-raw', 'MGET'), "(error) ERR wrong number of arguments for 'mget' command\n");
    t.equal(await cli('--no-raw', 'SET', 'cli:h', 'v', 'XX', 'NX'), '(error) ERR syntax error\n');
    t.equal(
      await cli('--no-raw', 'NOSUCHCMD', 'a', 'b'),
      "(error) ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' \n",
    );
  });

  t.test('commands on standard input', async (t) => {
    const script = ['SET cli:in "hello world"', 'GET cli:in', 'APPEND cli:in !', 'GET cli:in', 'DEL cli:in', 'GET cli:in', 'PING', ''].join('\n');
    const raw = await run('redis-cli', ['-p', port], { input: script });
    t.equal(raw.code, 0, raw.stderr);
    t.equal(raw.stdout, 'OK\nhello world\n12\nhello world!\n1\n\nPONG\n');
    const human = await run('redis-cli', ['-p', port, '--no-raw'], { input: script });
    t.equal(human.code, 0, human.stderr);
    t.equal(human.stdout, 'OK\n"hello world"\n(integer) 12\n"hello world!"\n(integer) 1\n(nil)\nPONG\n');
  });

  t.test('redis-cli -3 (RESP3; redis-cli 7.0 has no --resp3 spelling)', async (t) => {
    const hello = await cli('-3', '--no-raw', 'HELLO', '3');
    t.match(hello, /^\d+# "proto" => \(integer\) 3$/m, 'HELLO 3 answers a map with proto 3');
    t.match(hello, /^1# "server" => "/, 'HELLO reply is printed as a map');
    t.equal(await cli('-3', '--no-raw', 'GET', 'cli:resp3-missing'), '(nil)\n');
    t.equal(await cli('-3', 'SET', 'cli:r3', 'x'), 'OK\n');
    t.equal(await cli('-3', '--no-raw', 'MGET', 'cli:r3', 'cli:resp3-missing'), '1) "x"\n2) (nil)\n');
    t.equal(await cli('-3', '--no-raw', 'INCR', 'cli:r3n'), '(integer) 1\n');
  });

  t.test('inline commands over a raw socket', async (t) => {
    const conn = await RawConnection.open(server.port);
    t.teardown(() => conn.close());
    conn.write('PING\r\n');
    t.equal(await conn.read('+PONG\r\n'.length), '+PONG\r\n');
    conn.write('SET inline:a "b c"\r\n');
    t.equal(await conn.read('+OK\r\n'.length), '+OK\r\n');
    conn.write('GET inline:a\r\n');
    t.equal(await conn.read('$3\r\nb c\r\n'.length), '$3\r\nb c\r\n');
    // Several inline commands in one write, answered in order.
    conn.write('EXISTS inline:a\r\nDEL inline:a\r\nGET inline:a\r\n');
    const expected = ':1\r\n:1\r\n$-1\r\n';
    t.equal(await conn.read(expected.length), expected);
    t.notOk(conn.closed);
  });

  t.test('a protocol error closes only its own connection', async (t) => {
    const bystander = await RawConnection.open(server.port);
    const offender = await RawConnection.open(server.port);
    t.teardown(() => {
      bystander.close();
      offender.close();
    });
    offender.write('*1\r\n$x\r\n');
    const expected = '-ERR Protocol error: invalid bulk length\r\n';
    t.equal(await offender.read(expected.length), expected);
    t.ok(await offender.waitClosed(), 'the offending connection is closed');
    bystander.write('*1\r\n$4\r\nPING\r\n');
    t.equal(await bystander.read('+PONG\r\n'.length), '+PONG\r\n', 'another connection still works');
    t.equal(await cli('PING'), 'PONG\n', 'new connections are still served');

    const quotes = await RawConnection.open(server.port);
    t.teardown(() => quotes.close());
    quotes.write('SET inline:q "unterminated\r\n');
    const unbalanced = '-ERR Protocol error: unbalanced quotes in request\r\n';
    t.equal(await quotes.read(unbalanced.length), unbalanced);
    t.ok(await quotes.waitClosed(), 'closed after unbalanced quotes');
  });

  t.test('AUTH with --requirepass', async (t) => {
    const server = await startTarget(t, { requirepass: 's3cret pass' });
    const port = String(server.port);
    const noAuth = await run('redis-cli', ['-p', port, '--no-raw', 'GET', 'k']);
    t.equal(noAuth.stdout, '(error) NOAUTH Authentication required.\n');
    const wrong = await run('redis-cli', ['-p', port, '--no-raw', '--no-auth-warning', '-a', 'nope', 'GET', 'k']);
    t.match(wrong.stdout + wrong.stderr, /WRONGPASS invalid username-password pair or user is disabled\./);
    const ok = await run('redis-cli', ['-p', port, '--no-auth-warning', '-a', 's3cret pass', 'SET', 'k', 'v']);
    t.equal(ok.stdout, 'OK\n', ok.stderr);
    const viaStdin = await run('redis-cli', ['-p', port], { input: 'AUTH "s3cret pass"\nGET k\n' });
    t.equal(viaStdin.stdout, 'OK\nv\n', viaStdin.stderr);
  });
}
