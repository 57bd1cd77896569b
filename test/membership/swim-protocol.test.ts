import t, { type Test } from 'tap';
import { encodeMessage } from '../../src/transport/codec.js';
import { SwimCodec, encodeUpdate, parseUpdate } from '../../src/membership/swim-codec.js';
import { PHI_MAX, PhiAccrual } from '../../src/membership/phi-accrual.js';
import { suspicionTimeoutMs, minSuspicionMs } from '../../src/membership/suspicion.js';
import { BroadcastQueue, retransmitLimit } from '../../src/membership/broadcast-queue.js';
import { judge } from '../../src/membership/member-state.js';
import { isMembershipMessage, PUSH_PULL, type MemberEvent } from '../../src/membership/swim-options.js';
import { SimCluster, member, rec } from './helpers.js';

async function pair(t: Test, secret?: string): Promise<SimCluster> {
  const c = new SimCluster(3);
  t.teardown(() => c.stopAll());
  await c.start('a', { secret });
  await c.start('b', { seeds: [c.address('a')], secret });
  await c.start('c', { seeds: [c.address('a')], secret });
  t.not(await c.until(() => ['a', 'b', 'c'].every((x) => ['a', 'b', 'c'].every((y) => c.status(x, y) === 'alive')), 10_000), -1);
  return c;
}

t.test('a suspected member refutes by raising its incarnation', async (t) => {
  const c = await pair(t);
  const b = c.nodes.get('b')!;
  const before = b.membership.self.incarnation;
  // Cut b off just long enough to be suspected, not declared dead.
  c.net.isolate('b');
  t.not(await c.until(() => c.status('a', 'b') === 'suspect' || c.status('c', 'b') === 'suspect', 10_000, 50), -1);
  c.net.restore('b');
  t.not(await c.until(() => c.status('a', 'b') === 'alive' && c.status('c', 'b') === 'alive', 10_000, 50), -1, 'alive again');
  t.ok(b.membership.self.incarnation > before, 'with a higher incarnation');
  t.ok((b.counters.get('refuted') ?? 0) >= 1);
});

t.test('a restart comes back with a higher incarnation and is alive to others at once', async (t) => {
  const c = await pair(t);
  const old = c.nodes.get('b')!.membership.self.incarnation;
  await c.stop('b');
  await c.run(2000);
  const b = await c.start('b');
  t.ok(b.membership.self.incarnation > old);
  t.equal(b.membership.members().length, 3, 'the stored table gives the ring before anyone answers');
  t.equal(b.membership.ring().owners.length, 3);
  t.not(await c.until(() => c.status('a', 'b') === 'alive' && c.status('b', 'a') === 'alive' && c.status('b', 'c') === 'alive', 3000, 50), -1);
  t.equal(c.nodes.get('a')!.membership.members().find((m) => m.info.id === 'b')?.incarnation, b.membership.self.incarnation);
});

t.test('unauthenticated, garbage and oversize datagrams are dropped and counted', async (t) => {
  const c = await pair(t, 'secret-1');
  const a = c.nodes.get('a')!;
  const stranger = c.net.attach('x');
  const wrongKey = new SwimCodec('other', 1400).seal({ t: 'ping', nonce: 1, from: 'x', to: 'a' }, [], () => []);
  stranger.datagram.send(c.address('a'), wrongKey);
  stranger.datagram.send(c.address('a'), Buffer.from('hi'));
  stranger.datagram.send(c.address('a'), Buffer.alloc(2000));
  const right = new SwimCodec('secret-1', 1400);
  const body = encodeMessage({ v: 99, t: 'ack', s: 1, f: 'x', u: [] });
  stranger.datagram.send(c.address('a'), Buffer.concat([Buffer.alloc(16), body]));
  stranger.datagram.send(c.address('a'), right.seal({ t: 'ping', nonce: 1, from: 'x', to: 'nobody' }, [], () => []));
  await c.run(100);
  t.equal(a.counters.get('dropped:bad-mac'), 2);
  t.equal(a.counters.get('dropped:too-short'), 1);
  t.equal(a.counters.get('dropped:oversize'), 1);
  t.equal(a.counters.get('dropped:wrong-target'), 1);
  t.equal(c.status('a', 'b'), 'alive', 'nothing else changed');
  await stranger.close();
});

