import t from 'tap';
import { SeededRng } from '../../src/core/rng.js';
import { QkvError } from '../../src/core/errors.js';
import type { PeerAddress } from '../../src/transport/types.js';
import { CountingObserver } from './helpers.js';
import { flush, memoryNet, outcome, run } from './memory-helpers.js';

function cluster(seed: number, ids: string[], opts: Parameters<typeof memoryNet>[1] = {}) {
  const env = memoryNet(seed, opts);
  const nodes = Object.fromEntries(ids.map((id) => [id, env.net.attach(id, { requestTimeoutMs: 100 })]));
  env.net.introduceAll();
  return { ...env, nodes };
}

t.test('a request is delayed both ways by the configured delay', async (t) => {
  const { clock, net, nodes, events } = cluster(1, ['a', 'b'], { minDelayMs: 5, maxDelayMs: 5 });
  nodes.b!.rpc.onRequest((from, msg) => ({ from, msg }));
  let reply: unknown;
  nodes.a!.rpc.request('b', 'hi').then((r) => (reply = r));
  await run(clock, 9);
  t.equal(reply, undefined);
  await run(clock, 1);
  t.same(reply, { from: 'a', msg: 'hi' });
  t.same(
    events.map((e) => `${e.at} ${e.kind} ${e.from}>${e.to} ${e.event}`),
    ['0 request a>b send', '5 request a>b deliver', '5 reply b>a send', '10 reply b>a deliver'],
  );
  t.same(net.linkFaults, { minDelayMs: 5, maxDelayMs: 5, lossRate: 0, duplicateRate: 0 });
  t.ok(nodes.a!.rpc.isConnected('b'));
  t.notOk(nodes.a!.rpc.isConnected('zz'));
});

/** A busy, lossy workload; returns everything observable about it. */
async function workload(seed: number): Promise<string[]> {
  const ids = ['n1', 'n2', 'n3', 'n4'];
  const { clock, nodes, events } = cluster(seed, ids, { minDelayMs: 1, maxDelayMs: 20, lossRate: 0.1, duplicateRate: 0.1 });
  const log: string[] = [];
  for (const id of ids) {
    nodes[id]!.rpc.onRequest(async (from, msg) => {
      log.push(`${clock.now()} ${id} handles ${String(msg)} from ${from}`);
      return `${id}:${String(msg)}`;
    });
    nodes[id]!.datagram.onMessage((from, payload) => log.push(`${clock.now()} ${id} gossip ${payload.toString()} from ${from.host}`));
  }
  const work = new SeededRng(777); // the workload is fixed; only the network seed varies
  const results: Array<Promise<unknown>> = [];
  for (let i = 0; i < 200; i++) {
    const from = ids[work.int(4)]!;
    const to = ids[work.int(4)]!;
    if (work.next() < 0.5) results.push(outcome(nodes[from]!.rpc.request(to, `m${i}`)));
    else nodes[from]!.datagram.send(nodes[to]!.address, Buffer.from(`g${i}`));
    await run(clock, work.int(3));
  }
  await run(clock, 200);
  const settled = await Promise.all(results);
  return [...log, ...settled.map(String), ...events.map((e) => JSON.stringify(e))];
}

t.test('the same seed gives the same history, message for message', async (t) => {
  const first = await workload(12345);
  const second = await workload(12345);
  t.same(second, first);
  t.ok(first.some((l) => l.includes('"reason":"loss"')), 'some messages were lost');
  t.ok(first.some((l) => l.startsWith('TIMEOUT')), 'some requests timed out');
  const other = await workload(54321);
  t.not(other.join('\n'), first.join('\n'), 'another seed, another history');
});

t.test('random delays reorder messages', async (t) => {
  const { clock, nodes } = cluster(3, ['a', 'b'], { minDelayMs: 1, maxDelayMs: 50 });
  const got: number[] = [];
  nodes.b!.datagram.onMessage((from, p) => {
    t.same(from, nodes.a!.address);
    got.push(p.readUInt32BE(0));
  });
  const buf = Buffer.alloc(4);
  for (let i = 0; i < 100; i++) {
    buf.writeUInt32BE(i);
    nodes.a!.datagram.send(nodes.b!.address, buf); // the same buffer, reused: each send is copied
  }
  clock.advance(50);
  t.same([...got].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i), 'all arrived, each once');
  t.not(got.join(), [...got].sort((x, y) => x - y).join(), 'not in the order sent');
});

