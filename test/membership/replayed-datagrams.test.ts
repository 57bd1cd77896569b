import { createSocket } from 'node:dgram';
import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { SeededRng } from '../../src/core/rng.js';
import { SwimMembership } from '../../src/membership/swim-membership.js';
import { MemoryNetwork } from '../../src/transport/memory-network.js';
import type { DatagramTransport, PeerAddress } from '../../src/transport/types.js';
import { UdpTransport } from '../../src/transport/udp.js';
import { FakeMetaStore } from './helpers.js';

// Gossip over real UDP sockets on loopback (peer RPC in memory, time on a manual clock): an attacker captures what b
// sends a, waits for a to restart (its probes start over), and replays the capture once b is dead. Before boot ids and
// probe nonces, the replayed acks answered a's new probes and kept b alive.

const SECRET = 'replay-test-secret';

/** A datagram transport that keeps a copy of everything it sends: the attacker's capture. */
class Capturing implements DatagramTransport {
  readonly sent: Array<{ to: PeerAddress; payload: Buffer }> = [];
  constructor(private readonly inner: UdpTransport) {}
  get address(): PeerAddress {
    return this.inner.address;
  }
  send(addr: PeerAddress, payload: Buffer): void {
    this.sent.push({ to: addr, payload: Buffer.from(payload) });
    this.inner.send(addr, payload);
  }
  onMessage(handler: Parameters<DatagramTransport['onMessage']>[0]): void {
    this.inner.onMessage(handler);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

interface LiveNode {
  readonly membership: SwimMembership;
  readonly udp: UdpTransport;
  readonly capture: Capturing;
  readonly dropped: Map<string, number>;
  stop(): Promise<void>;
}

const clock = new ManualClock(1_800_000_000_000);
const net = new MemoryNetwork({ clock, rng: new SeededRng(5), minDelayMs: 1, maxDelayMs: 2 });
const stores = new Map<string, FakeMetaStore>();
const ports = new Map<string, number>();

async function startNode(id: string, seeds: PeerAddress[] = []): Promise<LiveNode> {
  const udp = await UdpTransport.bind('127.0.0.1', ports.get(id) ?? 0);
  ports.set(id, udp.address.port);
  const capture = new Capturing(udp);
  const endpoint = net.attach(id, { address: udp.address });
  const store = stores.get(id) ?? new FakeMetaStore();
  stores.set(id, store);
  const dropped = new Map<string, number>();
  const membership = await SwimMembership.start({
    self: { id, rack: 'r', dc: 'd', vnodes: 4, state: 'normal', address: { host: '127.0.0.1', port: 6379 }, peer: udp.address },
    seeds,
    datagrams: capture,
    rpc: endpoint.rpc,
    store,
    clock,
    rng: new SeededRng(id.charCodeAt(0) * 31 + ports.size),
    secret: SECRET,
    observer: { dropped: (reason) => dropped.set(reason, (dropped.get(reason) ?? 0) + 1) },
  });
  endpoint.rpc.onRequest((from, msg) => membership.handleRequest(from, msg));
  return {
    membership,
    udp,
    capture,
    dropped,
    stop: async () => {
      await membership.close();
      await endpoint.close();
      await capture.close();
    },
  };
}

/** Advances simulated time in 10 ms steps, giving real sockets a moment between steps. */
async function run(ms: number, each?: () => void): Promise<void> {
  for (let done = 0; done < ms; done += 10) {
    each?.();
    clock.advance(10);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function statusOf(node: LiveNode, id: string): string | undefined {
  return node.membership.members().find((m) => m.info.id === id)?.status;
}

t.test('replayed datagrams of a dead member are dropped and counted, and it is declared dead on time', async (t) => {
  let a = await startNode('a');
  const b = await startNode('b', [a.udp.address]);
  const seeEachOther = async (): Promise<boolean> => {
    for (let i = 0; i < 200 && !(statusOf(a, 'b') === 'alive' && statusOf(b, 'a') === 'alive'); i++) await run(100);
    return statusOf(a, 'b') === 'alive' && statusOf(b, 'a') === 'alive';
  };
  t.ok(await seeEachOther(), 'a and b see each other');
  await run(40_000);
  const toA = b.capture.sent.filter((d) => d.to.port === a.udp.address.port).map((d) => d.payload);
  t.ok(toA.length >= 40, `captured ${toA.length} datagrams b sent to a over 40 periods, acks among them`);

  // a restarts (its probes start over) and takes b back; then b dies for good while an attacker replays b's datagrams to a.
  await a.stop();
  a = await startNode('a');
  t.teardown(() => a.stop());
  t.ok(await seeEachOther(), 'a restarted and sees b alive again');
  await b.stop();
  const attacker = createSocket('udp4');
  t.teardown(() => new Promise<void>((r) => attacker.close(() => r())));
  let next = 0;
  const replay = (): void => {
    // Two captured datagrams every 10 ms: each is sent again and again while a probes b.
    for (let k = 0; k < 2; k++) attacker.send(toA[next++ % toA.length]!, a.udp.address.port, '127.0.0.1');
  };
  let deadAfter = -1;
  for (let period = 1; period <= 25 && deadAfter < 0; period++) {
    await run(1000, replay);
    if (statusOf(a, 'b') === 'dead') deadAfter = period;
  }
  t.not(deadAfter, -1, `b is declared dead within 25 periods despite the replays (after ${deadAfter})`);
  const refused = (a.dropped.get('replay') ?? 0) + (a.dropped.get('stale') ?? 0);
  t.ok(refused > toA.length, `replayed datagrams were dropped and counted (${a.dropped.get('stale') ?? 0} stale, ${a.dropped.get('replay') ?? 0} replays)`);
  t.notOk(a.membership.isReachable('b'), 'b is unreachable to a');
  await run(5000, replay);
  t.equal(statusOf(a, 'b'), 'dead', 'and stays dead while the replays go on');
});
