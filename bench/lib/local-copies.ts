import { connect, type Socket } from 'node:net';
import { encodeCommand, parseReply, RespReplyError, RespClient } from '../../src/server/resp-client.js';

/**
 * What one node holds itself: QLOCAL (the node's own copy, no quorum) of
 * many keys over one pipelined connection, and QKV.STATUS as parsed JSON.
 */

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => resolve(sock));
    sock.once('error', reject);
  });
}

/** Sends `frames` at once and collects as many replies; rejects on an error reply or a closed connection. */
function roundTrip(sock: Socket, frames: Buffer, count: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const out: unknown[] = [];
    let buf: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let at = 0;
      for (;;) {
        const parsed = parseReply(buf, at);
        if (parsed === null) break;
        if (parsed.value instanceof RespReplyError) return done(parsed.value);
        out.push(parsed.value);
        at = parsed.next;
        if (out.length === count) return done(null);
      }
      buf = buf.subarray(at);
    };
    const onClose = (): void => done(new Error(`connection closed after ${out.length} of ${count} replies`));
    const done = (err: Error | null): void => {
      sock.off('data', onData);
      sock.off('close', onClose);
      if (err) reject(err);
      else resolve(out);
    };
    sock.on('data', onData);
    sock.on('close', onClose);
    sock.write(frames);
  });
}

/** How many of `keys` the node on `port` holds live in its own store (QLOCAL shows at least one live value). */
export async function countHeldLocally(port: number, keys: readonly string[], batch = 500): Promise<number> {
  const sock = await open(port);
  try {
    let held = 0;
    for (let i = 0; i < keys.length; i += batch) {
      const part = keys.slice(i, i + batch);
      const replies = await roundTrip(sock, Buffer.concat(part.map((k) => encodeCommand(['QLOCAL', k]))), part.length);
      for (const r of replies) if (Array.isArray(r) && Array.isArray(r[1]) && r[1].length > 0) held++;
    }
    return held;
  } finally {
    sock.destroy();
  }
}

export interface NodeStatus {
  readonly members: ReadonlyArray<{ readonly id: string; readonly status: string }>;
  readonly repair: Record<string, unknown>;
  readonly hints: Record<string, unknown>;
}

export async function nodeStatus(port: number): Promise<NodeStatus> {
  const c = await RespClient.connect({ host: '127.0.0.1', port, timeoutMs: 10_000 });
  try {
    return JSON.parse(String(await c.call('QKV.STATUS'))) as NodeStatus;
  } finally {
    c.close();
  }
}

/** A numeric field of the repair status (0 when absent). */
export function repairNumber(s: NodeStatus, field: string): number {
  const v = Number(s.repair[field]);
  return Number.isFinite(v) ? v : 0;
}

/** Waits until every node sees exactly `ports.length` members, all alive. */
export async function waitForAllAlive(ports: readonly number[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const docs = await Promise.all(ports.map(nodeStatus)).catch(() => []);
    if (docs.length === ports.length && docs.every((d) => d.members.length === ports.length && d.members.every((m) => m.status === 'alive'))) return;
    if (Date.now() > deadline) throw new Error(`the cluster did not show every member alive within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