t.test('lost messages: datagrams vanish, requests time out by the clock', async (t) => {
  const obs = new CountingObserver();
  const { clock, net, events } = memoryNet(4, { lossRate: 1 });
  const a = net.attach('a', { requestTimeoutMs: 30, observer: obs });
  const b = net.attach('b');
  net.introduceAll();
  let handled = 0;
  b.rpc.onRequest(() => handled++);
  let got = 0;
  b.datagram.onMessage(() => got++);
  a.datagram.send(b.address, Buffer.from('x'));
  const p = outcome(a.rpc.request('b', 1));
  await run(clock, 29);
  t.equal(await Promise.race([p, flush().then(() => 'pending')]), 'pending');
  await run(clock, 1);
  t.equal(await p, 'TIMEOUT request to b timed out after 30 ms');
  t.same([got, handled], [0, 0]);
  t.same(events.filter((e) => e.event === 'drop').map((e) => e.reason), ['loss', 'loss']);
  t.same(obs.errors, [['b', 'timeout']]);

  net.setFaults({ lossRate: 0.5 });
  for (let i = 0; i < 1000; i++) a.datagram.send(b.address, Buffer.from('y'));
  clock.advance(5);
  t.ok(got > 400 && got < 600, `about half arrive (${got})`);
});

t.test('duplicated messages arrive twice; a request runs twice but resolves once', async (t) => {
  const { clock, nodes } = cluster(5, ['a', 'b'], { duplicateRate: 1, minDelayMs: 1, maxDelayMs: 3 });
  const payloads: Buffer[] = [];
  nodes.b!.datagram.onMessage((_f, p) => payloads.push(p));
  nodes.a!.datagram.send(nodes.b!.address, Buffer.from('dup'));
  clock.advance(3);
  t.equal(payloads.length, 2);
  t.not(payloads[0], payloads[1], 'each copy has its own buffer');
  t.same(payloads[0], payloads[1]);
  let handled = 0;
  nodes.b!.rpc.onRequest(() => ++handled);
  const r = await Promise.all([nodes.a!.rpc.request('b', 'x'), run(clock, 10)]);
  t.equal(handled, 2, 'the handler ran for both copies');
  t.ok(r[0] === 1 || r[0] === 2);
});

t.test('a partition cuts both ways until healed', async (t) => {
  const { clock, net, nodes } = cluster(6, ['a', 'b', 'c']);
  for (const id of ['a', 'b', 'c']) nodes[id]!.rpc.onRequest(() => id);
  net.partition(['a'], ['b', 'c']);
  t.notOk(net.canReach('a', 'b'));
  t.notOk(net.canReach('c', 'a'));
  t.ok(net.canReach('b', 'c'));
  t.notOk(nodes.a!.rpc.isConnected('b'));
  const [ab, ba, bc] = await Promise.all([
    outcome(nodes.a!.rpc.request('b', 1)),
    outcome(nodes.b!.rpc.request('a', 1)),
    outcome(nodes.b!.rpc.request('c', 1)),
    run(clock, 100),
  ]);
  t.match(ab, /^TIMEOUT/);
  t.match(ba, /^TIMEOUT/);
  t.equal(bc, 'c');
  net.heal();
  const [healed] = await Promise.all([nodes.a!.rpc.request('b', 1), run(clock, 5)]);
  t.equal(healed, 'b');
});

t.test('a one-way partition drops only one direction', async (t) => {
  const { clock, net, nodes, events } = cluster(7, ['a', 'b']);
  net.partition(['a'], ['b'], true);
  const at = { a: 0, b: 0 };
  nodes.a!.datagram.onMessage(() => at.a++);
  nodes.b!.datagram.onMessage(() => at.b++);
  nodes.a!.datagram.send(nodes.b!.address, Buffer.from('x'));
  nodes.b!.datagram.send(nodes.a!.address, Buffer.from('y'));
  clock.advance(2);
  t.same(at, { a: 1, b: 0 });
  // b asks a: the request gets there, the reply does not.
  let sideEffects = 0;
  nodes.a!.rpc.onRequest(() => ++sideEffects);
  const [r] = await Promise.all([outcome(nodes.b!.rpc.request('a', 1)), run(clock, 100)]);
  t.match(r, /^TIMEOUT/);
  t.equal(sideEffects, 1, 'the handler ran although the caller never heard back');
  t.ok(events.some((e) => e.kind === 'reply' && e.reason === 'partition'));
});

