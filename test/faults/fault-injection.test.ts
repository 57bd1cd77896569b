import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { SeededRng } from '../../src/core/rng.js';
import { isQkvError } from '../../src/core/errors.js';
import { MemoryNetwork } from '../../src/transport/memory-network.js';
import { FaultInjector, faultyDatagramTransport, faultyRpcTransport, type FaultStatus } from '../../src/server/fault-injection.js';

// The injector's wrappers over an in-memory network on a manual clock: a
// dropped request fails as a lost packet would (TIMEOUT after its timeout),
// an incoming one from a partitioned peer never reaches the handler.

function world() {
  const clock = new ManualClock();
  const net = new MemoryNetwork({ clock, rng: new SeededRng(7) });
  const a = net.attach('a');
  const b = net.attach('b');
  const changes: FaultStatus[] = [];
  const faults = new FaultInjector({ clock, requestTimeoutMs: () => 500, onChange: (s) => changes.push(s) });
  const rpcA = faultyRpcTransport(a.rpc, faults);
  const handledByA: string[] = [];
  const handledByB: string[] = [];
  rpcA.onRequest((from, msg) => {
    handledByA.push(from);
    return { echo: msg, by: 'a' };
  });
  b.rpc.onRequest((from, msg) => {
    handledByB.push(from);
    return { echo: msg, by: 'b' };
  });
  rpcA.setPeerAddress('b', b.address);
  b.rpc.setPeerAddress('a', a.address);
  return { clock, net, a, b, faults, rpcA, handledByA, handledByB, changes };
}

/** Settles a promise while moving the manual clock forward in small steps. */
async function settle<T>(clock: ManualClock, p: Promise<T>, maxMs = 10_000): Promise<{ ok: T } | { err: unknown; atMs: number }> {
  const start = clock.now();
  let result: { ok: T } | { err: unknown; atMs: number } | null = null;
  p.then(
    (ok) => (result = { ok }),
    (err: unknown) => (result = { err, atMs: clock.now() - start }),
  );
  for (let waited = 0; result === null && waited <= maxMs; waited += 10) {
    await new Promise((r) => setImmediate(r));
    clock.advance(10);
  }
  await new Promise((r) => setImmediate(r));
  if (result === null) throw new Error('did not settle');
  return result;
}

t.test('without faults, requests pass both ways and the real members show through', async (t) => {
  const w = world();
  t.same(await settle(w.clock, w.rpcA.request('b', 1)), { ok: { echo: 1, by: 'b' } });
  t.same(await settle(w.clock, w.b.rpc.request('a', 2)), { ok: { echo: 2, by: 'a' } });
  t.equal(w.rpcA.nodeId, 'a');
  t.equal(w.rpcA.isConnected('b'), w.a.rpc.isConnected('b'));
  t.equal(faultyRpcTransport(w.a.rpc, null), w.a.rpc, 'no injector: the transport itself');
  t.equal(faultyDatagramTransport(w.a.datagram, undefined), w.a.datagram);
});

t.test('PARTITION drops both ways: outgoing times out, incoming is never handled', async (t) => {
  const w = world();
  w.faults.partition(['b'], false);
  const out = await settle(w.clock, w.rpcA.request('b', 'x', { timeoutMs: 300 }));
  t.ok('err' in out && isQkvError(out.err) && out.err.code === 'TIMEOUT', 'outgoing fails with TIMEOUT');
  t.ok('atMs' in out && out.atMs >= 300, 'after its own timeout');
  t.same(w.handledByB, [], 'b never saw it');
  const inc = await settle(w.clock, w.b.rpc.request('a', 'y', { timeoutMs: 300 }));
  t.ok('err' in inc && isQkvError(inc.err) && inc.err.code === 'TIMEOUT', 'incoming is not answered');
  t.same(w.handledByA, [], 'a never handled it');
  const self = await settle(w.clock, w.rpcA.request('a', 'me'));
  t.same(self, { ok: { echo: 'me', by: 'a' } }, 'requests to itself still work');
  t.same(w.faults.status().partitioned, ['b']);
  t.equal(w.faults.status().dropped.requestsOut, 1);
  t.equal(w.faults.status().dropped.requestsIn, 1);

  w.faults.heal();
  t.same(await settle(w.clock, w.rpcA.request('b', 'z')), { ok: { echo: 'z', by: 'b' } }, 'healed');
  t.same(w.faults.status().partitioned, []);
  t.equal(w.changes.length, 2, 'each change reported');
});

