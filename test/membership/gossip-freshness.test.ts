import { createHmac } from 'node:crypto';
import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { SeededRng } from '../../src/core/rng.js';
import { encodeMembers, MEMBERS_META_KEY } from '../../src/membership/member-store.js';
import { REPLAY_WINDOW, ReplayGuard } from '../../src/membership/replay-guard.js';
import { SwimCodec, type SwimMessage } from '../../src/membership/swim-codec.js';
import { SwimMembership } from '../../src/membership/swim-membership.js';
import { encodeMessage } from '../../src/transport/codec.js';
import { MemoryNetwork } from '../../src/transport/memory-network.js';
import type { DatagramHandler, DatagramTransport, PeerAddress } from '../../src/transport/types.js';
import { FakeMetaStore, member, rec } from './helpers.js';

t.test('replay guard: each (boot, sequence) is taken once; older boots and sequences past the window are stale', async (t) => {
  const g = new ReplayGuard();
  t.equal(g.check('b', { boot: 5, seq: 10 }), 'fresh');
  t.equal(g.check('b', { boot: 5, seq: 10 }), 'replay', 'the same datagram again');
  t.equal(g.check('b', { boot: 5, seq: 8 }), 'fresh', 'out of order within the window');
  t.equal(g.check('b', { boot: 5, seq: 8 }), 'replay');
  t.equal(g.check('b', { boot: 5, seq: 11 + REPLAY_WINDOW }), 'fresh');
  t.equal(g.check('b', { boot: 5, seq: 11 }), 'stale', 'fell out of the window');
  t.equal(g.check('b', { boot: 4, seq: 1_000_000 }), 'stale', 'an earlier boot');
  t.equal(g.check('c', { boot: 4, seq: 1 }), 'fresh', 'each sender on its own');
  t.equal(g.check('b', { boot: 6, seq: 1 }), 'fresh', 'a restart starts over');
  t.equal(g.check('b', { boot: 5, seq: 12 + REPLAY_WINDOW }), 'stale', 'the life before is over');
  t.equal(g.check('b', { boot: 6, seq: 1 }), 'replay');
});

t.test('codec: boot id and sequence travel with every datagram; a version-1 datagram is refused', async (t) => {
  const codec = new SwimCodec('s', 1400, 77);
  const one = codec.open(codec.seal({ t: 'gossip', from: 'a' }, [], () => []));
  const two = codec.open(codec.seal({ t: 'ack', nonce: 9, from: 'a' }, [], () => []));
  t.ok(one.ok && two.ok);
  if (one.ok && two.ok) {
    t.same([one.fresh, two.fresh], [{ boot: 77, seq: 1 }, { boot: 77, seq: 2 }]);
    t.same(two.msg, { t: 'ack', nonce: 9, from: 'a' });
  }
  // What the previous version sent: no boot id, no sequence, version 1.
  const body = encodeMessage({ v: 1, t: 'ack', s: 1, f: 'a', u: [] });
  const old = Buffer.concat([tag(body), body]);
  t.same(codec.open(old), { ok: false, reason: 'version' });
  const noFreshness = encodeMessage({ v: 2, t: 'ack', n: 1, f: 'a', u: [] });
  t.same(codec.open(Buffer.concat([tag(noFreshness), noFreshness])), { ok: false, reason: 'malformed' });
});

/** The tag the codec puts before a body, keyed by the test's secret. */
function tag(body: Buffer): Buffer {
  return createHmac('sha256', 's').update(body).digest().subarray(0, 16);
}

/** A datagram transport that records what is sent and lets a test deliver anything. */
class RecordingDatagrams implements DatagramTransport {
  readonly sent: Array<{ to: PeerAddress; payload: Buffer }> = [];
  handler: DatagramHandler | null = null;
  readonly address = { host: '10.9.0.1', port: 7000 };
  send(to: PeerAddress, payload: Buffer): void {
    this.sent.push({ to, payload });
  }
  onMessage(handler: DatagramHandler): void {
    this.handler = handler;
  }
  async close(): Promise<void> {}
}

t.test('an ack counts only from the member probed: one from another member with the right nonce is dropped', async (t) => {
  const clock = new ManualClock(1_800_000_000_000);
  const net = new MemoryNetwork({ clock, rng: new SeededRng(1) });
  const store = new FakeMetaStore();
  const b = member('b', { peer: { host: '10.9.0.2', port: 7000 }, incarnation: 1 });
  const c = member('c', { peer: { host: '10.9.0.3', port: 7000 }, incarnation: 1 });
  store.data.set(MEMBERS_META_KEY, encodeMembers([rec(b), rec(c)]));
  const datagrams = new RecordingDatagrams();
  const counts = new Map<string, number>();
  const count = (k: string): void => void counts.set(k, (counts.get(k) ?? 0) + 1);
  const a = await SwimMembership.start({
    self: { id: 'a', rack: 'r', dc: 'd', vnodes: 4, state: 'normal', address: { host: '10.9.0.1', port: 6379 }, peer: datagrams.address },
    seeds: [],
    datagrams,
    rpc: net.attach('a', { address: datagrams.address }).rpc,
    store,
    clock,
    rng: new SeededRng(3),
    secret: 's',
    observer: { dropped: (r) => count(`dropped:${r}`), received: (type) => count(`received:${type}`) },
  });
  t.teardown(() => a.close());
  const reader = new SwimCodec('s', 1400);
  let ping: Extract<SwimMessage, { t: 'ping' }> | undefined;
  for (let i = 0; i < 300 && !ping; i++) {
    clock.advance(10);
    for (const d of datagrams.sent.splice(0)) {
      const opened = reader.open(d.payload);
      if (opened.ok && opened.msg.t === 'ping') ping = opened.msg;
    }
  }
  t.ok(ping, 'a probes a member');
  const probed = ping!.to;
  const other = probed === 'b' ? 'c' : 'b';
  const peerOf = (id: string): PeerAddress => (id === 'b' ? b.peer : c.peer);
  const forged = new SwimCodec('s', 1400, 1).seal({ t: 'ack', nonce: ping!.nonce, from: other }, [], () => []);
  datagrams.handler!(peerOf(other), forged);
  t.equal(counts.get('dropped:wrong-sender'), 1, 'an ack from a member that was not probed is dropped');
  t.equal(counts.get('received:ack'), undefined);
  const real = new SwimCodec('s', 1400, 1).seal({ t: 'ack', nonce: ping!.nonce, from: probed }, [], () => []);
  datagrams.handler!(peerOf(probed), real);
  t.equal(counts.get('received:ack'), 1, 'the probed member answers');
  datagrams.handler!(peerOf(probed), real);
  t.equal(counts.get('dropped:replay'), 1, 'the same ack again is a replay');
});