t.test('a partition formed while a message is on its way drops it', async (t) => {
  const { clock, net, nodes, events } = cluster(8, ['a', 'b'], { minDelayMs: 10, maxDelayMs: 10 });
  let got = 0;
  nodes.b!.datagram.onMessage(() => got++);
  nodes.a!.datagram.send(nodes.b!.address, Buffer.from('x'));
  clock.advance(5);
  net.partition(['b'], ['a']);
  clock.advance(5);
  t.equal(got, 0);
  t.equal(events.at(-1)?.reason, 'partition');
});

t.test('an isolated node hears nothing and is heard by no one until restored', async (t) => {
  const { clock, net, nodes } = cluster(9, ['a', 'b', 'c']);
  for (const id of ['a', 'b', 'c']) nodes[id]!.rpc.onRequest(() => id);
  net.isolate('b');
  const [ab, ba, ac] = await Promise.all([
    outcome(nodes.a!.rpc.request('b', 1)),
    outcome(nodes.b!.rpc.request('a', 1)),
    outcome(nodes.a!.rpc.request('c', 1)),
    run(clock, 100),
  ]);
  t.match(ab, /^TIMEOUT/);
  t.match(ba, /^TIMEOUT/);
  t.equal(ac, 'c');
  net.restore('b');
  t.equal((await Promise.all([nodes.a!.rpc.request('b', 1), run(clock, 3)]))[0], 'b');
  net.isolate('c');
  net.heal();
  t.ok(net.canReach('a', 'c'), 'heal ends isolation too');
});

t.test('a stopped node refuses connections; restarted, it answers at the same address', async (t) => {
  const { clock, net, nodes } = cluster(10, ['a', 'b']);
  const oldAddress = nodes.b!.address;
  await nodes.b!.close();
  t.notOk(nodes.a!.rpc.isConnected('b'));
  const [r] = await Promise.all([outcome(nodes.a!.rpc.request('b', 1)), run(clock, 5)]);
  t.equal(r, `UNAVAILABLE cannot connect to b at ${oldAddress.host}:7000: ECONNREFUSED`);
  t.throws(() => net.attach('x', { address: nodes.a!.address }), /in use by a/);
  t.throws(() => net.attach('a', { address: { host: '9.9.9.9', port: 1 } }), /already attached/);
  const b2 = net.attach('b');
  t.same(b2.address, oldAddress);
  b2.rpc.onRequest(() => 'back');
  t.equal((await Promise.all([nodes.a!.rpc.request('b', 1), run(clock, 3)]))[0], 'back');
});

t.test('a refusal does not cross a partition: the caller times out', async (t) => {
  const { clock, net, nodes } = cluster(11, ['a', 'b']);
  await nodes.b!.close();
  net.partition(['a'], ['b']);
  const [r] = await Promise.all([outcome(nodes.a!.rpc.request('b', 1)), run(clock, 100)]);
  t.match(r, /^TIMEOUT/);
});

t.test('nothing at an address: refused; a per-request timeout overrides the default', async (t) => {
  const { clock, nodes, events } = cluster(18, ['a', 'b']);
  nodes.a!.rpc.setPeerAddress('ghost', { host: '1.2.3.4', port: 5 });
  const [r] = await Promise.all([outcome(nodes.a!.rpc.request('ghost', 1)), run(clock, 5)]);
  t.equal(r, 'UNAVAILABLE cannot connect to ghost at 1.2.3.4:5: ECONNREFUSED');
  t.equal(events.at(-1)?.to, '1.2.3.4:5');
  nodes.b!.rpc.onRequest(() => new Promise(() => {}));
  const [quick] = await Promise.all([outcome(nodes.a!.rpc.request('b', 1, { timeoutMs: 7 })), run(clock, 7)]);
  t.equal(quick, 'TIMEOUT request to b timed out after 7 ms');
});