t.test('PARTITION-ONEWAY drops only what this node sends; the default timeout applies', async (t) => {
  const w = world();
  w.faults.partition(['b'], true);
  const out = await settle(w.clock, w.rpcA.request('b', 'x'));
  t.ok('atMs' in out && out.atMs >= 500 && out.atMs < 600, 'the injector default timeout');
  t.same(await settle(w.clock, w.b.rpc.request('a', 'y')), { ok: { echo: 'y', by: 'a' } }, 'b still reaches a');
  t.same(w.faults.status().outgoingOnly, ['b']);
  w.faults.partition(['b'], false);
  t.same(w.faults.status(), { partitioned: ['b'], outgoingOnly: [], clockOffsetMs: 0, delays: {}, disk: 'off', dropped: { requestsOut: 1, requestsIn: 0, datagramsOut: 0, datagramsIn: 0 } }, 'upgraded to both ways');
  w.faults.partition(['b'], true);
  t.same(w.faults.status().outgoingOnly, [], 'one-way does not weaken a full partition');
  w.faults.heal(['b', 'c']);
  t.same(w.faults.status().partitioned, []);
});

t.test('identify of a partitioned peer address fails UNAVAILABLE after the timeout; others pass', async (t) => {
  const w = world();
  const c = w.net.attach('c');
  w.faults.partition(['b'], false);
  const id = await settle(w.clock, w.rpcA.identify(w.b.address, { timeoutMs: 200 }));
  t.ok('err' in id && isQkvError(id.err) && id.err.code === 'UNAVAILABLE' && /dropped by fault injection/.test(id.err.message));
  t.same(await settle(w.clock, w.rpcA.identify(c.address)), { ok: 'c' });
  // Peers can be named by address too.
  w.faults.heal();
  w.faults.partition([`${c.address.host}:${c.address.port}`], false);
  const byAddr = await settle(w.clock, w.rpcA.identify(c.address, { timeoutMs: 100 }));
  t.ok('err' in byAddr);
  w.rpcA.setPeerAddress('b', null);
  t.notOk(w.faults.dropsOutgoingTo(w.b.address), 'a forgotten address maps to no id');
});

t.test('datagrams: dropped by id (learned from setPeerAddress) and by address, both ways', async (t) => {
  const w = world();
  const dgA = faultyDatagramTransport(w.a.datagram, w.faults);
  const gotA: string[] = [];
  const gotB: string[] = [];
  dgA.onMessage((_from, p) => gotA.push(p.toString()));
  w.b.datagram.onMessage((_from, p) => gotB.push(p.toString()));
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) {
      w.clock.advance(5);
      await new Promise((r) => setImmediate(r));
    }
  };
  dgA.send(w.b.address, Buffer.from('1'));
  w.b.datagram.send(w.a.address, Buffer.from('2'));
  await flush();
  t.same([gotA, gotB], [['2'], ['1']]);
  t.same(dgA.address, w.a.address, 'address is the real one');

  w.faults.partition(['b'], false);
  dgA.send(w.b.address, Buffer.from('3'));
  w.b.datagram.send(w.a.address, Buffer.from('4'));
  await flush();
  t.same([gotA, gotB], [['2'], ['1']], 'nothing crosses');

  w.faults.partition(['b'], true);
  w.faults.heal();
  w.faults.partition(['b'], true);
  dgA.send(w.b.address, Buffer.from('5'));
  w.b.datagram.send(w.a.address, Buffer.from('6'));
  await flush();
  t.same([gotA, gotB], [['2', '6'], ['1']], 'one way: a hears b, b does not hear a');
  t.same(w.faults.status().dropped, { requestsOut: 0, requestsIn: 0, datagramsOut: 2, datagramsIn: 1 });
});

