import t from 'tap';
import { ProtocolViolation } from '../../src/transport/envelope.js';
import {
  AUTH,
  HELLO,
  HandshakeRefused,
  NONCE_BYTES,
  PROTOCOL_VERSION,
  READY,
  WELCOME,
  admissionProblem,
  authFrame,
  computeProof,
  helloFrame,
  parseAuth,
  parseHello,
  parseReady,
  readyFrame,
  refusedFrame,
  verifyProof,
  welcomeFrame,
  type LocalIdentity,
} from '../../src/transport/handshake.js';

const secret = Buffer.from('s3cret');
const nonce = Buffer.alloc(NONCE_BYTES, 7);
const a: LocalIdentity = { nodeId: 'a', cluster: 'c', secret };
const b: LocalIdentity = { nodeId: 'b', cluster: 'c', secret };

t.test('a proof verifies only for its secret, role, nonce and node', async (t) => {
  const p = computeProof(secret, 'dialer', nonce, 'a');
  t.equal(p.length, 32);
  t.ok(verifyProof(secret, 'dialer', nonce, 'a', p));
  t.notOk(verifyProof(Buffer.from('other'), 'dialer', nonce, 'a', p), 'other secret');
  t.notOk(verifyProof(secret, 'acceptor', nonce, 'a', p), 'other role');
  t.notOk(verifyProof(secret, 'dialer', Buffer.alloc(NONCE_BYTES, 8), 'a', p), 'other nonce');
  t.notOk(verifyProof(secret, 'dialer', nonce, 'b', p), 'other node');
  t.notOk(verifyProof(secret, 'dialer', nonce, 'a', p.subarray(0, 16)), 'short proof');
  t.notOk(verifyProof(secret, 'dialer', nonce, 'a', null), 'no proof');
});

t.test('the frames of a full exchange parse back', async (t) => {
  const hello = parseHello(helloFrame(a, nonce), HELLO);
  t.same(hello, { version: PROTOCOL_VERSION, cluster: 'c', node: 'a', nonce, proof: null });
  const bNonce = Buffer.alloc(NONCE_BYTES, 9);
  const welcome = parseHello(welcomeFrame(b, bNonce, hello.nonce), WELCOME);
  t.equal(welcome.node, 'b');
  t.ok(verifyProof(secret, 'acceptor', nonce, 'b', welcome.proof));
  const proof = parseAuth(authFrame(a, welcome.nonce));
  t.ok(verifyProof(secret, 'dialer', bNonce, 'a', proof));
  t.doesNotThrow(() => parseReady(readyFrame()));
});

t.test('without a secret the frames carry no proofs', async (t) => {
  const open: LocalIdentity = { nodeId: 'a', cluster: 'c', secret: null };
  t.equal(parseHello(welcomeFrame(open, nonce, nonce), WELCOME).proof, null);
  t.equal(parseAuth(authFrame(open, nonce)), null);
  t.equal(parseAuth([AUTH, {}]), null);
});

t.test('a REFUSED frame surfaces as HandshakeRefused with its reason', async (t) => {
  t.throws(() => parseReady(refusedFrame('nope')), new HandshakeRefused('nope'));
  t.throws(() => parseAuth(refusedFrame('bad')), HandshakeRefused);
  const e = t.throws(() => parseHello([20, 42], WELCOME)) as HandshakeRefused;
  t.equal(e.reason, 'refused');
});

t.test('malformed handshake frames are protocol violations', async (t) => {
  const bad: unknown[] = [
    null,
    [],
    [WELCOME, {}],
    [HELLO, 'x'],
    [HELLO, [1]],
    [HELLO, { v: 1, cluster: 'c', node: 'a' }],
    [HELLO, { v: '1', cluster: 'c', node: 'a', nonce }],
    [HELLO, { v: 1, cluster: 'c', node: 'a', nonce: Buffer.alloc(3) }],
    [HELLO, { v: 1, cluster: 'c', node: 'a', nonce, proof: 'p' }],
  ];
  for (const f of bad) t.throws(() => parseHello(f, HELLO), ProtocolViolation);
  t.throws(() => parseAuth([AUTH, 'x']), ProtocolViolation);
  t.throws(() => parseAuth([AUTH, { proof: 5 }]), ProtocolViolation);
  t.throws(() => parseAuth([READY]), ProtocolViolation);
  t.throws(() => parseReady([AUTH]), ProtocolViolation);
});