t.test('a reply from a peer forgotten meanwhile is ignored', async (t) => {
  const { clock, nodes } = cluster(19, ['a', 'b']);
  let answer!: (v: unknown) => void;
  nodes.b!.rpc.onRequest(() => new Promise((r) => (answer = r)));
  const p = outcome(nodes.a!.rpc.request('b', 1));
  await run(clock, 2);
  nodes.a!.rpc.setPeerAddress('b', null);
  answer('late');
  await run(clock, 5);
  t.equal(await p, 'UNAVAILABLE b is no longer a peer');
});

t.test('the wrong node at an address is refused', async (t) => {
  const { clock, nodes } = cluster(12, ['a', 'b', 'c']);
  nodes.a!.rpc.setPeerAddress('b', nodes.c!.address);
  const [r] = await Promise.all([outcome(nodes.a!.rpc.request('b', 1)), run(clock, 5)]);
  t.match(r, /expected node b but c answered/);
  t.notOk(nodes.a!.rpc.isConnected('b'));
});

t.test('messages are copies; errors and limits behave as over TCP', async (t) => {
  const obs = new CountingObserver();
  const { clock, net } = memoryNet(13);
  const a = net.attach('a', { observer: obs, maxFrameBytes: 100, maxInFlightPerPeer: 1, maxQueuedPerPeer: 0 });
  const b = net.attach('b', { maxFrameBytes: 100, address: { host: '192.168.0.2', port: 1 } });
  net.introduceAll();
  await t.rejects(Promise.all([a.rpc.request('b', 1), run(clock, 5)]), { code: 'UNAVAILABLE', message: 'b is not serving requests yet' });
  const sent = { list: [1, 2] };
  let received: unknown;
  b.rpc.onRequest((_f, m) => {
    received = m;
    if (m === 'conflict') throw new QkvError('CONFLICT', 'nope');
    if (m === 'big') return Buffer.alloc(200);
    if (m === 'plain') throw new Error('boom');
    return m;
  });
  const p = a.rpc.request('b', sent);
  sent.list.push(3);
  await run(clock, 3);
  t.same(await p, { list: [1, 2] }, 'changing a sent message does not change what arrives');
  t.not(received, sent);
  await t.rejects(Promise.all([a.rpc.request('b', 'conflict'), run(clock, 3)]), new QkvError('CONFLICT', 'nope'));
  await t.rejects(Promise.all([a.rpc.request('b', 'big'), run(clock, 3)]), { code: 'ERR', message: /exceeds the maximum frame of 100/ });
  await t.rejects(Promise.all([a.rpc.request('b', 'plain'), run(clock, 3)]), { code: 'ERR', message: 'boom' });
  await t.rejects(a.rpc.request('b', Buffer.alloc(200)), { code: 'ERR' });
  const held = a.rpc.request('b', 'first');
  await t.rejects(a.rpc.request('b', 'second'), { code: 'UNAVAILABLE', message: 'too many requests in flight to b' });
  await run(clock, 3);
  t.equal(await held, 'first');
  a.rpc.onRequest((from, m) => `${from} says ${String(m)}`);
  t.equal(await a.rpc.request('a', 'hi'), 'a says hi');
  await t.rejects(a.rpc.request('nobody', 1), { code: 'UNAVAILABLE', message: 'no address for nobody' });
  t.ok(obs.errors.some(([p, k]) => p === 'nobody' && k === 'unavailable'));
});

