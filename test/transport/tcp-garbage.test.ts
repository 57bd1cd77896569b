import { connect, type Socket } from 'node:net';
import t from 'tap';
import { SeededRng } from '../../src/core/rng.js';
import { decodeMessage, encodeMessage } from '../../src/transport/codec.js';
import { requestEnvelope, replyEnvelope } from '../../src/transport/envelope.js';
import { FrameDecoder, encodeFrame, frameHeader } from '../../src/transport/framing.js';
import { AUTH, HELLO, NONCE_BYTES, PROTOCOL_VERSION } from '../../src/transport/handshake.js';
import type { PeerAddress } from '../../src/transport/types.js';
import { CountingObserver, tcpNode, tcpPair, waitFor } from './helpers.js';

/** A hand-driven peer connection: raw bytes out, decoded frames in. */
class RawPeer {
  readonly frames: unknown[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder(1 << 20);

  constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => this.frames.push(...this.decoder.push(c).map(decodeMessage)));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static async open(addr: PeerAddress): Promise<RawPeer> {
    const socket = connect(addr.port, addr.host);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    return new RawPeer(socket);
  }

  send(value: unknown): void {
    this.socket.write(encodeFrame(encodeMessage(value)));
  }

  /** Completes the handshake of a cluster without a secret. */
  async handshake(nodeId: string): Promise<void> {
    this.send([HELLO, { v: PROTOCOL_VERSION, cluster: 'quorumkv', node: nodeId, nonce: Buffer.alloc(NONCE_BYTES) }]);
    await waitFor(() => this.frames.length === 1);
    this.send([AUTH, { proof: null }]);
    await waitFor(() => this.frames.length === 2);
  }
}

async function victim() {
  const obs = new CountingObserver();
  const [a, b] = await tcpPair({}, { observer: obs, maxFrameBytes: 4096 });
  b.onRequest((_f, m) => m);
  return { obs, a, b };
}

const garbage: Array<[string, () => Buffer]> = [
  ['random bytes', () => new SeededRng(42).bytes(5000)],
  ['a huge length prefix', () => Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])],
  ['a valid length with bad msgpack', () => encodeFrame(Buffer.from([0xc1, 0xc1, 0xc1]))],
  ['a valid length with truncated msgpack', () => encodeFrame(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]))],
  ['msgpack that is not a handshake', () => encodeFrame(encodeMessage({ hello: 'world' }))],
];

for (const [name, bytes] of garbage) {
  t.test(`a peer sending ${name} before the handshake is dropped and counted; others are unaffected`, async (t) => {
    const { obs, a, b } = await victim();
    t.teardown(async () => {
      await a.close();
      await b.close();
    });
    t.equal(await a.request('b', 'before'), 'before');
    const raw = await RawPeer.open(b.address);
    raw.socket.write(bytes());
    await waitFor(() => raw.closed);
    t.equal(obs.protocol.length, 1, obs.protocol.map(([, r]) => r).join());
    t.equal(await a.request('b', 'after'), 'after', 'the good connection survived');
    t.equal(b.inboundConnections, 1);
  });
}

