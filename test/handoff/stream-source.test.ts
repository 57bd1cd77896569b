import t from 'tap';
import { RING_SIZE, keyHash } from '../../src/core/hash.js';
import { coalesce, planKey, subtract } from '../../src/handoff/range-plan.js';
import { ringSummary } from '../../src/handoff/range-summary.js';
import { StreamCursors } from '../../src/handoff/stream-cursors.js';
import {
  isStreamMessage,
  parseDigestReply,
  parseGetRecordsReply,
  parsePushReply,
  parseScanReply,
  parseStreamRequest,
} from '../../src/handoff/stream-messages.js';
import { StreamRegistry } from '../../src/handoff/stream-progress.js';
import { decodeObject, encodeObject } from '../../src/versioning/codec.js';
import { clusterWithData } from './stream-harness.js';

t.test('requests are validated', (t) => {
  t.ok(isStreamMessage({ type: 's.scan' }));
  t.notOk(isStreamMessage({ type: 'r.get' }));
  t.notOk(isStreamMessage(null));
  const bad = (msg: unknown, re: RegExp): void => {
    t.throws(() => parseStreamRequest(msg), re);
  };
  bad(null, /not a typed message/);
  bad({ type: 's.nope' }, /unknown type/);
  bad({ type: 's.scan', start: 5n, end: 1n, from: 5n, maxKeys: 1, maxBytes: 1 }, /start <= from <= end/);
  bad({ type: 's.scan', start: -1, end: 1n, from: 0n, maxKeys: 1, maxBytes: 1 }, /ring position/);
  bad({ type: 's.scan', start: 0n, end: null, from: 0n, maxKeys: 0, maxBytes: 1 }, /maxKeys/);
  bad({ type: 's.scan', start: 0n, end: null, from: 0n, maxKeys: 1, maxBytes: 'x' }, /maxBytes/);
  bad({ type: 's.get', keys: ['a'] }, /list of buffers/);
  bad({ type: 's.get', keys: Array.from({ length: 10_001 }, () => Buffer.alloc(1)) }, /at most/);
  bad({ type: 's.push', epoch: 0, keys: [Buffer.from('a')], recs: [] }, /differ/);
  bad({ type: 's.push', epoch: -1, keys: [], recs: [] }, /epoch/);
  const ok = parseStreamRequest({ type: 's.scan', start: 0, end: null, from: 0, maxKeys: 1e9, maxBytes: 1e12 });
  t.match(ok, { start: 0n, end: RING_SIZE, maxKeys: 10_000, maxBytes: 16 * 1024 * 1024 });
  t.end();
});

t.test('replies are validated', (t) => {
  t.throws(() => parseScanReply({ epoch: 0, keys: [Buffer.alloc(1)], recs: [], next: null }), /malformed s.scan/);
  t.throws(() => parseScanReply('x'), /malformed/);
  t.match(parseScanReply({ epoch: 0, keys: [], recs: [], next: 7n, estimate: -1 }), { next: 7n, estimate: null });
  t.throws(() => parseDigestReply({ keys: [], clocks: [{ a: 0 }], next: null }), /malformed s.digest/);
  t.throws(() => parseDigestReply({ keys: [Buffer.alloc(1)], clocks: [], next: null }), /malformed/);
  const d = parseDigestReply({ keys: [Buffer.from('k')], clocks: [{ constructor: 2 }], next: null });
  t.equal(d.clocks[0]!.constructor, 2, "an id like 'constructor' is an own property");
  t.throws(() => parseGetRecordsReply({ epoch: 0, recs: [1] }, 1), /malformed s.get/);
  t.throws(() => parseGetRecordsReply({ epoch: 0, recs: [] }, 1), /malformed s.get/);
  t.throws(() => parsePushReply({}), /malformed s.push/);
  t.end();
});

t.test('the source serves scans by bytes and keys, digests, gets and pushes', async (t) => {
  const c = await clusterWithData(3, 200);
  t.teardown(() => c.close());
  const rpc = c.node('n1').endpoint.rpc;
  const ask = (msg: unknown): Promise<unknown> => c.settle(rpc.request('n0', msg));
  const all = parseScanReply(await ask({ type: 's.scan', start: 0n, end: null, from: 0n, maxKeys: 10_000, maxBytes: 1 << 20 }));
  t.equal(all.keys.length, 200, 'n0 holds every key (3 nodes, N=3)');
  t.equal(all.next, null);
  t.equal(all.estimate, 200);
  const small = parseScanReply(await ask({ type: 's.scan', start: 0n, end: null, from: 0n, maxKeys: 10_000, maxBytes: 100 }));
  t.ok(small.keys.length < 200 && small.keys.length >= 1, `a byte-bounded page holds ${small.keys.length}`);
  t.ok(small.next !== null && small.next > keyHash(small.keys[small.keys.length - 1]!));
  const rest = parseScanReply(await ask({ type: 's.scan', start: 0n, end: null, from: small.next, maxKeys: 10, maxBytes: 1 << 20 }));
  t.ok(rest.keys.length >= 10 && rest.keys.length < 200);
  t.equal(rest.estimate, null, 'estimate on the first page only');
  const digest = parseDigestReply(await ask({ type: 's.digest', start: 0n, end: null, from: 0n, maxKeys: 10_000 }));
  t.equal(digest.keys.length, 200);
  t.same(digest.clocks[0], decodeObject(all.recs[0]!).clock);
  const got = parseGetRecordsReply(await ask({ type: 's.get', keys: [Buffer.from('k1'), Buffer.from('nope')] }), 2);
  t.equal(decodeObject(got.recs[0]!).siblings[0]!.value.toString(), 'v1');
  t.equal(got.recs[1], null);
  const rec = encodeObject({ clock: { z: 1 }, siblings: [{ dot: { node: 'z', counter: 1 }, value: Buffer.from('pushed'), ts: 1, tombstone: false, expireAt: 0 }] });
  t.same(parsePushReply(await ask({ type: 's.push', epoch: 0, keys: [Buffer.from('p')], recs: [rec] })), { merged: 1 });
  t.equal((await c.get('n0', 'p'))?.siblings[0]?.value.toString(), 'pushed');
  await t.rejects(ask({ type: 's.scan' }), /bad stream request/);
});

