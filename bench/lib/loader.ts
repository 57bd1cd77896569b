import { connect, type Socket } from 'node:net';

/**
 * Loads `keys` keys (key:0000000 ... ) with `valueBytes`-byte values into a
 * RESP server on 127.0.0.1:port over a few connections, each sending batches
 * of pipelined SETs and waiting for every reply. Unlike redis-benchmark -r,
 * every key is distinct, so the server ends with exactly `keys` keys.
 */
export interface LoadOptions {
  readonly port: number;
  readonly keys: number;
  readonly valueBytes: number;
  readonly connections?: number;
  readonly batch?: number;
}

export function keyName(i: number): string {
  return `key:${String(i).padStart(7, '0')}`;
}

function encodeSet(key: string, value: Buffer): Buffer {
  const head = `*3\r\n$3\r\nSET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n$${value.length}\r\n`;
  return Buffer.concat([Buffer.from(head), value, Buffer.from('\r\n')]);
}

/** Waits for `count` simple-string replies; rejects at the first error reply. */
function awaitReplies(sock: Socket, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    let pending = '';
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString('latin1');
      let nl: number;
      while ((nl = pending.indexOf('\r\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 2);
        if (!line.startsWith('+')) {
          cleanup();
          reject(new Error(`SET failed: ${line}`));
          return;
        }
        if (++seen === count) {
          cleanup();
          resolve();
          return;
        }
      }
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error(`connection closed after ${seen} of ${count} replies`));
    };
    const cleanup = (): void => {
      sock.off('data', onData);
      sock.off('close', onClose);
    };
    sock.on('data', onData);
    sock.on('close', onClose);
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => resolve(sock));
    sock.once('error', reject);
  });
}

export async function loadKeys(opts: LoadOptions): Promise<void> {
  const connections = opts.connections ?? 4;
  const batch = opts.batch ?? 1000;
  const value = Buffer.alloc(opts.valueBytes, 'v');
  let next = 0;
  const worker = async (): Promise<void> => {
    const sock = await open(opts.port);
    try {
      while (next < opts.keys) {
        const start = next;
        const end = Math.min(opts.keys, start + batch);
        next = end;
        const frames: Buffer[] = [];
        for (let i = start; i < end; i++) frames.push(encodeSet(keyName(i), value));
        const replies = awaitReplies(sock, end - start);
        sock.write(Buffer.concat(frames));
        await replies;
      }
    } finally {
      sock.destroy();
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
}

/** One command's raw reply line(s) on a fresh connection (for DBSIZE, INFO). */
export async function command(port: number, args: readonly string[]): Promise<string> {
  const sock = await open(port);
  return new Promise((resolve, reject) => {
    let buf = '';
    sock.setEncoding('latin1');
    sock.on('data', (s: string) => {
      buf += s;
      const complete = buf.startsWith('$') ? isCompleteBulk(buf) : buf.includes('\r\n');
      if (complete) {
        sock.destroy();
        resolve(buf);
      }
    });
    sock.once('error', reject);
    sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

function isCompleteBulk(buf: string): boolean {
  const nl = buf.indexOf('\r\n');
  if (nl < 0) return false;
  const len = Number(buf.slice(1, nl));
  return len < 0 || buf.length >= nl + 2 + len + 2;
}