t.test('forgetting a peer or closing fails pending requests; replies to closed nodes are dropped', async (t) => {
  const { clock, net, nodes, events } = cluster(14, ['a', 'b']);
  nodes.b!.rpc.onRequest(() => new Promise(() => {}));
  const forgotten = outcome(nodes.a!.rpc.request('b', 1));
  nodes.a!.rpc.setPeerAddress('b', null);
  nodes.a!.rpc.setPeerAddress('nobody', null);
  t.equal(await forgotten, 'UNAVAILABLE b is no longer a peer');
  net.introduceAll();
  const closing = outcome(nodes.a!.rpc.request('b', 1));
  await nodes.a!.rpc.close();
  await nodes.a!.rpc.close();
  t.equal(await closing, 'UNAVAILABLE transport closed');
  t.equal(await outcome(nodes.a!.rpc.request('b', 1)), 'UNAVAILABLE transport closed');
  t.notOk(nodes.a!.rpc.isConnected('b'));
  // b answers a request from c after c closed: the reply is dropped as 'closed'.
  const c = net.attach('c');
  c.rpc.setPeerAddress('b', nodes.b!.address);
  let answer!: (v: unknown) => void;
  nodes.b!.rpc.onRequest(() => new Promise((r) => (answer = r)));
  const late = outcome(c.rpc.request('b', 1));
  await run(clock, 2);
  await c.close();
  answer('too late');
  await run(clock, 2);
  t.equal(await late, 'UNAVAILABLE transport closed');
  t.equal(events.at(-1)?.reason, 'closed');
  // A request to a node that stops while it is on its way is dropped as 'closed'.
  const d = net.attach('d', { requestTimeoutMs: 10 });
  d.rpc.setPeerAddress('b', nodes.b!.address);
  const lost = outcome(d.rpc.request('b', 1));
  await nodes.b!.close();
  await run(clock, 10);
  t.match(await lost, /^TIMEOUT/);
});

t.test('a node that closes while serving sends no reply', async (t) => {
  const { clock, nodes } = cluster(15, ['a', 'b']);
  let answer!: (v: unknown) => void;
  nodes.b!.rpc.onRequest(() => new Promise((r) => (answer = r)));
  const p = outcome(nodes.a!.rpc.request('b', 1));
  await run(clock, 2);
  await nodes.b!.rpc.close();
  answer('x');
  await run(clock, 100);
  t.match(await p, /^TIMEOUT/);
});

t.test('datagrams: addresses, sizes and closed endpoints', async (t) => {
  const { clock, net, nodes, events } = cluster(16, ['a', 'b']);
  const got: Array<[PeerAddress, string]> = [];
  nodes.b!.datagram.onMessage((from, p) => got.push([from, p.toString()]));
  nodes.a!.datagram.send({ host: '1.2.3.4', port: 5 }, Buffer.from('nowhere'));
  nodes.a!.datagram.send(nodes.b!.address, Buffer.alloc(70_000));
  t.same(events.map((e) => e.reason), ['no-route', 'too-large']);
  t.equal(events[0]!.to, '1.2.3.4:5');
  await nodes.b!.datagram.close();
  nodes.a!.datagram.send(nodes.b!.address, Buffer.from('closed'));
  clock.advance(2);
  t.equal(events.at(-1)?.reason, 'closed');
  await nodes.a!.datagram.close();
  nodes.a!.datagram.send(nodes.b!.address, Buffer.from('from closed'));
  t.same(got, []);
  t.notOk(nodes.a!.datagram.isOpen);
  t.ok(nodes.a!.rpc.isOpen);
  // Without an onMessage handler, datagrams are dropped quietly.
  const c = net.attach('c');
  nodes.b!.rpc.setPeerAddress('c', c.address);
  const e = net.attach('e');
  e.datagram.send(c.address, Buffer.from('unheard'));
  clock.advance(2);
  t.equal(events.at(-1)?.event, 'deliver');
});

t.test('fault settings are validated', async (t) => {
  const { net } = memoryNet(17);
  t.throws(() => net.setFaults({ minDelayMs: 5, maxDelayMs: 2 }), RangeError);
  t.throws(() => net.setFaults({ minDelayMs: -1 }), RangeError);
  t.throws(() => net.setFaults({ lossRate: 2 }), RangeError);
  t.throws(() => net.setFaults({ duplicateRate: -0.1 }), RangeError);
  net.setFaults({ minDelayMs: 0, maxDelayMs: 0 });
  t.same(net.linkFaults, { minDelayMs: 0, maxDelayMs: 0, lossRate: 0, duplicateRate: 0 });
  const quiet = new (net.constructor as typeof import('../../src/transport/memory-network.js').MemoryNetwork)({
    clock: net.clock,
    rng: new SeededRng(1),
  });
  const x = quiet.attach('x');
  const y = quiet.attach('y');
  x.datagram.send(y.address, Buffer.from('no listener, no trace'));
  t.same(x.address, { host: '10.0.0.1', port: 7000 });
});
