import t from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { MEMBERS_META_KEY, encodeMembers } from '../../src/membership/member-store.js';
import { HELLO, isMembershipMessage } from '../../src/membership/static-members.js';
import { FakeMetaStore, SimCluster, member } from './helpers.js';

t.test('three nodes learn each other from one seed, and form one ring', async (t) => {
  const sim = new SimCluster(1);
  t.teardown(() => sim.stopAll());
  const a = await sim.start('a');
  // c knows only a; b knows only c: both still learn everyone.
  const c = await sim.start('c', [sim.address('a')]);
  await sim.start('b', [sim.address('c')]);
  t.same(sim.known('a'), ['a'], 'nothing is learned before a round runs');
  await sim.run(2500);
  for (const id of ['a', 'b', 'c']) {
    t.same(sim.known(id), ['a', 'b', 'c'], `${id} knows every member`);
    t.same(sim.reachable(id), ['a', 'b', 'c'], `${id} reaches every member`);
    t.same(sim.nodes.get(id)!.membership.ring().owners, ['a', 'b', 'c']);
  }
  t.equal(a.membership.self.id, 'a');
  t.equal(a.membership.ring().member('c')?.rack, 'rack1');
  t.ok(c.logs.some(([level, msg, f]) => level === 'info' && msg === 'member added' && f?.member === 'b'));
  t.ok(c.logs.some(([, msg, f]) => msg === 'member reachable' && f?.member === 'a'));
  // The table went to the store.
  t.ok(a.store.data.has(MEMBERS_META_KEY));
  // Records carry what the ring needs.
  const rec = c.membership.members().find((m) => m.id === 'b')!;
  t.same(rec.address, { host: sim.address('b').host, port: 6379 });
  t.same(rec.peer, sim.address('b'));
});

t.test('a partitioned member becomes unreachable, and reachable again when the partition heals', async (t) => {
  const sim = new SimCluster(2);
  t.teardown(() => sim.stopAll());
  const a = await sim.start('a');
  await sim.start('b', [sim.address('a')]);
  await sim.start('c', [sim.address('a')]);
  await sim.run(2500);
  t.same(sim.reachable('a'), ['a', 'b', 'c']);

  sim.net.partition(['c'], ['a', 'b']);
  await sim.run(1000);
  t.ok(a.membership.isReachable('c'), 'still reachable within the grace period');
  await sim.run(4000);
  t.same(sim.reachable('a'), ['a', 'b']);
  t.same(sim.reachable('b'), ['a', 'b']);
  t.same(sim.reachable('c'), ['c']);
  t.same(sim.known('a'), ['a', 'b', 'c'], 'members never disappear');
  t.ok(a.logs.some(([level, msg, f]) => level === 'warn' && msg === 'member unreachable' && f?.member === 'c'));

  sim.net.heal();
  await sim.run(2000);
  for (const id of ['a', 'b', 'c']) t.same(sim.reachable(id), ['a', 'b', 'c'], `${id} after healing`);
});

t.test('a stopped member is unreachable at once; restarted, it knows the ring before any seed answers', async (t) => {
  const sim = new SimCluster(3);
  t.teardown(() => sim.stopAll());
  const a = await sim.start('a');
  await sim.start('b', [sim.address('a')]);
  await sim.start('c', [sim.address('a')]);
  await sim.run(2500);
  const generation = a.membership.members().find((m) => m.id === 'c')!.generation;

  await sim.stop('c');
  // The next round's hello is refused: no waiting for the grace period.
  await sim.run(1100);
  t.same(sim.reachable('a'), ['a', 'b']);
  const down = a.logs.find(([, msg, f]) => msg === 'member unreachable' && f?.member === 'c');
  t.match(down?.[2]?.error, /UNAVAILABLE/);

  await sim.run(1000);
  const c = await sim.start('c', []);
  t.same(sim.known('c'), ['a', 'b', 'c'], 'the stored table is loaded at start');
  t.same(c.membership.ring().owners, ['a', 'b', 'c']);
  t.same(sim.reachable('c'), ['c'], 'but nobody is reachable before answering');
  t.ok(c.membership.self.generation > generation, 'a restart outranks the old record');

  await sim.run(1500);
  t.same(sim.reachable('a'), ['a', 'b', 'c']);
  t.same(sim.reachable('c'), ['a', 'b', 'c']);
  t.equal(a.membership.members().find((m) => m.id === 'c')!.generation, c.membership.self.generation);
  t.ok(a.logs.some(([, msg, f]) => msg === 'member restarted' && f?.member === 'c'));
});