t.test('the clock offset shifts wall time only', async (t) => {
  const clock = new ManualClock(1_000_000);
  const faults = new FaultInjector({ clock, requestTimeoutMs: () => 100 });
  t.equal(faults.clock.now(), 1_000_000);
  faults.setClockOffset(-60_000);
  t.equal(faults.clock.now(), 940_000);
  t.equal(faults.clock.monotonic(), 1_000_000, 'monotonic unaffected');
  let fired = 0;
  faults.clock.setTimeout(() => fired++, 50);
  const every = faults.clock.setInterval(() => fired++, 20);
  clock.advance(60);
  every.cancel();
  t.equal(fired, 4, 'timers run on real time');
  t.equal(faults.status().clockOffsetMs, -60_000);
});

t.test('DELAY holds a request out and its answer back, failures too, and only toward that peer', async (t) => {
  const w = world();
  w.faults.setDelay('b', 100, 0);
  const slow = await settle(w.clock, w.rpcA.request('b', 1));
  t.same(slow, { ok: { echo: 1, by: 'b' } });
  const start = w.clock.now();
  const timed = w.rpcA.request('b', 2);
  let at = -1;
  void timed.then(() => (at = w.clock.now() - start));
  await settle(w.clock, timed);
  t.ok(at >= 200 && at < 240, `the round trip took the delay twice (${at} ms)`);
  t.same(w.handledByB, ['a', 'a'], 'the requests were handled');
  const back = await settle(w.clock, w.b.rpc.request('a', 3));
  t.same(back, { ok: { echo: 3, by: 'a' } }, 'what b sends is not delayed by a');
  w.b.rpc.onRequest(() => {
    throw new Error('refused');
  });
  const failed = await settle(w.clock, w.rpcA.request('b', 4));
  t.ok('err' in failed && failed.atMs >= 200, 'a failure comes back late as well');
  t.same(w.faults.status().delays, { b: { ms: 100, jitterMs: 0 } });
  t.same(w.changes.at(-1)?.delays, { b: { ms: 100, jitterMs: 0 } }, 'the change is told');
});

t.test('DELAY holds gossip datagrams to the peer, by id or by address', async (t) => {
  const w = world();
  const dgA = faultyDatagramTransport(w.a.datagram, w.faults);
  const gotB: string[] = [];
  w.b.datagram.onMessage((_from, p) => gotB.push(p.toString()));
  const pass = async (ms: number): Promise<void> => {
    for (let i = 0; i < ms / 5; i++) {
      w.clock.advance(5);
      await new Promise((r) => setImmediate(r));
    }
  };
  w.faults.setDelay('b', 50, 0);
  dgA.send(w.b.address, Buffer.from('1'));
  await pass(30);
  t.same(gotB, [], 'not yet');
  await pass(40);
  t.same(gotB, ['1'], 'after the delay');
  w.faults.setDelay('b', 0, 0);
  w.faults.setDelay(`${w.b.address.host}:${w.b.address.port}`, 50, 0);
  dgA.send(w.b.address, Buffer.from('2'));
  await pass(30);
  t.same(gotB, ['1'], 'by address');
  await pass(40);
  t.same(gotB, ['1', '2']);
  w.faults.setDelay(`${w.b.address.host}:${w.b.address.port}`, 0, 0);
  dgA.send(w.b.address, Buffer.from('3'));
  await pass(10);
  t.same(gotB, ['1', '2', '3'], 'no delay once it is ended');
});