t.test('admission checks version, cluster and node id', async (t) => {
  const peer = { version: PROTOCOL_VERSION, cluster: 'c', node: 'b', nonce, proof: null };
  t.equal(admissionProblem(a, peer), null);
  t.match(admissionProblem(a, { ...peer, version: 99 }), /protocol version 99/);
  t.match(admissionProblem(a, { ...peer, cluster: 'x' }), /cluster 'x' is not 'c'/);
  t.match(admissionProblem(a, { ...peer, node: 'bad id' }), /invalid node id/);
  t.match(admissionProblem(a, { ...peer, node: 'a' }), /claims this node id/);
});

t.test('admission refuses a peer with other replicas per DC, and frames carry the placement only when set', async (t) => {
  const peer = { version: PROTOCOL_VERSION, cluster: 'c', node: 'b', nonce, proof: null };
  const perDc = { ...a, placement: 'dc1:3,dc2:3' };
  t.equal(admissionProblem(perDc, { ...peer, placement: 'dc1:3,dc2:3' }), null);
  t.equal(admissionProblem(a, { ...peer, placement: '' }), null, 'empty means none');
  t.match(admissionProblem(perDc, { ...peer, placement: 'dc1:3' }), /replicas per DC differ: node b has 'dc1:3', node a has 'dc1:3,dc2:3' \(every node must give the same --replicas-per-dc\)/);
  t.match(admissionProblem(perDc, peer), /node b has 'none'/);
  t.match(admissionProblem(a, { ...peer, placement: 'dc1:2' }), /node a has 'none'/);
  t.equal(parseHello(helloFrame(perDc, nonce), HELLO).placement, 'dc1:3,dc2:3');
  t.equal(parseHello(welcomeFrame(perDc, nonce, nonce), WELCOME).placement, 'dc1:3,dc2:3');
  t.equal(parseHello(helloFrame(a, nonce), HELLO).placement, undefined, 'none sent');
  t.notOk('placement' in (helloFrame(a, nonce)[1] as object), 'no field without a placement');
  t.throws(() => parseHello([HELLO, { v: 1, cluster: 'c', node: 'b', nonce, placement: 5 }], HELLO), ProtocolViolation);
});

t.test('admission refuses a peer with another --n; a peer that does not say its --n (an earlier version) is let in', async (t) => {
  const peer = { version: PROTOCOL_VERSION, cluster: 'c', node: 'b', nonce, proof: null };
  const three = { ...a, replicas: 3 };
  t.equal(admissionProblem(three, { ...peer, replicas: 3 }), null);
  t.match(
    admissionProblem(three, { ...peer, replicas: 2 }),
    /^replication factor differs: node b has --n 2, node a has --n 3 \(every node must give the same --n\)$/,
  );
  t.equal(admissionProblem(three, peer), null, 'an earlier version sends no --n');
  t.equal(admissionProblem(a, { ...peer, replicas: 2 }), null, 'nor checks one');
  t.equal(parseHello(helloFrame(three, nonce), HELLO).replicas, 3);
  t.equal(parseHello(welcomeFrame(three, nonce, nonce), WELCOME).replicas, 3);
  t.notOk('n' in (helloFrame(a, nonce)[1] as object), 'no field without one');
  for (const n of [0, -1, 1.5, '3']) {
    t.throws(() => parseHello([HELLO, { v: 1, cluster: 'c', node: 'b', nonce, n }], HELLO), ProtocolViolation, `n ${String(n)}`);
  }
});
