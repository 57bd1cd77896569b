/**
 * The parser against a real redis-server, when one is installed: seeded
 * random and mutated request streams go to both, and for each the number of
 * requests run before the stream ran out or broke, and the protocol error
 * that broke it, must match. Redis replies once per request, so its reply
 * count is the number of requests it parsed.
 */
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtocolError, RequestParser } from '../../resp/index.js';
import { SeededRng } from '../../src/core/rng.js';

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;

interface Observed {
  replies: number;
  error: string | null;
}

const INTERESTING = Buffer.from('\r\n\0*$"\' \\\t\x0bx-0123456789abc', 'latin1');

function randomBytes(rng: SeededRng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(5) < 2 ? INTERESTING[rng.int(INTERESTING.length)]! : rng.int(256);
  return b;
}

const multibulk = (args: Buffer[]): Buffer =>
  Buffer.concat([Buffer.from(`*${args.length}\r\n`), ...args.flatMap((a) => [Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n')])]);

/** Requests with one reply each (an error for some) and no side effects: ECHO and PING, inline and multibulk. */
function stream(rng: SeededRng): Buffer {
  const parts: Buffer[] = [];
  for (let i = 1 + rng.int(8); i > 0; i--) {
    const pick = [
      () => multibulk([Buffer.from('ECHO'), randomBytes(rng, rng.int(20))]),
      () => Buffer.from('PING\r\n'),
      () => Buffer.from('ECHO "a b\\x41" \'c\\\'d\'\r\n'),
      () => multibulk([Buffer.from('PING')]),
      () => Buffer.from(['*0\r\n', '\r\n', '*-1\r\n'][rng.int(3)]!),
      // Past the unauthenticated limits: eleven arguments, a 16385-byte one.
      () => multibulk([Buffer.from('PING'), ...Array.from({ length: 10 }, () => Buffer.from('x'))]),
      () => multibulk([Buffer.from('ECHO'), Buffer.alloc(16385, 'y')]),
    ];
    parts.push(pick[rng.int(pick.length)]!());
  }
  return Buffer.concat(parts);
}

/** A `*<n>` or `$<n>` line, now and then past the unauthenticated limits. */
function header(rng: SeededRng): Buffer {
  if (rng.int(2) === 0) return Buffer.from(`*${rng.int(16) - 3}\r\n`);
  return Buffer.from(`$${rng.int(4) === 0 ? 16380 + rng.int(10) : rng.int(40) - 3}\r\n`);
}

function mutate(rng: SeededRng, input: Buffer): Buffer {
  let b = input;
  for (let m = 1 + rng.int(3); m > 0; m--) {
    const at = rng.int(b.length + 1);
    const kind = rng.int(5);
    const insert =
      kind === 0 ? randomBytes(rng, 1) : kind === 2 ? randomBytes(rng, 1 + rng.int(5)) : kind === 3 ? header(rng) : Buffer.alloc(0);
    const skip = kind === 0 ? 1 : kind === 1 ? 1 + rng.int(6) : 0;
    b = kind === 4 ? b.subarray(0, at) : Buffer.concat([b.subarray(0, at), insert, b.subarray(at + skip)]);
  }
  return b;
}

/** Top-level RESP2 replies in `data`, and the last one when it is a protocol error. */
function readReplies(data: Buffer): Observed {
  let pos = 0;
  let count = 0;
  let last: string | null = null;
  const one = (): boolean => {
    const eol = data.indexOf('\r\n', pos);
    if (eol < 0) return false;
    const type = data[pos];
    const line = data.toString('latin1', pos + 1, eol);
    pos = eol + 2;
    last = type === 0x2d ? line : null;
    if (type === 0x24 && Number(line) >= 0) pos += Number(line) + 2;
    if (type === 0x2a) for (let i = Number(line); i > 0; i--) if (!one()) return false;
    return pos <= data.length;
  };
  while (pos < data.length && one()) count++;
  const error = last !== null && (last as string).startsWith('ERR Protocol error') ? last : null;
  return { replies: error === null ? count : count - 1, error };
}

function askRedis(port: number, input: Buffer, idleMs: number): Promise<Observed> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.end(input));
    let timer = setTimeout(() => socket.destroy(), idleMs);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      clearTimeout(timer);
      timer = setTimeout(() => socket.destroy(), idleMs);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(readReplies(Buffer.concat(chunks)));
    });
  });
}

function askParser(input: Buffer, authenticated: boolean): Observed {
  const parser = new RequestParser();
  parser.authenticated = authenticated;
  try {
    return { replies: parser.feed(input).length, error: null };
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return { replies: e.commands.length, error: e.message };
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedis(dir: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return { port, child };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error('redis-server did not start');
}

t.test('the parser agrees with redis-server', { skip: hasRedis ? false : 'redis-server is not installed' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'resp-diff-'));
  const { port, child } = await startRedis(dir);
  t.teardown(() => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  for (const authenticated of [true, false]) {
    if (!authenticated) {
      await askRedis(port, Buffer.from('CONFIG SET requirepass pw\r\n'), 200);
    }
    const rng = new SeededRng(authenticated ? 11 : 12);
    const inputs = Array.from({ length: 300 }, () => (rng.int(7) === 0 ? stream(rng) : mutate(rng, stream(rng))));
    const disagreements: string[] = [];
    const kinds = new Set<string>();
    for (let i = 0; i < inputs.length; i += 20) {
      await Promise.all(
        inputs.slice(i, i + 20).map(async (input) => {
          const ours = askParser(input, authenticated);
          let theirs = await askRedis(port, input, 100);
          // A slow reply on a busy machine looks like Redis waiting: ask again, patiently.
          if (theirs.replies !== ours.replies || theirs.error !== ours.error) theirs = await askRedis(port, input, 2000);
          if (theirs.replies !== ours.replies || theirs.error !== ours.error) {
            disagreements.push(`${input.toString('hex')}: redis ${JSON.stringify(theirs)}, ours ${JSON.stringify(ours)}`);
          }
          if (ours.error !== null) kinds.add(ours.error.replace(/got '.*'$/s, "got '?'"));
        }),
      );
    }
    t.same(disagreements, [], `${authenticated ? 'authenticated' : 'unauthenticated'}: every stream ends alike`);
    t.ok(kinds.size >= (authenticated ? 4 : 5), `errors seen: ${[...kinds].join(' | ')}`);
  }
});
