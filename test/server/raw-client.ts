import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';

/**
 * A client over a plain socket for tests that need exact bytes: it sends what
 * it is given and splits what comes back into whole RESP2/RESP3 replies, each
 * kept as its raw text (latin1), so a test compares bytes, not a decoding.
 */

/** A request as a RESP multibulk: `*<n>` then each argument as a bulk string. */
export function encodeCommand(...args: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Several requests in one buffer (one socket write). */
export function encodePipeline(commands: ReadonlyArray<ReadonlyArray<string | Buffer>>): Buffer {
  return Buffer.concat(commands.map((c) => encodeCommand(...c)));
}

const CR = 13;

function lineEnd(buf: Buffer, start: number): number {
  const cr = buf.indexOf(CR, start);
  return cr < 0 || cr + 1 >= buf.length ? -1 : cr;
}

/**
 * Where the reply starting at `start` ends (the index after it), or -1 when
 * the buffer does not hold all of it yet.
 */
export function replyEnd(buf: Buffer, start: number): number {
  if (start >= buf.length) return -1;
  const cr = lineEnd(buf, start);
  if (cr < 0) return -1;
  const type = String.fromCharCode(buf[start]!);
  const afterLine = cr + 2;
  const n = Number(buf.toString('latin1', start + 1, cr));
  switch (type) {
    case '$':
    case '=':
    case '!': {
      if (n < 0) return afterLine;
      const end = afterLine + n + 2;
      return end <= buf.length ? end : -1;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      if (n < 0) return afterLine;
      const items = type === '%' || type === '|' ? n * 2 : n;
      let pos = afterLine;
      for (let i = 0; i < items; i++) {
        pos = replyEnd(buf, pos);
        if (pos < 0) return -1;
      }
      // An attribute ('|') precedes the reply it describes.
      return type === '|' ? replyEnd(buf, pos) : pos;
    }
    default:
      return afterLine;
  }
}

/** Splits whole replies off the front of buf; returns them and the bytes left over. */
export function splitReplies(buf: Buffer): { replies: string[]; rest: Buffer } {
  const replies: string[] = [];
  let pos = 0;
  for (;;) {
    const end = replyEnd(buf, pos);
    if (end < 0) break;
    replies.push(buf.toString('latin1', pos, end));
    pos = end;
  }
  return { replies, rest: buf.subarray(pos) };
}

/** A bulk reply's bytes as RESP2 writes them. */
export const bulkReply = (s: string): string => `$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`;

export class RawClient {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly replies: string[] = [];
  private waiter: (() => void) | null = null;
  private isClosed = false;
  private readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
      const { replies, rest } = splitReplies(this.buffered);
      this.replies.push(...replies);
      this.buffered = rest;
      this.wake();
    });
    // Resets from the server (it closed on us) are part of what tests check.
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  /** Over TLS; resolves once the handshake is done (a server that refuses the client certificate closes after it). */
  static connectTls(port: number, options: ConnectionOptions): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connectTls({ host: '127.0.0.1', port, ...options });
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Bytes received that do not make a whole reply. */
  get partial(): string {
    return this.buffered.toString('latin1');
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Waits for n whole replies (or the close) and returns them, raw. Rejects after timeoutMs. */
  async read(n: number, timeoutMs = 5000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length < n && !this.isClosed) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`expected ${n} replies, got ${this.replies.length}: ${JSON.stringify(this.replies.slice(0, 5))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.replies.splice(0, Math.min(n, this.replies.length));
  }

  /** Sends one command and returns its raw reply. */
  async call(...args: ReadonlyArray<string | Buffer>): Promise<string> {
    this.send(encodeCommand(...args));
    const [reply] = await this.read(1);
    if (reply === undefined) throw new Error(`connection closed before a reply to ${args.join(' ')}`);
    return reply;
  }

  /** Resolves once the server has closed the connection; rejects after timeoutMs. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_r, reject) => {
      timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.closedPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Replies received and not yet read. */
  pending(): string[] {
    return [...this.replies];
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