t.test('codec: round trip, size limit, malformed bodies', async (t) => {
  const codec = new SwimCodec(undefined, 1400);
  const updates = Array.from({ length: 40 }, (_, i) => encodeUpdate({ kind: 'alive', member: member(`m${i}`) }));
  const q = new BroadcastQueue(() => 2);
  updates.forEach((u, i) => q.add(`m${i}`, u));
  const dg = codec.seal({ t: 'ping-req', nonce: 7, from: 'a', to: 'b', addr: { host: '10.0.0.2', port: 7000 } }, [], (b, o) => q.take(b, o));
  t.ok(dg.length <= 1400, `fits (${dg.length} bytes)`);
  const opened = codec.open(dg);
  t.ok(opened.ok);
  if (opened.ok) {
    t.same(opened.msg, { t: 'ping-req', nonce: 7, from: 'a', to: 'b', addr: { host: '10.0.0.2', port: 7000 } });
    t.ok(opened.updates.length > 3 && opened.updates.length < 40, `${opened.updates.length} updates piggybacked`);
  }
  t.equal(parseUpdate({ k: 's', i: 'a', n: 1, b: 'b' })?.kind, 'suspect');
  t.equal(parseUpdate({ k: 'z' }), null);
  t.equal(parseUpdate({ k: 'a', m: {} }), null);
  t.equal(parseUpdate(null), null);
  t.equal(retransmitLimit(4, 3), 4);
  t.equal(retransmitLimit(4, 100), 12);
});

t.test('gossip rules: incarnations and status precedence', async (t) => {
  const cur = rec(member('x', { incarnation: 5 }));
  t.equal(judge(cur, { kind: 'alive', member: member('x', { incarnation: 5 }) }), 'ignore');
  t.equal(judge(cur, { kind: 'alive', member: member('x', { incarnation: 6 }) }), 'apply');
  t.equal(judge(cur, { kind: 'suspect', id: 'x', incarnation: 5, by: 'y' }), 'apply');
  t.equal(judge(rec(cur.info, 'suspect'), { kind: 'suspect', id: 'x', incarnation: 5, by: 'z' }), 'confirm');
  t.equal(judge(cur, { kind: 'suspect', id: 'x', incarnation: 4, by: 'y' }), 'ignore');
  t.equal(judge(rec(cur.info, 'dead'), { kind: 'suspect', id: 'x', incarnation: 5, by: 'y' }), 'ignore');
  t.equal(judge(cur, { kind: 'dead', id: 'x', incarnation: 5, by: 'y' }), 'apply');
  t.equal(judge(rec(cur.info, 'dead'), { kind: 'dead', id: 'x', incarnation: 5, by: 'y' }), 'ignore');
  t.equal(judge(rec(cur.info, 'dead'), { kind: 'left', id: 'x', incarnation: 5, by: 'y' }), 'apply');
  t.equal(judge(rec(cur.info, 'left'), { kind: 'left', id: 'x', incarnation: 5, by: 'y' }), 'ignore');
  t.equal(judge(rec(cur.info, 'left'), { kind: 'alive', member: member('x', { incarnation: 9 }) }), 'ignore', 'a removed member stays out');
  t.equal(judge(rec(cur.info, 'left'), { kind: 'alive', member: member('x', { incarnation: 9, state: 'joining' }) }), 'apply', 'unless it joins again');
  t.equal(judge(undefined, { kind: 'dead', id: 'x', incarnation: 5, by: 'y' }), 'ignore');
});

