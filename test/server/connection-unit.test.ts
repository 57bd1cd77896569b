import t from 'tap';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { OK, bulk, error, simple } from '../../resp/reply.js';
import type { Reply } from '../../resp/reply.js';
import { QkvError } from '../../src/core/errors.js';
import { buildTable, defineCommand } from '../../src/commands/table.js';
import type { CommandContext, CommandSpec, Session } from '../../src/commands/types.js';
import { Connection } from '../../src/server/connection.js';
import type { ConnectionDeps } from '../../src/server/connection.js';
import { createLogger } from '../../src/server/logger.js';
import { ClientMemory } from '../../src/server/client-memory.js';
import { encodeCommand, encodePipeline, splitReplies } from './raw-client.js';

// The connection's ordering rules with commands whose completion the test
// controls: replies in request order, same-key commands one after another,
// keyless commands as barriers, and how the connection closes.

/** The parts of a net.Socket a Connection uses, recording what it is asked to do. */
class FakeSocket extends EventEmitter {
  written: Buffer[] = [];
  writableLength = 0;
  writableEnded = false;
  destroyed = false;
  pauses = 0;
  resumes = 0;
  setNoDelay(): this {
    return this;
  }
  write(b: Buffer): boolean {
    this.written.push(b);
    return true;
  }
  cork(): void {}
  uncork(): void {}
  end(): void {
    this.writableEnded = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  pause(): void {
    this.pauses++;
  }
  resume(): void {
    this.resumes++;
  }
  feed(data: string | Buffer): void {
    this.emit('data', typeof data === 'string' ? Buffer.from(data) : data);
  }
  replies(): string[] {
    return splitReplies(Buffer.concat(this.written)).replies;
  }
}

interface Deferred {
  resolve(r: Reply): void;
  reject(e: unknown): void;
}

/** Commands for the tests: 'wait' and 'kwait' (keyed) finish when the test says so. */
function harness(opts: { outputLimit?: number; queryLimit?: number; memory?: ClientMemory } = {}) {
  const pending: Array<{ name: string; key?: string } & Deferred> = [];
  const ran: string[] = [];
  const later = (name: string, key?: string): Promise<Reply> =>
    new Promise((resolve, reject) => {
      ran.push(key === undefined ? name : `${name} ${key}`);
      pending.push({ name, key, resolve, reject });
    });
  const specs: CommandSpec[] = [
    defineCommand({ name: 'wait', arity: 1, handler: () => later('wait') }),
    defineCommand({ name: 'kwait', arity: 2, firstKey: 1, lastKey: 1, step: 1, handler: (_c, a) => later('kwait', a[0]!.toString()) }),
    defineCommand({
      name: 'kset',
      arity: 2,
      firstKey: 1,
      lastKey: 1,
      step: 1,
      handler: (_c, a) => {
        ran.push(`kset ${a[0]!.toString()}`);
        return OK;
      },
    }),
    defineCommand({
      name: 'mark',
      arity: 2,
      handler: (_c, a) => {
        ran.push(`mark ${a[0]!.toString()}`);
        return simple(a[0]!.toString());
      },
    }),
    defineCommand({
      name: 'boom',
      arity: 1,
      handler: () => {
        throw new Error('kaput');
      },
    }),
    defineCommand({
      name: 'qboom',
      arity: 1,
      handler: () => {
        throw new QkvError('CONFLICT', 'not now');
      },
    }),
    defineCommand({ name: 'reject', arity: 1, handler: () => Promise.reject(new QkvError('TIMEOUT', 'too slow')) }),
    defineCommand({ name: 'rejectplain', arity: 1, handler: () => Promise.reject('a string') }),
    defineCommand({
      name: 'bye',
      arity: 1,
      flags: ['no_auth'],
      handler: (c) => {
        c.session.closeAfterReply = true;
        return OK;
      },
    }),
    defineCommand({ name: 'big', arity: 1, handler: () => bulk(Buffer.alloc(1000, 'b')) }),
    defineCommand({ name: 'kbig', arity: 2, firstKey: 1, lastKey: 1, step: 1, handler: () => bulk(Buffer.alloc(1000, 'b')) }),
  ];
  const table = buildTable([specs]);
  const session: Session = {
    id: 1,
    protocol: 2,
    authenticated: true,
    name: '',
    libName: '',
    libVersion: '',
    remoteAddress: '127.0.0.1:1',
    localAddress: '127.0.0.1:2',
    createdAt: 0,
    lastCommand: '',
    closeAfterReply: false,
  };
  const server = { nodeId: 'n1', requirePass: () => null };
  const logLines: Array<Record<string, unknown>> = [];
  const counts = { ok: 0, failed: 0, rejected: 0, read: 0, written: 0, protocolErrors: 0 };
  const deps: ConnectionDeps = {
    // A server with no ACL wired: the connection checks against a default user that may run anything.
    context: (s) => ({ session: s, table, server, clock: { now: () => 0 } }) as unknown as CommandContext,
    parserLimits: () => (opts.queryLimit ? { maxQueryBufferBytes: opts.queryLimit } : {}),
    outputBufferLimit: () => opts.outputLimit ?? Infinity,
    log: createLogger({ level: 'debug', write: (l) => logLines.push(JSON.parse(l) as Record<string, unknown>) }),
    observe: {
      command: (_n, ok) => (ok ? counts.ok++ : counts.failed++),
      rejected: () => counts.rejected++,
      bytesRead: (n) => (counts.read += n),
      bytesWritten: (n) => (counts.written += n),
      protocolError: () => counts.protocolErrors++,
    },
    now: () => 0,
    monotonic: () => 0,
    ...(opts.memory ? { memory: opts.memory } : {}),
  };
  const socket = new FakeSocket();
  const conn = new Connection(socket as unknown as Socket, session, deps);
  return { socket, conn, session, pending, ran, logLines, counts };
}

/** Lets promise callbacks and nextTick flushes run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const cmd = (...args: string[]): Buffer => encodeCommand(...args);

t.test('replies go out in request order when commands finish out of order', async (t) => {
  const h = harness();
  h.socket.feed(Buffer.concat([cmd('kwait', 'a'), cmd('kwait', 'b'), cmd('kset', 'c')]));
  await settle();
  t.same(h.ran, ['kwait a', 'kwait b', 'kset c'], 'independent keys run at once');
  t.same(h.socket.replies(), [], 'nothing written while the first is pending');
  h.pending[1]!.resolve(simple('b'));
  await settle();
  t.same(h.socket.replies(), []);
  h.pending[0]!.resolve(simple('a'));
  await settle();
  t.same(h.socket.replies(), ['+a\r\n', '+b\r\n', '+OK\r\n']);
  t.equal(h.counts.ok, 3);
});

t.test('a command waits for earlier ones on the same key', async (t) => {
  const h = harness();
  h.socket.feed(Buffer.concat([cmd('kwait', 'k'), cmd('kset', 'k'), cmd('kwait', 'k')]));
  await settle();
  t.same(h.ran, ['kwait k'], 'the SET on k waits');
  h.pending[0]!.resolve(OK);
  await settle();
  t.same(h.ran, ['kwait k', 'kset k', 'kwait k']);
  h.pending[1]!.resolve(simple('last'));
  await settle();
  t.same(h.socket.replies(), ['+OK\r\n', '+OK\r\n', '+last\r\n']);
});

t.test('a keyless command runs after everything before it; later commands wait for it', async (t) => {
  const h = harness();
  h.socket.feed(Buffer.concat([cmd('kwait', 'a'), cmd('mark', 'barrier'), cmd('kset', 'b'), cmd('mark', 'after')]));
  await settle();
  t.same(h.ran, ['kwait a'], 'the barrier and everything after it wait');
  h.pending[0]!.resolve(OK);
  await settle();
  t.same(h.ran, ['kwait a', 'mark barrier', 'kset b', 'mark after']);
  t.same(h.socket.replies(), ['+OK\r\n', '+barrier\r\n', '+OK\r\n', '+after\r\n']);
});

t.test('an async keyless command: the keyless and keyed commands after it wait, then run', async (t) => {
  const h = harness();
  h.socket.feed(Buffer.concat([cmd('wait'), cmd('kset', 'x'), cmd('mark', 'm')]));
  await settle();
  t.same(h.ran, ['wait']);
  h.pending[0]!.resolve(simple('waited'));
  await settle();
  t.same(h.ran, ['wait', 'kset x', 'mark m']);
  t.same(h.socket.replies(), ['+waited\r\n', '+OK\r\n', '+m\r\n']);

  // Once the async keyless command is done, a keyless one in a later read runs at once.
  h.socket.feed(cmd('wait'));
  await settle();
  h.pending[1]!.resolve(simple('again'));
  await settle();
  h.socket.feed(cmd('mark', 'later'));
  await settle();
  t.same(h.socket.replies().slice(3), ['+again\r\n', '+later\r\n']);
});

t.test('handler failures become error replies', async (t) => {
  const h = harness();
  h.socket.feed(Buffer.concat([cmd('boom'), cmd('qboom'), cmd('reject'), cmd('rejectplain'), cmd('nosuch')]));
  await settle();
  t.same(h.socket.replies(), [
    '-ERR internal error: kaput\r\n',
    '-CONFLICT not now\r\n',
    '-TIMEOUT too slow\r\n',
    '-ERR internal error: a string\r\n',
    "-ERR unknown command 'nosuch', with args beginning with: \r\n",
  ]);
  t.equal(h.counts.failed, 4);
  t.ok(h.logLines.some((l) => l.level === 'error' && l.msg === 'command failed' && l.command === 'boom'), 'unexpected failures are logged');
});

t.test('a closing command: replies before it are written, nothing after it runs or is written', async (t) => {
  const h = harness();
  h.socket.feed(Buffer.concat([cmd('kwait', 'a'), cmd('bye'), cmd('kset', 'b'), cmd('mark', 'no')]));
  await settle();
  t.same(h.ran, ['kwait a']);
  h.pending[0]!.resolve(simple('first'));
  await settle();
  t.same(h.socket.replies(), ['+first\r\n', '+OK\r\n']);
  t.ok(h.socket.writableEnded, 'the socket is ended');
  t.same(h.ran, ['kwait a'], 'the commands after it never ran');
  h.socket.feed(cmd('mark', 'ignored'));
  await settle();
  t.same(h.ran, ['kwait a'], 'input after the close is ignored');
});

t.test('a protocol error after a pending command: its reply, then the error, then the end', async (t) => {
  const h = harness();
  h.socket.feed(Buffer.concat([cmd('kwait', 'a'), Buffer.from('*1\r\n$x\r\n')]));
  await settle();
  t.equal(h.counts.protocolErrors, 1);
  t.equal(h.socket.pauses, 1, 'reading stops');
  t.same(h.socket.replies(), []);
  h.pending[0]!.resolve(simple('done'));
  await settle();
  t.same(h.socket.replies(), ['+done\r\n', '-ERR Protocol error: invalid bulk length\r\n']);
  t.ok(h.socket.writableEnded);
  t.ok(h.logLines.some((l) => l.msg === 'protocol error'));
});

t.test('past the query buffer limit: closed without a reply', async (t) => {
  const h = harness({ queryLimit: 1024 });
  h.socket.feed(cmd('mark', 'x'.repeat(2000)));
  await settle();
  t.ok(h.socket.destroyed);
  t.same(h.socket.written, []);
});

t.test('the output buffer limit closes the connection', async (t) => {
  const h = harness({ outputLimit: 3000 });
  h.socket.writableLength = 3500; // unsent bytes, as if the client stopped reading
  h.socket.feed(cmd('big'));
  await settle();
  t.ok(h.socket.destroyed);
  t.ok(h.logLines.some((l) => l.msg === 'client output buffer limit reached, closing'));
  const before = h.socket.written.length;
  h.socket.feed(cmd('big'));
  await settle();
  t.equal(h.socket.written.length, before, 'nothing more is read or written');
});

t.test('replies finished behind a slow command count toward the output buffer limit', async (t) => {
  const h = harness({ outputLimit: 3000 });
  // Nothing can be written while the first command waits; the big replies behind it pile up in memory.
  h.socket.feed(Buffer.concat([cmd('kwait', 'slow'), cmd('kbig', 'a'), cmd('kbig', 'b')]));
  await settle();
  t.notOk(h.socket.destroyed, 'two queued replies fit');
  t.ok(h.conn.outputBufferBytes >= 2000, `${h.conn.outputBufferBytes} bytes reported as output`);
  h.socket.feed(cmd('kbig', 'c'));
  await settle();
  t.ok(h.socket.destroyed, 'the third passes the limit: closed');
  t.ok(h.logLines.some((l) => l.msg === 'client output buffer limit reached, closing'));
});

t.test('queued replies stop counting once written', async (t) => {
  const h = harness({ outputLimit: 3000 });
  h.socket.feed(Buffer.concat([cmd('kwait', 'slow'), cmd('kbig', 'a'), cmd('kbig', 'b')]));
  await settle();
  h.pending[0]!.resolve(OK);
  await settle();
  t.equal(h.conn.outputBufferBytes, 0);
  h.socket.feed(Buffer.concat([cmd('kwait', 'slow2'), cmd('kbig', 'a'), cmd('kbig', 'b')]));
  await settle();
  t.notOk(h.socket.destroyed, 'the earlier replies no longer count');
});

t.test('all clients together past maxmemory-clients: the one holding the most is closed', async (t) => {
  const evictions: number[] = [];
  const memory = new ClientMemory(() => 7000, (bytes) => evictions.push(bytes));
  const a = harness({ memory });
  const b = harness({ memory });
  // Requests still being read: a holds about 4,400 bytes of an unfinished value (with its arguments' overhead), b about 1,900.
  a.socket.feed(`*2\r\n$4\r\nmark\r\n$10000\r\n${'x'.repeat(4000)}`);
  b.socket.feed(`*2\r\n$4\r\nmark\r\n$3000\r\n${'y'.repeat(1500)}`);
  await settle();
  t.notOk(a.socket.destroyed || b.socket.destroyed, 'together under the bound');
  t.ok(memory.totalBytes > 6000, `${memory.totalBytes} bytes held in all`);
  b.socket.feed('y'.repeat(1000));
  await settle();
  t.ok(a.socket.destroyed, 'the largest client is closed, although b sent the last bytes');
  t.notOk(b.socket.destroyed, 'the smaller one goes on');
  t.equal(memory.evicted, 1);
  t.ok(evictions[0]! >= 4000);
  t.ok(a.logLines.some((l) => l.msg === 'client evicted'));
  a.socket.emit('close');
  t.ok(memory.totalBytes < 3000, 'a closed client no longer counts');
  b.socket.feed('y'.repeat(500) + '\r\n');
  await settle();
  t.same(b.socket.replies().length, 1, 'b finished its request and got its reply');
  t.equal(memory.totalBytes, 0, 'nothing held once every request is answered');
});

t.test('many pending commands pause reading; it resumes once they are answered', async (t) => {
  const h = harness();
  h.socket.feed(encodePipeline(Array.from({ length: 5000 }, (_v, i) => ['kwait', `k${i}`])));
  await settle();
  t.equal(h.socket.pauses, 1, 'paused above 4096 pending');
  t.ok(h.conn.queryBufferBytes >= 0);
  for (const p of h.pending) p.resolve(OK);
  await settle();
  t.equal(h.socket.resumes, 1, 'resumed');
  t.equal(h.socket.replies().length, 5000);
  h.socket.emit('drain');
  t.equal(h.socket.resumes, 1, 'a drain while not paused changes nothing');
  t.equal(h.conn.outputBufferBytes, 0);
});

t.test('kill closes at once and drops what is pending', async (t) => {
  const h = harness();
  h.socket.feed(cmd('kwait', 'a'));
  await settle();
  h.conn.kill();
  t.ok(h.socket.destroyed);
  h.pending[0]!.resolve(OK);
  await settle();
  t.same(h.socket.written, []);
});

t.test('error replies keep their protocol; an unauthenticated session gets NOAUTH except for no_auth commands', async (t) => {
  const h = harness();
  h.session.authenticated = false;
  h.socket.feed(Buffer.concat([cmd('mark', 'x'), cmd('bye')]));
  await settle();
  t.same(h.socket.replies(), ['-NOAUTH Authentication required.\r\n', '+OK\r\n']);
  t.equal(error('x').t, 'error');
});

t.test('the client half-closes: pending replies are written, then the socket is ended', async (t) => {
  const h = harness();
  h.socket.feed(cmd('kwait', 'a'));
  h.socket.emit('end');
  await settle();
  t.notOk(h.socket.writableEnded, 'not before the reply');
  h.pending[0]!.resolve(simple('late'));
  await settle();
  t.same(h.socket.replies(), ['+late\r\n']);
  t.ok(h.socket.writableEnded);

  const idle = harness();
  idle.socket.emit('end');
  t.ok(idle.socket.writableEnded, 'nothing pending: ended at once');
});