t.test('a seed that is this node, or that is down, or that comes back as another node', async (t) => {
  const sim = new SimCluster(4);
  t.teardown(() => sim.stopAll());
  const a = await sim.start('a');
  const addrA = sim.address('a');
  const b = await sim.start('b', [addrA, { host: '10.99.0.1', port: 7000 }]);
  // b lists itself too: that seed is skipped.
  t.equal(b.logs.length, 0);
  await sim.run(1500);
  t.same(sim.known('b'), ['a', 'b']);
  t.ok(b.logs.some(([level, msg, f]) => level === 'debug' && msg === 'seed did not answer' && f?.seed === '10.99.0.1:7000'));

  // a's data is wiped and a new node 'a2' takes its address.
  await sim.stop('a');
  await sim.run(1500);
  const askedBy: string[] = [];
  const a2 = sim.net.attach('a2', { address: addrA });
  t.teardown(() => a2.close());
  a2.rpc.onRequest((from, msg) => {
    askedBy.push(`${from} ${(msg as { type: string }).type}`);
    return { members: [] };
  });
  // The seed's old member is unreachable, so b asks again who is there, and says hello to the newcomer.
  await sim.run(1500);
  t.ok(askedBy.includes('b m.hello'));
  t.notOk(b.membership.isReachable('a2'), 'a node that sends no record of itself is not a member');
  t.same(sim.known('b'), ['a', 'b']);
  t.equal(a.membership.isReachable('a'), true, 'a node always reaches itself');
});

t.test('records only move forward, and a node is the only authority on itself', async (t) => {
  const sim = new SimCluster(5);
  t.teardown(() => sim.stopAll());
  const a = await sim.start('a');
  const reply = a.membership.handleRequest('x', {
    type: HELLO,
    members: [member('x', { generation: 5, peer: { host: '10.0.9.9', port: 7000 } }), member('a', { generation: 1e12, rack: 'evil' }), { id: 'bad id' }],
  }) as { members: Array<{ id: string }> };
  t.same(
    reply.members.map((m) => m.id),
    ['a', 'x'],
  );
  t.equal(a.membership.self.rack, 'rack1');
  t.ok(a.membership.isReachable('x'), 'a member that sent its table is reachable');
  a.membership.handleRequest('x', { type: HELLO, members: [member('x', { generation: 4, rack: 'old' })] });
  t.equal(a.membership.members().find((m) => m.id === 'x')!.rack, 'rack1', 'an older record is ignored');
  a.membership.handleRequest('x', { type: HELLO, members: [member('x', { generation: 5, rack: 'same-gen' })] });
  t.equal(a.membership.members().find((m) => m.id === 'x')!.rack, 'rack1', 'a conflicting record of the same generation is ignored');
  a.membership.handleRequest('y', { type: HELLO });
  t.notOk(a.membership.isReachable('y'), 'a sender without a record is not a member');

  t.throws(() => a.membership.handleRequest('x', { type: 'm.nope' }), new QkvError('ERR', "unknown membership request 'm.nope'"));
  t.throws(() => a.membership.handleRequest('x', null), { code: 'ERR' });
  await a.membership.close();
  t.throws(() => a.membership.handleRequest('x', { type: HELLO, members: [] }), { code: 'UNAVAILABLE' });
});

t.test('the stored table: a corrupt one is ignored with a warning, failed saves are reported', async (t) => {
  const sim = new SimCluster(6);
  t.teardown(() => sim.stopAll());
  const corrupt = new FakeMetaStore();
  corrupt.data.set(MEMBERS_META_KEY, Buffer.from('{nope'));
  sim.stores.set('a', corrupt);
  const a = await sim.start('a');
  t.ok(a.logs.some(([level, msg, f]) => level === 'warn' && msg === 'ignoring the stored member table' && /not valid JSON/.test(String(f?.problem))));
  t.same(sim.known('a'), ['a']);

  const failing = new FakeMetaStore();
  failing.data.set(MEMBERS_META_KEY, encodeMembers([member('z', { generation: 3 })]));
  failing.failWrites = true;
  sim.stores.set('b', failing);
  const b = await sim.start('b');
  t.same(sim.known('b'), ['b', 'z']);
  await b.membership.close();
  t.ok(b.logs.some(([level, msg, f]) => level === 'warn' && msg === 'could not save the member table' && /disk full/.test(String(f?.error))));
});

t.test('membership requests are recognised by their type prefix', async (t) => {
  t.ok(isMembershipMessage({ type: 'm.hello' }));
  t.notOk(isMembershipMessage({ type: 'read' }));
  t.notOk(isMembershipMessage({ type: 3 }));
  t.notOk(isMembershipMessage(null));
  t.notOk(isMembershipMessage('m.hello'));
});