t.test('Lifeguard suspicion timeout shrinks with confirmations', async (t) => {
  t.equal(suspicionTimeoutMs(0, 2, 4000, 24000), 24000);
  t.ok(suspicionTimeoutMs(1, 2, 4000, 24000) < 24000);
  t.equal(suspicionTimeoutMs(2, 2, 4000, 24000), 4000);
  t.equal(suspicionTimeoutMs(0, 0, 4000, 24000), 4000);
  t.equal(minSuspicionMs(4, 3, 1000), 4000);
  t.equal(minSuspicionMs(4, 100, 1000), 8000);
});

t.test('phi grows for a silent peer', async (t) => {
  const p = new PhiAccrual({ window: 10, minStdDevMs: 100 });
  t.equal(p.phi(0), 0, 'no data');
  for (let i = 0; i <= 20; i++) p.heartbeat(i * 1000);
  const soon = p.phi(20_500);
  const late = p.phi(23_000);
  const silent = p.phi(60_000);
  t.ok(soon < 1, `on time: ${soon.toFixed(2)}`);
  t.ok(late > soon && silent > late, `grows: ${late.toFixed(2)} then ${silent.toFixed(2)}`);
  t.equal(silent, PHI_MAX);
});

t.test('phi of a peer that stops answering grows in the membership', async (t) => {
  const c = await pair(t);
  await c.run(10_000);
  const a = c.nodes.get('a')!.membership;
  const calm = a.phi('b');
  c.net.isolate('b');
  await c.run(3000, 50);
  t.ok(a.phi('b') > calm, `phi ${calm.toFixed(2)} -> ${a.phi('b').toFixed(2)}`);
  t.equal(a.phi('a'), 0);
  t.equal(a.phi('nobody'), 0);
});

t.test('a member that steps aside for a failing disk says so in its record; it stays alive and in the ring', async (t) => {
  const c = await pair(t);
  const a = c.nodes.get('a')!.membership;
  const b = c.nodes.get('b')!.membership;
  const before = b.self.incarnation;
  b.setSelfHealth('storage write failed: I/O error');
  t.equal(b.self.incarnation, before + 1, 'a record change outranks the old record');
  b.setSelfHealth('storage write failed: I/O error');
  t.equal(b.self.incarnation, before + 1, 'the same reason again is no change');
  t.not(await c.until(() => a.unhealthy('b') === 'storage write failed: I/O error', 5000, 50), -1);
  t.equal(c.status('a', 'b'), 'alive');
  t.ok(a.isReachable('b'), 'SWIM still reaches it: stepping aside is the data path\'s business');
  t.ok(a.ring().member('b'), 'and it keeps its ranges');
  b.setSelfHealth(null);
  t.not(await c.until(() => a.unhealthy('b') === undefined, 5000, 50), -1, 'recovery spreads too');
});

t.test('ring state, removal and leaving are gossiped', async (t) => {
  const c = await pair(t);
  const events: MemberEvent[] = [];
  const a = c.nodes.get('a')!.membership;
  const off = a.onChange((ev) => events.push(ev));
  c.nodes.get('b')!.membership.setSelfState('leaving');
  t.not(await c.until(() => a.ring().member('b')?.state === 'leaving', 5000, 50), -1);
  t.ok(events.some((e) => e.kind === 'state' && e.id === 'b'));
  t.throws(() => a.remove('a'), { code: 'ERR' });
  t.throws(() => a.remove('zz'), { code: 'ERR' });
  c.net.isolate('c');
  t.not(await c.until(() => c.status('a', 'c') === 'dead', 20_000), -1);
  a.remove('c');
  t.not(await c.until(() => c.status('b', 'c') === 'left', 5000, 50), -1, 'removal spreads');
  t.equal(a.ring().member('c'), undefined, 'a removed member leaves the ring');
  t.notOk(a.isReachable('c'));
  const done = c.nodes.get('b')!.membership.leave();
  await c.run(4000, 50);
  await done;
  t.equal(c.status('a', 'b'), 'left');
  off();
  t.ok(isMembershipMessage({ type: PUSH_PULL }));
  t.notOk(isMembershipMessage({ type: 'r.get' }));
  t.notOk(isMembershipMessage(null));
  t.throws(() => a.handleRequest('b', { type: 'm.nope' }), { code: 'ERR' });
});
