import t from 'tap';
import { Agreements } from '../../src/antientropy/agreements.js';
import { proposePurge } from '../../src/antientropy/collector.js';
import { TrackingStore } from '../../src/antientropy/tracking-store.js';
import { TreeSet } from '../../src/antientropy/tree-set.js';
import { keyDigest } from '../../src/antientropy/version-hash.js';
import { ManualClock } from '../../src/core/clock.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore } from '../../src/storage/record-store.js';
import type { VersionedObject } from '../../src/versioning/types.js';

const range = { start: 0n, end: 1n << 64n };

t.test('an agreement recorded before the clock was set back does not count', async (t) => {
  const a = new Agreements();
  const now = 1_000_000_000;
  a.record(range, 'p', now + 7_200_000);
  t.equal(a.purgeHorizon(range, ['p'], now, 5000), -Infinity, 'a time ahead of now is no agreement');
  a.record(range, 'p', now - 10, now);
  t.equal(a.purgeHorizon(range, ['p'], now, 5000), now - 10 - 5000, 'a new exchange replaces it');
});

function tombstone(node: string, counter: number): VersionedObject {
  return { clock: { [node]: counter }, siblings: [{ dot: { node, counter }, value: Buffer.alloc(0), ts: 1000, tombstone: true, expireAt: 0 }] };
}

async function storeWith(keys: Buffer[]): Promise<TrackingStore> {
  const engine = new MemoryEngine();
  await engine.open();
  const inner = await openRecordStore(engine, { sync: false, clock: new ManualClock(), schedule: (run) => queueMicrotask(run) });
  const store = new TrackingStore(inner, new TreeSet(4));
  for (const k of keys) await store.put(k, tombstone('n0', 1));
  return store;
}

/** A peer transport that answers each message type with a verdict for every key, or fails. */
function peers(answers: Record<string, Record<string, string | Error>>) {
  const asked: string[] = [];
  return {
    asked,
    request: async (peer: string, msg: unknown): Promise<unknown> => {
      const m = msg as { type: string; keys: Buffer[] };
      asked.push(`${peer}:${m.type}:${m.keys.length}`);
      const a = answers[peer]![m.type]!;
      if (a instanceof Error) throw a;
      return { verdicts: m.keys.map(() => a) };
    },
  };
}

t.test('a purge goes ahead only where every replica agreed, and a failed purge keeps the record here', async (t) => {
  const keys = [Buffer.from('a'), Buffer.from('b')];
  const judge = (key: Buffer, held: VersionedObject, digest: bigint) => (keyDigest(key, held).digest === digest ? ('dead' as const) : ('changed' as const));
  const items = keys.map((key) => ({ key, obj: tombstone('n0', 1) }));

  let store = await storeWith(keys);
  let net = peers({ p1: { 'a.purgeable': 'dead', 'a.purge': 'purged' }, p2: { 'a.purgeable': 'within-grace', 'a.purge': 'purged' } });
  let r = await proposePurge({ store, transport: net, timeoutMs: 100, judge }, ['p1', 'p2'], items);
  t.same(r.removed, [false, false], 'one refusal: kept here');
  t.same(net.asked, ['p1:a.purgeable:2', 'p2:a.purgeable:2'], 'and nobody was asked to purge');
  t.ok(await store.get(keys[0]!));

  store = await storeWith(keys);
  net = peers({ p1: { 'a.purgeable': 'dead', 'a.purge': 'purged' }, p2: { 'a.purgeable': 'absent', 'a.purge': new Error('connection reset') } });
  r = await proposePurge({ store, transport: net, timeoutMs: 100, judge }, ['p1', 'p2'], items);
  t.same(r.removed, [false, false], 'the purge failed on p2: kept here, so two replicas still hold it');
  t.ok(await store.get(keys[1]!));

  store = await storeWith(keys);
  net = peers({ p1: { 'a.purgeable': 'dead', 'a.purge': 'purged' }, p2: { 'a.purgeable': new Error('timeout'), 'a.purge': 'purged' } });
  r = await proposePurge({ store, transport: net, timeoutMs: 100, judge }, ['p1', 'p2'], items);
  t.same(r.removed, [false, false], 'an unreachable replica is no agreement');

  store = await storeWith(keys);
  net = peers({ p1: { 'a.purgeable': 'dead', 'a.purge': 'purged' }, p2: { 'a.purgeable': 'absent', 'a.purge': 'absent' } });
  r = await proposePurge({ store, transport: net, timeoutMs: 100, judge }, ['p1', 'p2'], items);
  t.same(r.removed, [true, true], 'every replica agreed: purged here too');
  t.equal(r.tombstone, 2);
  t.equal(await store.get(keys[0]!), undefined);

  store = await storeWith(keys);
  await store.put(keys[0]!, tombstone('n1', 1));
  net = peers({ p1: { 'a.purgeable': 'dead', 'a.purge': 'purged' }, p2: { 'a.purgeable': 'dead', 'a.purge': 'purged' } });
  r = await proposePurge({ store, transport: net, timeoutMs: 100, judge }, ['p1', 'p2'], items);
  t.same(r.removed, [false, true], 'a key written here meanwhile is judged again and kept');
});
