import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { SeededRng } from '../../src/core/rng.js';
import { BroadcastQueue } from '../../src/membership/broadcast-queue.js';
import { IdSet } from '../../src/membership/id-set.js';
import { MemberList } from '../../src/membership/member-list.js';
import { MemberSaver } from '../../src/membership/member-store.js';
import { differences } from '../../src/membership/table-sync.js';
import { QkvError } from '../../src/core/errors.js';
import { encodeMember } from '../../src/membership/member.js';
import { FakeMetaStore, SimCluster, member, rec } from './helpers.js';

const buf = (s: string): Buffer => Buffer.from(s.padEnd(20, '.'));

t.test('broadcast queue: least-sent first, then newest; never twice in one datagram; retired after the limit', async (t) => {
  const q = new BroadcastQueue(() => 2);
  q.add('a', buf('a1'));
  q.add('b', buf('b1'));
  q.add('c', buf('c1'));
  t.same(q.take(2 * 21, 1).map(String), [buf('c1'), buf('b1')].map(String), 'newest first, as many as fit');
  q.add('b', buf('b2'));
  t.same(q.take(1000, 1).map(String), [buf('b2'), buf('a1'), buf('c1')].map(String), 'unsent first (the replacement among them), each once');
  t.same(q.take(1000, 1).map(String).sort(), [buf('a1'), buf('b2')].map(String), 'sent twice, c retired; the replaced b1 is gone');
  t.equal(q.size, 0);
  t.same(q.take(1000, 1), []);
});

t.test('id set: add, delete by swapping the last in, membership', async (t) => {
  const s = new IdSet();
  for (const id of ['a', 'b', 'c', 'd']) s.add(id);
  s.add('a');
  s.delete('b');
  s.delete('x');
  t.equal(s.size, 3);
  t.same([...s.values()].sort(), ['a', 'c', 'd']);
  t.ok(s.has('d') && !s.has('b'));
});

t.test('member list: random samples by status, and a table hash that ignores order', async (t) => {
  const a = new MemberList('self');
  const b = new MemberList('self');
  a.set(rec(member('self')));
  b.set(rec(member('self')));
  const ids = Array.from({ length: 40 }, (_, i) => `m${i}`);
  for (const id of ids) a.set(rec(member(id), id === 'm3' ? 'dead' : 'alive'));
  for (const id of [...ids].reverse()) b.set(rec(member(id), id === 'm3' ? 'dead' : 'alive'));
  t.equal(a.hash(), b.hash(), 'same records, same hash, whatever the order of arrival');
  b.set(rec(member('m5', { incarnation: 2 })));
  t.not(a.hash(), b.hash(), 'a newer incarnation changes it');
  b.set(rec(member('m5')));
  t.equal(a.hash(), b.hash(), 'and putting the old record back restores it');
  const rng = new SeededRng(4);
  const picked = a.sample(5, rng, ['alive'], new Set(['m0']));
  t.equal(new Set(picked).size, 5, 'distinct');
  t.ok(picked.every((id) => id !== 'm0' && id !== 'm3' && id !== 'self'), 'only alive others, none excluded');
  t.same(a.sample(3, rng, ['dead']), ['m3'], 'fewer than asked when fewer match');
  t.equal(a.liveCount(), 40, '39 alive others and this node');
  t.same(a.counts(), { alive: 40, suspect: 0, dead: 1, left: 0 }, 'counts per status, this node included');
});

t.test('table sync: the records to push and the ids to want', async (t) => {
  const mine = new MemberList('a');
  mine.set(rec(member('a')));
  mine.set(rec(member('b', { incarnation: 3 })));
  mine.set(rec(member('c', { incarnation: 2 }), 'suspect'));
  mine.set(rec(member('d', { incarnation: 1 })));
  // The peer: b older, c the same but dead, e unknown to this node, d not at all.
  const digest = [
    ['a', 1, 0],
    ['b', 2, 0],
    ['c', 2, 2],
    ['e', 1, 0],
  ];
  const d = differences(mine, { digest })!;
  t.same(d.push.map((r) => r.info.id).sort(), ['b', 'd']);
  t.same(d.want.sort(), ['c', 'e']);
  t.equal(differences(mine, { same: true }), null, 'equal hashes: nothing to compare');
});

t.test('the member table is saved at most once a period, and not for a suspicion', async (t) => {
  const clock = new ManualClock(0);
  const store = new FakeMetaStore();
  const saver = new MemberSaver(store, () => undefined, { clock, ms: 1000 });
  for (let i = 0; i < 50; i++) saver.save(() => [rec(member(`m${i}`))]);
  clock.advance(999);
  t.equal(store.writes, 0, 'nothing yet');
  clock.advance(1);
  await saver.flush();
  t.equal(store.writes, 1, 'fifty changes, one write');
  saver.save(() => [rec(member('last'))]);
  await saver.flush();
  t.equal(store.writes, 2, 'flush writes what waits at once');

  const c = new SimCluster(9);
  t.teardown(() => c.stopAll());
  await c.start('a');
  await c.start('b', { seeds: [c.address('a')] });
  t.not(await c.until(() => c.status('a', 'b') === 'alive' && c.status('b', 'a') === 'alive', 10_000), -1);
  await c.run(3000);
  const a = c.nodes.get('a')!.membership;
  const b = c.nodes.get('b')!.membership.self;
  const before = c.stores.get('a')!.writes;
  a.handleRequest('b', { type: 'm.push-pull', members: [{ ...encodeMember({ ...b, incarnation: b.incarnation + 1 }), status: 'suspect' }] });
  t.equal(c.status('a', 'b'), 'suspect');
  await c.run(2000);
  a.handleRequest('b', { type: 'm.push-pull', members: [{ ...encodeMember({ ...b, incarnation: b.incarnation + 2 }), status: 'alive' }] });
  t.equal(c.status('a', 'b'), 'alive', 'refuted');
  await c.run(2000);
  t.equal(c.stores.get('a')!.writes, before, 'a suspicion and its refutation leave the stored table alone');
  c.nodes.get('b')!.membership.setSelfState('leaving');
  t.not(await c.until(() => c.stores.get('a')!.writes > before, 5000), -1, 'a ring state change is saved');
});

t.test('sync falls back to the full exchange with a peer that does not know it', async (t) => {
  const c = new SimCluster(11);
  t.teardown(() => c.stopAll());
  await c.start('a', { tuning: { pushPullIntervalMs: 2000 } });
  const old = await c.start('b', { seeds: [c.address('a')], tuning: { pushPullIntervalMs: 2000 } });
  // b answers as a node of the previous version: only the full push-pull.
  const asked: string[] = [];
  old.endpoint.rpc.onRequest((from, msg) => {
    const type = String((msg as { type?: unknown }).type);
    asked.push(type);
    if (type !== 'm.push-pull') throw new QkvError('ERR', `unknown membership request '${type}'`);
    return old.membership.handleRequest(from, msg);
  });
  await c.run(5000);
  const first = asked.indexOf('m.sync-hash');
  t.not(first, -1, 'a tried the sync first');
  t.ok(asked.indexOf('m.push-pull', first) > first, 'then the full exchange');
  t.equal(c.status('a', 'b'), 'alive');
});