t.test('garbage after the handshake drops that connection only', async (t) => {
  const cases: Array<[string, (raw: RawPeer) => void, RegExp]> = [
    ['oversized frame', (raw) => raw.socket.write(frameHeader(4097)), /exceeds the maximum of 4096/],
    ['bad msgpack', (raw) => raw.socket.write(encodeFrame(Buffer.from([0x92]))), /bad msgpack/],
    ['not an envelope', (raw) => raw.send({ x: 1 }), /not an envelope/],
    ['a reply where requests go', (raw) => raw.send(replyEnvelope(1, 'x')), /a reply on an inbound connection/],
    [
      'a bad frame followed by a good one in the same write',
      (raw) => raw.socket.write(Buffer.concat([encodeFrame(encodeMessage('junk')), encodeFrame(encodeMessage(requestEnvelope(8, 'x')))])),
      /not an envelope/,
    ],
  ];
  for (const [name, misbehave, reason] of cases) {
    const { obs, a, b } = await victim();
    const raw = await RawPeer.open(b.address);
    await raw.handshake('rogue');
    raw.send(requestEnvelope(7, 'legit'));
    await waitFor(() => raw.frames.length === 3);
    t.same(raw.frames[2], replyEnvelope(7, 'legit'), `${name}: served before misbehaving`);
    misbehave(raw);
    await waitFor(() => raw.closed);
    t.match(obs.protocol[0]?.[1], reason, name);
    t.equal(raw.frames.length, 3, `${name}: nothing served after the violation`);
    t.equal(await a.request('b', 'still'), 'still');
    await a.close();
    await b.close();
  }
});

t.test('a peer that never finishes its handshake is dropped', async (t) => {
  const obs = new CountingObserver();
  const b = await tcpNode('b', { observer: obs, connectTimeoutMs: 50 });
  t.teardown(() => b.close());
  const raw = await RawPeer.open(b.address);
  await waitFor(() => raw.closed);
  t.same(obs.protocol.map(([, r]) => r), ['handshake timed out']);
});

t.test('a peer that refuses our welcome is let go quietly', async (t) => {
  const obs = new CountingObserver();
  const b = await tcpNode('b', { observer: obs });
  t.teardown(() => b.close());
  const raw = await RawPeer.open(b.address);
  raw.send([20, 'changed my mind']);
  await waitFor(() => raw.closed);
  const raw2 = await RawPeer.open(b.address);
  raw2.send([HELLO, { v: PROTOCOL_VERSION, cluster: 'quorumkv', node: 'x', nonce: Buffer.alloc(NONCE_BYTES) }]);
  await waitFor(() => raw2.frames.length === 1);
  raw2.send([20, 'no thanks']);
  await waitFor(() => raw2.closed);
  t.same(obs.protocol, []);
  t.same(obs.auth, []);
});

t.test('a server that answers garbage fails the dial and is counted', async (t) => {
  const { createServer } = await import('node:net');
  const liar = createServer((s) => {
    s.on('error', () => {});
    s.write(new SeededRng(1).bytes(64));
  });
  await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
  const obs = new CountingObserver();
  const a = await tcpNode('a', { observer: obs });
  t.teardown(async () => {
    await a.close();
    liar.close();
  });
  a.setPeerAddress('b', { host: '127.0.0.1', port: (liar.address() as { port: number }).port });
  await t.rejects(a.request('b', 1), { code: 'UNAVAILABLE', message: /cannot connect to b/ });
  t.equal(obs.protocol.length, 1);
});

