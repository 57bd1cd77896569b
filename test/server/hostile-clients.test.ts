import t from 'tap';
import type * as Tap from 'tap';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { startNode, type NodeProcess } from '../support/node-process.js';
import { RawClient, encodeCommand } from './raw-client.js';

// Clients that try to exhaust a node's memory, against a real node process:
// each is closed (or held in check), the node stays up within a bounded RSS,
// and other clients are served all along.

function rssMiB(node: NodeProcess): number {
  const status = readFileSync(`/proc/${node.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** Samples the node's RSS every 50 ms until stopped; resolves with the peak. */
function watchRss(node: NodeProcess): { stop(): number } {
  let peak = rssMiB(node);
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(node))), 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssMiB(node));
    },
  };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes `block` until the node closes the socket or `maxBytes` went out; resolves with the bytes sent. */
async function flood(sock: Socket, first: Buffer, block: Buffer, maxBytes: number): Promise<{ sent: number; closed: boolean }> {
  let closed = false;
  sock.on('error', () => (closed = true));
  sock.on('close', () => (closed = true));
  let sent = 0;
  sock.write(first);
  while (!closed && sent < maxBytes) {
    sent += block.length;
    if (!sock.write(block)) await new Promise<void>((resolve) => (sock.once('drain', resolve), sock.once('close', resolve)));
  }
  // Give the node time to answer or close.
  for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 50));
  return { sent, closed };
}

/** A node of its own for each case, so one case's heap does not blur the next one's RSS. */
async function freshNode(t: Tap.Test, args: string[] = []): Promise<{ node: NodeProcess; other: RawClient; baseline: number }> {
  const node = await startNode({ t, args });
  const other = await RawClient.connect(node.port);
  t.teardown(() => other.close());
  return { node, other, baseline: rssMiB(node) };
}

t.test('SET with 30,000,000 empty arguments: the client is closed, the node stays up and small', async (t) => {
  const { node, other, baseline } = await freshNode(t);
  const sock = await open(node.port);
  t.teardown(() => sock.destroy());
  const rss = watchRss(node);
  const block = Buffer.from('$0\r\n\r\n'.repeat(100_000));
  const { sent, closed } = await flood(sock, Buffer.from('*30000000\r\n$3\r\nSET\r\n'), block, 30_000_000 * 6);
  const peak = rss.stop();
  t.ok(closed, `closed after ${(sent / 6 / 1e6).toFixed(1)} M arguments`);
  t.ok(sent < 30_000_000 * 6, 'before the whole command was sent');
  // About 6.5 M arguments are held before the 1 GiB bound (wire bytes plus each argument's overhead).
  t.ok(peak - baseline < 1600, `RSS ${baseline.toFixed(0)} -> peak ${peak.toFixed(0)} MiB`);
  t.equal(await other.call('SET', 'still', 'here'), '+OK\r\n', 'another client is served');
  t.equal(await other.call('GET', 'still'), '$4\r\nhere\r\n');
});

t.test('with a lower query buffer limit the same command is refused sooner and smaller', async (t) => {
  const { node, other } = await freshNode(t, ['--client-query-buffer-limit', '64mb']);
  const sock = await open(node.port);
  t.teardown(() => sock.destroy());
  const before = rssMiB(node);
  const rss = watchRss(node);
  const { sent, closed } = await flood(sock, Buffer.from('*30000000\r\n$3\r\nSET\r\n'), Buffer.from('$0\r\n\r\n'.repeat(100_000)), 30_000_000 * 6);
  const peak = rss.stop();
  t.ok(closed);
  t.ok(sent / 6 < 2_000_000, `closed after ${(sent / 6 / 1e6).toFixed(2)} M arguments`);
  t.ok(peak - before < 400, `RSS ${before.toFixed(0)} -> peak ${peak.toFixed(0)} MiB`);
  t.equal(await other.call('PING'), '+PONG\r\n');
});

t.test('clients that together hold more than maxmemory-clients: the largest is closed', async (t) => {
  const { node, other } = await freshNode(t, ['--max-value-bytes', '200mb', '--maxmemory-clients', '32mb']);
  const before = /evicted_clients:(\d+)/.exec(await other.call('INFO', 'stats'))![1];
  // Two clients each start a 100 MB value (allowed on its own) and send 20 MB of it, then wait.
  const a = await open(node.port);
  const b = await open(node.port);
  t.teardown(() => (a.destroy(), b.destroy()));
  let aClosed = false;
  let bClosed = false;
  a.on('close', () => (aClosed = true)).on('error', () => undefined);
  b.on('close', () => (bClosed = true)).on('error', () => undefined);
  const chunk = Buffer.alloc(1024 * 1024, 'v');
  a.write('*3\r\n$3\r\nSET\r\n$1\r\na\r\n$100000000\r\n');
  for (let i = 0; i < 20; i++) a.write(chunk);
  await new Promise((r) => setTimeout(r, 500));
  b.write('*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$100000000\r\n');
  for (let i = 0; i < 14; i++) b.write(chunk);
  for (let i = 0; i < 100 && !aClosed; i++) await new Promise((r) => setTimeout(r, 50));
  t.ok(aClosed, 'the client holding the most was closed');
  t.notOk(bClosed, 'the other one was not');
  const after = /evicted_clients:(\d+)/.exec(await other.call('INFO', 'stats'))![1];
  t.equal(Number(after), Number(before) + 1, 'INFO stats counts it in evicted_clients');
  t.equal(await other.call('PING'), '+PONG\r\n');
});

t.test('a slow reader pipelining GETs of a 1 MB value: it is closed at the output limit and the node stays small', async (t) => {
  const { node, other, baseline } = await freshNode(t, ['--max-value-bytes', '2mb']);
  t.equal(await other.call('SET', 'big', 'x'.repeat(1024 * 1024)), '+OK\r\n');
  const get = Buffer.concat(Array.from({ length: 10 }, () => encodeCommand('GET', 'big')));
  /** Opens a client that pipelines GETs and never reads; resolves with whether the node dropped it. */
  const slow = async (): Promise<boolean> => {
    const sock = await open(node.port);
    t.teardown(() => sock.destroy());
    // Paused, it never reads (nor sees the node close it): the replies pile up on the node's side.
    sock.pause();
    sock.on('error', () => undefined);
    for (let i = 0; i < 2000 && !sock.destroyed; i++) {
      if (!sock.write(get)) await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 500));
    const line = (await other.call('CLIENT', 'LIST')).split('\n').find((l) => l.includes('cmd=get'));
    if (line === undefined) return true;
    // Reading stopped first (64 MB of replies waiting): what it holds stays under the limit.
    const omem = Number(/omem=(\d+)/.exec(line)![1]);
    t.ok(omem <= 256 * 1024 * 1024, `still connected, ${(omem / 1024 / 1024).toFixed(0)} MiB of replies held for it`);
    return false;
  };
  // Its replies share the cached value, so even the 256 MB default limit costs the node little memory.
  const rss = watchRss(node);
  await slow();
  const peak = rss.stop();
  t.ok(peak - baseline < 800, `RSS ${baseline.toFixed(0)} -> peak ${peak.toFixed(0)} MiB`);
  t.equal(await other.call('CONFIG', 'SET', 'client-output-buffer-limit', '16mb'), '+OK\r\n');
  t.ok(await slow(), 'under a 16 MB limit it is closed');
  t.equal(await other.call('GET', 'big').then((r) => r.length > 1024 * 1024), true, 'another client is served');
});
