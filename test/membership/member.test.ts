import t from 'tap';
import { encodeMember, parseMember, parseMembers, sameMember } from '../../src/membership/member.js';
import { MEMBERS_META_KEY, MemberSaver, encodeMembers, loadMembers } from '../../src/membership/member-store.js';
import { MemberTable } from '../../src/membership/member-table.js';
import { FakeMetaStore, member } from './helpers.js';

t.test('a record survives encoding and parsing unchanged', async (t) => {
  const m = member('n1', { address: { host: '::1', port: 6380 }, generation: 42, state: 'joining' });
  const back = parseMember(JSON.parse(JSON.stringify(encodeMember(m))));
  t.same(back, m);
  t.ok(sameMember(back!, m));
  t.notOk(sameMember(m, { ...m, generation: 43 }));
  t.notOk(sameMember(m, { ...m, peer: { host: '10.0.0.2', port: 7000 } }));
});

t.test('malformed records are refused, whatever their shape', async (t) => {
  const good = encodeMember(member('n1'));
  const bad: Array<[string, unknown]> = [
    ['not an object', 'n1'],
    ['an array', [good]],
    ['a buffer', Buffer.from('x')],
    ['null', null],
    ['bad id', { ...good, id: 'no spaces allowed' }],
    ['id not a string', { ...good, id: 7 }],
    ['bad rack', { ...good, rack: '' }],
    ['bad dc', { ...good, dc: 'a/b' }],
    ['vnodes zero', { ...good, vnodes: 0 }],
    ['vnodes too many', { ...good, vnodes: 5000 }],
    ['vnodes fractional', { ...good, vnodes: 1.5 }],
    ['unknown state', { ...good, state: 'gone' }],
    ['negative generation', { ...good, generation: -1 }],
    ['generation not a number', { ...good, generation: '1' }],
    ['address missing', { ...good, address: undefined }],
    ['address host empty', { ...good, address: { host: '', port: 1 } }],
    ['address host too long', { ...good, address: { host: 'h'.repeat(256), port: 1 } }],
    ['peer port out of range', { ...good, peer: { host: 'h', port: 70000 } }],
    ['peer port not an integer', { ...good, peer: { host: 'h', port: '1' } }],
  ];
  for (const [why, v] of bad) t.equal(parseMember(v), null, why);
  t.same(
    parseMembers([good, { id: 'x' }, good]).map((m) => m.id),
    ['n1', 'n1'],
  );
  t.same(parseMembers('nope'), []);
});

t.test('the table keeps the newest record of each member and never replaces itself', async (t) => {
  const table = new MemberTable(member('self', { generation: 10 }));
  t.equal(table.size, 1);
  t.same(table.merge(member('self', { generation: 99, rack: 'x' })), { kind: 'unchanged' });
  const added = table.merge(member('b', { generation: 1 }));
  t.equal(added.kind, 'added');
  const ringBefore = table.ring();
  t.equal(table.ring(), ringBefore, 'the ring is cached until something changes');
  t.same(table.merge(member('b', { generation: 1, rack: 'other' })), { kind: 'unchanged' }, 'same generation: first record stays');
  t.same(table.merge(member('b', { generation: 0 })), { kind: 'unchanged' }, 'older: ignored');
  const changes = table.changes;
  const updated = table.merge(member('b', { generation: 2, rack: 'rack2' }));
  t.equal(updated.kind, 'updated');
  t.equal(updated.kind === 'updated' ? updated.previous.generation : -1, 1);
  t.equal(table.changes, changes + 1);
  t.not(table.ring(), ringBefore, 'a change rebuilds the ring');
  table.merge(member('a', { generation: 1 }));
  t.same(
    table.all().map((m) => m.id),
    ['a', 'b', 'self'],
  );
  t.same(
    table.others().map((m) => m.id),
    ['a', 'b'],
  );
  t.ok(table.has('a'));
  t.equal(table.get('b')?.rack, 'rack2');
  t.same(table.ring().owners, ['a', 'b', 'self']);
});

t.test('the stored table: round trip, absent, corrupt and unknown formats', async (t) => {
  const store = new FakeMetaStore();
  t.same(await loadMembers(store), { members: [] });
  const members = [member('a'), member('b', { generation: 7 })];
  await store.putMeta(MEMBERS_META_KEY, encodeMembers(members));
  t.same((await loadMembers(store)).members, members);

  store.data.set(MEMBERS_META_KEY, Buffer.from('not json'));
  t.match(await loadMembers(store), { members: [], problem: /not valid JSON/ });
  store.data.set(MEMBERS_META_KEY, Buffer.from(JSON.stringify({ format: 99, members: [] })));
  t.match(await loadMembers(store), { members: [], problem: /unknown format/ });
  store.data.set(MEMBERS_META_KEY, Buffer.from('null'));
  t.match(await loadMembers(store), { members: [], problem: /unknown format/ });
  store.data.set(MEMBERS_META_KEY, Buffer.from(JSON.stringify({ format: 1, members: [encodeMember(member('ok')), { junk: true }] })));
  t.same(
    (await loadMembers(store)).members.map((m) => m.id),
    ['ok'],
  );
});

t.test('saves collapse while one runs, and always write the newest table', async (t) => {
  let release: () => void = () => undefined;
  const writes: string[] = [];
  const slow = {
    getMeta: async () => undefined,
    putMeta: async (_name: string, value: Buffer) => {
      writes.push((JSON.parse(value.toString()) as { members: Array<{ id: string }> }).members.map((m) => m.id).join(','));
      await new Promise<void>((r) => (release = r));
    },
  };
  const errors: unknown[] = [];
  const saver = new MemberSaver(slow, (e) => errors.push(e));
  let current = [member('a')];
  saver.save(() => current);
  current = [member('a'), member('b')];
  saver.save(() => current);
  current = [member('a'), member('b'), member('c')];
  saver.save(() => current);
  await new Promise((r) => setImmediate(r));
  t.same(writes, ['a'], 'one write at a time');
  release();
  await new Promise((r) => setImmediate(r));
  release();
  await saver.flush();
  t.same(writes, ['a', 'a,b,c'], 'the saves asked for meanwhile became one write of the newest table');
  t.same(errors, []);

  const failing = new FakeMetaStore();
  failing.failWrites = true;
  const reported: unknown[] = [];
  const saver2 = new MemberSaver(failing, (e) => reported.push(e));
  saver2.save(() => [member('x')]);
  await saver2.flush();
  t.equal(reported.length, 1);
  t.match(String(reported[0]), /disk full/);
});
