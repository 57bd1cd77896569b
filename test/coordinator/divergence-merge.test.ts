import t from 'tap';
import { keyDigest } from '../../src/antientropy/version-hash.js';
import { KeyLock } from '../../src/coordinator/key-lock.js';
import { ReplicaService } from '../../src/coordinator/replica-service.js';
import { ManualClock } from '../../src/core/clock.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore } from '../../src/storage/record-store.js';
import { actorId, DotIssuer } from '../../src/versioning/actor.js';
import type { VersionedObject } from '../../src/versioning/types.js';

const one = (v: string, ts: number): VersionedObject => ({
  clock: { n3: 1 },
  siblings: [{ dot: { node: 'n3', counter: 1 }, value: Buffer.from(v), ts, tombstone: false, expireAt: 0 }],
});

t.test('a replica merging a second write under a dot it holds keeps both and reports it', async (t) => {
  const engine = new MemoryEngine();
  await engine.open();
  const store = await openRecordStore(engine, { sync: true, clock: new ManualClock(0) });
  const replica = new ReplicaService(store, new KeyLock(), new DotIssuer(actorId('n1', 3)));
  const seen: Array<[string, number]> = [];
  replica.onDivergence = (key, dots) => seen.push([key.toString(), dots]);
  const key = Buffer.from('k');
  await replica.merge(key, one('before', 10), 0);
  await replica.merge(key, one('after', 20), 0);
  const { objs } = await replica.get([key]);
  t.same(objs[0]!.siblings.map((s) => s.value.toString()).sort(), ['after', 'before']);
  t.same(seen, [['k', 1]]);
  // Merging either again changes nothing: both are already there.
  await replica.merge(key, one('after', 20), 0);
  await replica.merge(key, one('before', 10), 0);
  t.equal((await replica.get([key])).objs[0]!.siblings.length, 2);
  t.equal(seen.length, 1);
});

t.test("anti-entropy digests tell apart two writes under one dot", async (t) => {
  const key = Buffer.from('k');
  t.not(keyDigest(key, one('before', 10)).digest, keyDigest(key, one('after', 10)).digest, 'values count');
  t.not(keyDigest(key, one('same', 10)).digest, keyDigest(key, one('same', 11)).digest, 'timestamps count');
  t.equal(keyDigest(key, one('same', 10)).digest, keyDigest(key, one('same', 10)).digest);
});
