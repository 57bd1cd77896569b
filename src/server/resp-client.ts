import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';

/**
 * A small RESP2 client for the operator tools (`quorumkv status`): one
 * connection, one command at a time, replies as plain values. Error replies
 * reject with RespReplyError; bulk strings arrive as UTF-8 text.
 */
export type RespValue = string | number | null | RespValue[];

/** An error reply from the server (-ERR ..., -NOAUTH ...). */
export class RespReplyError extends Error {
  constructor(readonly reply: string) {
    super(reply);
    this.name = 'RespReplyError';
  }
}

/** Bulk and array lengths above this are refused: the tool talks to its own server, not to arbitrary data. */
const MAX_LENGTH = 512 * 1024 * 1024;

interface Parsed {
  readonly value: RespValue | RespReplyError;
  readonly next: number;
}

/** Parses one reply at `at`; null when the buffer does not hold all of it yet. Throws on bytes that are not RESP2. */
export function parseReply(buf: Buffer, at = 0): Parsed | null {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('utf8', at + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new RespReplyError(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const len = lengthOf(line);
      if (len < 0) return { value: null, next: after };
      if (buf.length < after + len + 2) return null;
      return { value: buf.toString('utf8', after, after + len), next: after + len + 2 };
    }
    case '*': {
      const count = lengthOf(line);
      if (count < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let pos = after;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, pos);
        if (item === null) return null;
        // An error nested in an array is kept as its text.
        items.push(item.value instanceof RespReplyError ? item.value.reply : item.value);
        pos = item.next;
      }
      return { value: items, next: pos };
    }
    default:
      throw new Error(`not a RESP2 reply (starts with ${JSON.stringify(type)})`);
  }
}

function lengthOf(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < -1 || n > MAX_LENGTH) throw new Error(`bad RESP length ${JSON.stringify(text)}`);
  return n;
}

/** A command as RESP2: an array of bulk strings. */
export function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.from(a, 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export interface RespClientOptions {
  readonly host: string;
  readonly port: number;
  /** Connecting, and each command. Default 5000. */
  readonly timeoutMs?: number;
  /** Over TLS with these options (CA, client certificate); absent: plain TCP. */
  readonly tls?: ConnectionOptions;
}

interface Waiter {
  resolve(v: RespValue): void;
  reject(e: Error): void;
}

export class RespClient {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: Waiter | null = null;
  private failure: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  static connect(opts: RespClientOptions): Promise<RespClient> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const socket = opts.tls ? connectTls({ host: opts.host, port: opts.port, ...opts.tls }) : connect({ host: opts.host, port: opts.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RespClient(socket, timeoutMs));
      });
    });
  }

  /** Sends one command and resolves with its reply; rejects with RespReplyError for an error reply. */
  call(...args: string[]): Promise<RespValue> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new Error('one command at a time'));
    return new Promise<RespValue>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no reply to ${args[0] ?? ''} within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.waiter = {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.write(encodeCommand(args));
    });
  }

  close(): void {
    this.failure ??= new Error('client closed');
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.length > 0 && this.failure === null) {
      let parsed: Parsed | null;
      try {
        parsed = parseReply(this.buf);
      } catch (err) {
        return this.fail(err as Error);
      }
      if (parsed === null) return;
      this.buf = this.buf.subarray(parsed.next);
      const waiter = this.waiter;
      this.waiter = null;
      if (!waiter) return this.fail(new Error('a reply nobody asked for'));
      if (parsed.value instanceof RespReplyError) waiter.reject(parsed.value);
      else waiter.resolve(parsed.value);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(err);
    this.socket.destroy();
  }
}
