import t from 'tap';
import { LocalCoordinator } from '../../src/coordinator/local-coordinator.js';
import { ManualClock } from '../../src/core/clock.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore } from '../../src/storage/record-store.js';
import { DotIssuer } from '../../src/versioning/actor.js';
import { InstrumentedEngine } from '../storage/instrumented-engine.js';

// A cluster of one serves only what is on disk: a read of a key whose write
// is still on its way waits for it, and a write the disk failed is never seen.

const req = (v: string) => ({ value: Buffer.from(v), tombstone: false, expireAt: 0, supersedes: { kind: 'local' as const } });

async function setup() {
  const engine = new InstrumentedEngine(new MemoryEngine());
  await engine.open();
  const store = await openRecordStore(engine, { sync: true, clock: new ManualClock(1) });
  return { engine, kv: new LocalCoordinator(store, new DotIssuer('n1~1'), new ManualClock(1)) };
}

t.test('a read waits for the write before it to be durable, and never sees a failed one', async (t) => {
  const { engine, kv } = await setup();
  await kv.write(Buffer.from('k'), req('one'));
  engine.failNextWrites(1);
  const release = engine.holdWrites();
  const failed = kv.write(Buffer.from('k'), req('two')).then(
    () => 'ok',
    () => 'failed',
  );
  const read = kv.read(Buffer.from('k')).then((o) => o?.siblings.map((s) => s.value.toString()));
  release();
  t.equal(await failed, 'failed');
  t.same(await read, ['one'], 'the read saw the durable value, not the write the disk refused');
});
