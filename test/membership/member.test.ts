import t from 'tap';
import { MAX_UNHEALTHY_CHARS, encodeMember, parseMember, parseMembers, sameMember } from '../../src/membership/member.js';
import { MEMBERS_META_KEY, MemberSaver, encodeMembers, loadMembers } from '../../src/membership/member-store.js';
import { FakeMetaStore, member, rec } from './helpers.js';

t.test('a record survives encoding and parsing unchanged', async (t) => {
  const m = member('n1', { address: { host: '::1', port: 6380 }, incarnation: 42, state: 'joining' });
  const back = parseMember(JSON.parse(JSON.stringify(encodeMember(m))));
  t.same(back, m);
  t.ok(sameMember(back!, m));
  t.notOk(sameMember(m, { ...m, incarnation: 43 }));
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
    ['negative incarnation', { ...good, incarnation: -1 }],
    ['incarnation not a number', { ...good, incarnation: '1' }],
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

t.test('the stored table: round trip, absent, corrupt and unknown formats', async (t) => {
  const store = new FakeMetaStore();
  t.same(await loadMembers(store), { members: [] });
  const members = [rec(member('a')), { info: member('b', { incarnation: 7 }), status: 'dead' as const }];
  await store.putMeta(MEMBERS_META_KEY, encodeMembers(members));
  t.same((await loadMembers(store)).members, members);
  store.data.set(MEMBERS_META_KEY, Buffer.from(JSON.stringify({ format: 2, members: [{ ...encodeMember(member('z')), status: 'weird' }] })));
  t.same((await loadMembers(store)).members, [rec(member('z'))], 'an unknown status reads as alive');
  store.data.set(MEMBERS_META_KEY, Buffer.from(JSON.stringify({ format: 1, members: [{ ...encodeMember(member('old')), incarnation: undefined, generation: 3 }] })));
  t.equal((await loadMembers(store)).members[0]?.info.incarnation, 3, 'format 1 named the incarnation a generation');

  store.data.set(MEMBERS_META_KEY, Buffer.from('not json'));
  t.match(await loadMembers(store), { members: [], problem: /not valid JSON/ });
  store.data.set(MEMBERS_META_KEY, Buffer.from(JSON.stringify({ format: 99, members: [] })));
  t.match(await loadMembers(store), { members: [], problem: /unknown format/ });
  store.data.set(MEMBERS_META_KEY, Buffer.from('null'));
  t.match(await loadMembers(store), { members: [], problem: /unknown format/ });
  store.data.set(MEMBERS_META_KEY, Buffer.from(JSON.stringify({ format: 1, members: [encodeMember(member('ok')), { junk: true }] })));
  t.same(
    (await loadMembers(store)).members.map((m) => m.info.id),
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
  let current = [rec(member('a'))];
  saver.save(() => current);
  current = [rec(member('a')), rec(member('b'))];
  saver.save(() => current);
  current = [rec(member('a')), rec(member('b')), rec(member('c'))];
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
  saver2.save(() => [rec(member('x'))]);
  await saver2.flush();
  t.equal(reported.length, 1);
  t.match(String(reported[0]), /disk full/);
});

t.test('a member record carries why the member steps aside, only while it does', async (t) => {
  const healthy = member('n1');
  t.notOk('unhealthy' in encodeMember(healthy), 'nothing on the wire while healthy');
  const sick = { ...healthy, unhealthy: 'storage write failed: I/O error', incarnation: healthy.incarnation + 1 };
  const back = parseMember(encodeMember(sick));
  t.equal(back?.unhealthy, 'storage write failed: I/O error');
  t.notOk(sameMember(healthy, { ...healthy, unhealthy: 'x' }), 'the reason is part of the record');
  t.equal(parseMember({ ...encodeMember(healthy), unhealthy: 'y'.repeat(1000) })?.unhealthy?.length, MAX_UNHEALTHY_CHARS, 'bounded');
  t.equal(parseMember({ ...encodeMember(healthy), unhealthy: 42 })?.unhealthy, undefined, 'a malformed reason is ignored');
});
