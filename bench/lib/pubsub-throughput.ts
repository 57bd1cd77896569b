import { connect, type Socket } from 'node:net';

/**
 * PUBLISH/SUBSCRIBE throughput (redis-benchmark cannot measure it): one
 * subscriber and one publisher over raw sockets, the publisher sending
 * PUBLISH in pipelined windows; the result is messages per second delivered
 * to the subscriber, from the first PUBLISH sent to the last message read.
 * Replies have a fixed size here, so both sides count bytes, not parse.
 */
export interface PubSubRunOptions {
  readonly port: number;
  readonly messages: number;
  readonly size: number;
  /** PUBLISH commands in flight at once. */
  readonly pipeline: number;
}

const CHANNEL = 'bench:pubsub';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.once('error', reject);
    s.once('connect', () => {
      s.setNoDelay(true);
      resolve(s);
    });
  });
}

function command(...args: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Resolves once `bytes` more bytes have arrived on the socket. */
function counter(s: Socket): { until(bytes: number): Promise<void> } {
  let seen = 0;
  let want = Infinity;
  let wake: (() => void) | null = null;
  s.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen >= want && wake) wake();
  });
  return {
    until(bytes) {
      want = bytes;
      return seen >= want ? Promise.resolve() : new Promise((r) => (wake = r));
    },
  };
}

export async function pubsubThroughput(o: PubSubRunOptions): Promise<number> {
  const sub = await open(o.port);
  const pub = await open(o.port);
  try {
    const subBytes = counter(sub);
    const subscribed = `*3\r\n$9\r\nsubscribe\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n:1\r\n`.length;
    sub.write(command('SUBSCRIBE', CHANNEL));
    await subBytes.until(subscribed);
    const payload = Buffer.alloc(o.size, 'x');
    const messageBytes = `*3\r\n$7\r\nmessage\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n$${o.size}\r\n`.length + o.size + 2;
    const publish = command('PUBLISH', CHANNEL, payload);
    const pubBytes = counter(pub);
    const started = process.hrtime.bigint();
    let sent = 0;
    while (sent < o.messages) {
      const n = Math.min(o.pipeline, o.messages - sent);
      pub.write(Buffer.concat(Array.from({ length: n }, () => publish)));
      sent += n;
      // ':1\r\n' per PUBLISH: the one subscriber received it.
      await pubBytes.until(sent * 4);
    }
    await subBytes.until(subscribed + o.messages * messageBytes);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return o.messages / seconds;
  } finally {
    sub.destroy();
    pub.destroy();
  }
}