t.test('a server that sends garbage after the handshake loses the connection and its requests fail', async (t) => {
  const { createServer } = await import('node:net');
  let serverSide: RawPeer | null = null;
  const fake = createServer((s) => {
    const raw = new RawPeer(s);
    serverSide = raw;
    s.on('data', () => {
      if (raw.frames.length === 1 && !raw.socket.destroyed) {
        raw.send([17, { v: PROTOCOL_VERSION, cluster: 'quorumkv', node: 'b', nonce: Buffer.alloc(NONCE_BYTES), proof: null }]);
      } else if (raw.frames.length === 2) {
        raw.send([19]);
      }
    });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  const obs = new CountingObserver();
  const a = await tcpNode('a', { observer: obs });
  t.teardown(async () => {
    await a.close();
    fake.close();
  });
  a.setPeerAddress('b', { host: '127.0.0.1', port: (fake.address() as { port: number }).port });
  const pending = a.request('b', 'q');
  await waitFor(() => (serverSide?.frames.length ?? 0) >= 3);
  serverSide!.send(requestEnvelope(1, 'requests do not go this way'));
  await t.rejects(pending, { code: 'UNAVAILABLE', message: /connection to b lost: a request on an outbound connection/ });
  t.same(obs.protocol.map(([, r]) => r), ['a request on an outbound connection']);
});

t.test('a dialer checks the welcome it gets: wrong cluster, or a hang-up', async (t) => {
  const { createServer } = await import('node:net');
  const welcome = [17, { v: PROTOCOL_VERSION, cluster: 'other', node: 'b', nonce: Buffer.alloc(NONCE_BYTES), proof: null }];
  const wrongCluster = createServer((s) => {
    s.on('error', () => {});
    s.write(encodeFrame(encodeMessage(welcome)));
  });
  const hangUp = createServer((s) => s.end());
  await new Promise<void>((r) => wrongCluster.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => hangUp.listen(0, '127.0.0.1', r));
  const obs = new CountingObserver();
  const a = await tcpNode('a', { observer: obs });
  t.teardown(async () => {
    await a.close();
    wrongCluster.close();
    hangUp.close();
  });
  a.setPeerAddress('b', { host: '127.0.0.1', port: (wrongCluster.address() as { port: number }).port });
  await t.rejects(a.request('b', 1), { message: /cluster 'other' is not 'quorumkv'/ });
  t.equal(obs.auth.length, 1);
  a.setPeerAddress('c', { host: '127.0.0.1', port: (hangUp.address() as { port: number }).port });
  await t.rejects(a.request('c', 1), { message: /connection closed during handshake/ });
});

t.test('a dialer that ignores the challenge and sends a forged proof is refused and counted', async (t) => {
  const obs = new CountingObserver();
  const b = await tcpNode('b', { secret: 'right', observer: obs });
  t.teardown(() => b.close());
  const raw = await RawPeer.open(b.address);
  raw.send([HELLO, { v: PROTOCOL_VERSION, cluster: 'quorumkv', node: 'mallory', nonce: Buffer.alloc(NONCE_BYTES) }]);
  await waitFor(() => raw.frames.length === 1);
  raw.send([AUTH, { proof: Buffer.alloc(32, 1) }]);
  await waitFor(() => raw.closed);
  t.same(raw.frames[1], [20, 'authentication failed']);
  t.same(obs.auth.map(([, r]) => r), ['authentication failed']);
});

t.test('a reply whose caller hung up is dropped without harm', async (t) => {
  const b = await tcpNode('b');
  t.teardown(() => b.close());
  const finishers: Array<() => void> = [];
  b.onRequest(
    (_from, msg) =>
      new Promise((resolve, reject) => {
        finishers.push(() => (msg === 'ok' ? resolve('nobody listens') : reject(new Error('nobody listens either'))));
      }),
  );
  const raw = await RawPeer.open(b.address);
  await raw.handshake('x');
  raw.send(requestEnvelope(1, 'ok'));
  raw.send(requestEnvelope(2, 'fail'));
  await waitFor(() => finishers.length === 2);
  raw.socket.destroy();
  await waitFor(() => b.inboundConnections === 0);
  finishers.forEach((f) => f());
  await new Promise((r) => setImmediate(r));
  t.equal(raw.frames.length, 2, 'only the handshake frames ever reached the caller');
});

t.test('frames after a refusal in the same write are not read', async (t) => {
  const obs = new CountingObserver();
  const b = await tcpNode('b', { observer: obs });
  t.teardown(() => b.close());
  const raw = await RawPeer.open(b.address);
  const hello = (cluster: string) =>
    encodeFrame(encodeMessage([HELLO, { v: PROTOCOL_VERSION, cluster, node: 'x', nonce: Buffer.alloc(NONCE_BYTES) }]));
  raw.socket.write(Buffer.concat([hello('wrong'), hello('quorumkv')]));
  await waitFor(() => raw.closed);
  t.same(raw.frames, [[20, "cluster 'wrong' is not 'quorumkv'"]]);
  t.equal(obs.auth.length, 1);
});
