import { connect, type Socket } from 'node:net';
import { encodeCommand, parseReply, RespReplyError, type RespValue } from '../../src/server/resp-client.js';

/**
 * A RESP2 client that keeps many commands in flight on one connection
 * (replies come back in order), for loading and checking many keys and for
 * workloads that must run alongside a ring change. Error replies resolve as
 * RespReplyError values rather than rejecting, so a caller can count them.
 */
export class PipelinedClient {
  private buf: Buffer = Buffer.alloc(0);
  private readonly waiting: Array<{ resolve(v: RespValue | RespReplyError): void; reject(e: Error): void }> = [];
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<PipelinedClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        socket.setNoDelay(true);
        resolve(new PipelinedClient(socket));
      });
    });
  }

  /** Sends one command; resolves with its reply (an error reply as a RespReplyError value), rejects if the connection fails. */
  send(...args: string[]): Promise<RespValue | RespReplyError> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(encodeCommand(args));
    });
  }

  /** Runs `commands` with at most `depth` in flight; replies in the same order. */
  async many(commands: ReadonlyArray<readonly string[]>, depth = 256): Promise<Array<RespValue | RespReplyError>> {
    const out: Array<RespValue | RespReplyError> = new Array(commands.length);
    for (let at = 0; at < commands.length; at += depth) {
      const batch = commands.slice(at, at + depth).map((c) => this.send(...c));
      const replies = await Promise.all(batch);
      for (let i = 0; i < replies.length; i++) out[at + i] = replies[i]!;
    }
    return out;
  }

  close(): void {
    this.failure ??= new Error('client closed');
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let at = 0;
    while (at < this.buf.length) {
      let parsed: ReturnType<typeof parseReply>;
      try {
        parsed = parseReply(this.buf, at);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      if (parsed === null) break;
      at = parsed.next;
      const w = this.waiting.shift();
      if (!w) {
        this.fail(new Error('a reply nobody asked for'));
        return;
      }
      w.resolve(parsed.value);
    }
    this.buf = this.buf.subarray(at);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.splice(0)) w.reject(err);
    this.socket.destroy();
  }
}