t.test('s.get serves only durable versions: one still on its way to disk is waited for', async (t) => {
  const c = await clusterWithData(3, 10);
  t.teardown(() => c.close());
  const src = c.node('n0');
  const key = Buffer.from('k1');
  const local = await src.store.get(key);
  const next = { clock: { ...local!.clock, z: 1 }, siblings: [{ dot: { node: 'z', counter: 1 }, value: Buffer.from('not yet durable'), ts: 2, tombstone: false, expireAt: 0 }] };
  const release = src.engine.holdWrites();
  const merged = src.replica.merge(key, next, 0);
  merged.catch(() => undefined);
  await c.idle(5);
  t.equal((await src.store.get(key))?.siblings[0]?.value.toString(), 'not yet durable', 'visible in the store, its batch held');
  let served: Array<Buffer | null> | null = null;
  const reply = c.node('n1').endpoint.rpc.request('n0', { type: 's.get', keys: [key] });
  reply.then((r) => (served = parseGetRecordsReply(r, 1).recs), () => undefined);
  await c.idle(50);
  const early = served as Array<Buffer | null> | null;
  t.notOk(
    early !== null && early[0] !== null && decodeObject(early[0]!).siblings.some((x) => x.value.toString() === 'not yet durable'),
    'the version was not served while its write was held',
  );
  release();
  await c.settle(Promise.all([merged, reply]));
  const late = served as Array<Buffer | null> | null;
  t.same(
    decodeObject(late![0]!).siblings.map((x) => x.value.toString()),
    ['not yet durable'],
    'served once durable',
  );
});

t.test('range arithmetic', (t) => {
  const r = (start: number, end: number, sources = ['a']): { start: bigint; end: bigint; sources: string[] } => ({ start: BigInt(start), end: BigInt(end), sources });
  t.same(coalesce([r(0, 5), r(5, 9), r(9, 12, ['b']), r(13, 14, ['b'])]), [r(0, 9), r(9, 12, ['b']), r(13, 14, ['b'])]);
  const cut = (x: number, y: number): { start: bigint; end: bigint } => ({ start: BigInt(x), end: BigInt(y) });
  t.same(subtract([r(0, 100)], [cut(10, 20), cut(15, 30), cut(90, 200)]), [r(0, 10), r(30, 90)]);
  t.same(subtract([r(0, 10)], [cut(0, 10)]), []);
  t.same(subtract([r(0, 10), r(20, 30)], []), [r(0, 10), r(20, 30)]);
  t.not(planKey([r(0, 1)]), planKey([r(0, 1, ['b'])]));
  t.end();
});

t.test('cursors: saved, loaded, damaged documents start afresh', async (t) => {
  const meta = new Map<string, Buffer>();
  const store = { getMeta: async (k: string) => meta.get(k), putMeta: async (k: string, v: Buffer) => void meta.set(k, v) };
  const cur = new StreamCursors(store, 's1');
  t.same(await cur.load(), new Map());
  await cur.save(new Map<string, bigint | 'done'>([['a', 255n], ['b', 'done']]));
  t.same(await cur.load(), new Map<string, bigint | 'done'>([['a', 255n], ['b', 'done']]));
  meta.set('handoff.stream.s1', Buffer.from('{oops'));
  t.same(await cur.load(), new Map());
  meta.set('handoff.stream.s1', Buffer.from('{"a":"xyz","b":7}'));
  t.same(await cur.load(), new Map());
  await cur.clear();
  t.same(await cur.load(), new Map());
});

t.test('ring summary and the registry of finished streams', async (t) => {
  const c = await clusterWithData(3, 0);
  t.teardown(() => c.close());
  c.shared.add('n9', 'joining');
  const s = ringSummary(c.shared.ring, 3);
  t.equal(s.pending, true);
  t.equal(s.members.length, 4);
  const n9 = s.members.find((m) => m.id === 'n9')!;
  t.match(n9, { state: 'joining', ranges: 0, replica: 0 });
  t.ok(n9.pendingReplica > 0.5);
  t.equal(s.members.find((m) => m.id === 'n0')!.replica, 1);
  const reg = new StreamRegistry(2);
  const fake = (id: string): { status: () => ReturnType<StreamRegistry['list']>[number] } => ({
    status: () => ({ id, startedAt: 0 }) as ReturnType<StreamRegistry['list']>[number],
  });
  const streams = ['a', 'b', 'c'].map(fake);
  for (const x of streams) reg.add(x);
  for (const x of streams) reg.finish(x);
  reg.finish(streams[0]!);
  t.same(
    reg.list().map((x) => x.id),
    ['b', 'c'],
  );
});
