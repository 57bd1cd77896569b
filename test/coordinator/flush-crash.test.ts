import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { KeyLock } from '../../src/coordinator/key-lock.js';
import { FLUSH_EPOCH_META, ReplicaService } from '../../src/coordinator/replica-service.js';
import type { Engine, EngineStats, EngineWrite, KeyRange } from '../../src/storage/engine.js';
import { metaKey } from '../../src/storage/key-layout.js';
import { openRecordStore } from '../../src/storage/record-store.js';
import { RocksDbEngine } from '../../src/storage/rocksdb-engine.js';
import { DotIssuer } from '../../src/versioning/actor.js';
import { applyWrite } from '../../src/versioning/object.js';

// FLUSHALL on a real RocksDB store, with the process "dying" right after the new flush epoch reaches
// the disk: every later engine call hangs, as if the process were gone, and the store is opened again
// over the same directory. No record from before the flush may be served or sent under the new epoch.

/** Forwards to RocksDB until a write stores the flush epoch; from then on nothing reaches the disk. */
class DiesAfterEpoch implements Engine {
  dead = false;
  constructor(readonly inner: Engine) {}
  private gate<T>(run: () => Promise<T>): Promise<T> {
    return this.dead ? new Promise<T>(() => undefined) : run();
  }
  open(): Promise<void> {
    return this.inner.open();
  }
  close(): Promise<void> {
    return this.gate(() => this.inner.close());
  }
  get(key: Buffer): Promise<Buffer | undefined> {
    return this.gate(() => this.inner.get(key));
  }
  getMany(keys: readonly Buffer[]): Promise<Array<Buffer | undefined>> {
    return this.gate(() => this.inner.getMany(keys));
  }
  async write(ops: readonly EngineWrite[], sync: boolean): Promise<void> {
    await this.gate(() => this.inner.write(ops, sync));
    if (ops.some((op) => op.type === 'put' && op.key.equals(metaKey(FLUSH_EPOCH_META)))) this.dead = true;
  }
  async *iterate(range: KeyRange): AsyncIterableIterator<[Buffer, Buffer]> {
    if (this.dead) await new Promise<void>(() => undefined);
    yield* this.inner.iterate(range);
  }
  deleteRange(range: KeyRange): Promise<void> {
    return this.gate(() => this.inner.deleteRange(range));
  }
  stats(): Promise<EngineStats> {
    return this.inner.stats();
  }
}

t.test('a FLUSHALL cut short after its epoch is stored is finished when the node starts again', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'qkv-flush-crash-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const rocks = (): RocksDbEngine => new RocksDbEngine({ location: dir, cacheSize: 8 * 1024 * 1024, writeBufferSize: 4 * 1024 * 1024 });
  const clock = new ManualClock();

  const first = new DiesAfterEpoch(rocks());
  await first.open();
  let store = await openRecordStore(first, { sync: true, clock });
  let replica = new ReplicaService(store, new KeyLock(), new DotIssuer('n1~1'));
  const keys = Array.from({ length: 50 }, (_, i) => Buffer.from(`before-${i}`));
  for (const k of keys) {
    await replica.merge(k, applyWrite(undefined, {}, 'n1', { value: Buffer.from('old'), tombstone: false, expireAt: i(k) % 2 ? clock.now() + 60_000 : 0, ts: clock.now() }), 0);
  }
  await replica.ready();
  const flushing = replica.flush(5000);
  // The flush never finishes: the engine is gone after the epoch write. Wait for that write to land.
  for (let n = 0; n < 1000 && !first.dead; n++) await new Promise((r) => setImmediate(r));
  t.ok(first.dead, 'the epoch reached the disk');
  void flushing.catch(() => undefined);
  await first.inner.close();

  const engine = rocks();
  await engine.open();
  store = await openRecordStore(engine, { sync: true, clock });
  t.teardown(() => store.close());
  replica = new ReplicaService(store, new KeyLock(), new DotIssuer('n1~1'));
  await replica.ready();
  t.equal(replica.flushEpoch, 5000, 'the new epoch survived');
  const got = await replica.get(keys);
  t.same(got.objs.filter((o) => o !== undefined).length, 0, 'no record from before the flush is served');
  t.same((await replica.scan([[0n, 1n << 64n]], 1000)).entries, [], 'nor found by a scan (what repair and streaming send)');
  t.equal(store.stats().keys, 0);
  t.equal(await store.sweepExpired(clock.now() + 120_000, 100), 0, 'no expiry index entries left behind');
  const after = Buffer.from('after');
  await replica.merge(after, applyWrite(undefined, {}, 'n1', { value: Buffer.from('new'), tombstone: false, expireAt: 0, ts: clock.now() }), 5000);
  t.same((await replica.get([after])).objs.map((o) => o?.siblings[0]?.value.toString()), ['new'], 'and the node serves new writes');
});

function i(k: Buffer): number {
  return Number(k.toString().split('-')[1]);
}
