import t from 'tap';
import { HINT_DEFAULTS } from '../../src/config/cluster-options.js';
import { ManualClock } from '../../src/core/clock.js';
import { QkvError } from '../../src/core/errors.js';
import { SeededRng } from '../../src/core/rng.js';
import { HintDelivery, isPermanentRefusal, type HintDeliveryOptions } from '../../src/handoff/hint-delivery.js';
import { HintStore } from '../../src/handoff/hint-store.js';
import { Throttle } from '../../src/handoff/hint-throttle.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { MemoryNetwork } from '../../src/transport/memory-network.js';

async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

interface Merge {
  key: string;
  epoch: number;
}

/** A holder with hints for an owner 'o', on the in-memory network; the owner's merge handler is scripted. */
async function setup(t: { teardown(fn: () => unknown): void }, opts: Partial<HintDeliveryOptions> = {}, hints = 10) {
  const clock = new ManualClock();
  const net = new MemoryNetwork({ clock, rng: new SeededRng(3), minDelayMs: 1, maxDelayMs: 1 });
  const holder = net.attach('h', { requestTimeoutMs: 1_000_000 });
  const owner = net.attach('o', { requestTimeoutMs: 1_000_000 });
  net.introduceAll();
  const merges: Merge[] = [];
  let answer: (m: Merge, i: number) => Promise<unknown> | unknown = () => ({ ok: true });
  owner.rpc.onRequest((_from, msg) => {
    const m = msg as { type: string; key: Buffer; epoch: number };
    const merge = { key: m.key.toString(), epoch: m.epoch };
    merges.push(merge);
    return answer(merge, merges.length - 1);
  });
  const engine = new MemoryEngine();
  await engine.open();
  const store = await HintStore.open({
    engine,
    sync: false,
    maxHintsPerTarget: HINT_DEFAULTS.maxPerTarget,
    maxBytesPerTarget: HINT_DEFAULTS.maxBytesPerTarget,
    schedule: (run) => queueMicrotask(run),
  });
  for (let i = 0; i < hints; i++) await store.add('o', Buffer.from(`k${i}`), Buffer.from(`v${i}`), i % 3);
  let ownerUp = true;
  const events: string[] = [];
  const delivery = new HintDelivery({
    store,
    transport: holder.rpc,
    isReachable: (id) => id === 'o' && ownerUp,
    clock,
    batchSize: 4,
    maxKeysPerSec: HINT_DEFAULTS.rateKeys,
    requestTimeoutMs: () => 200,
    observer: {
      delivered: (target, n, bytes) => events.push(`delivered ${target} ${n} ${bytes > 0}`),
      refused: (target, n) => events.push(`refused ${target} ${n}`),
      failed: (target, _err, backoff) => events.push(`failed ${target} ${backoff}`),
    },
    ...opts,
  });
  delivery.start();
  t.teardown(async () => {
    await delivery.close();
    await holder.close();
    await owner.close();
  });
  const run = async (ms: number): Promise<void> => {
    await flush();
    for (let i = 0; i < ms; i++) {
      clock.advance(1);
      await flush();
    }
  };
  return {
    clock,
    net,
    store,
    engine,
    delivery,
    merges,
    events,
    run,
    setAnswer: (fn: typeof answer) => (answer = fn),
    setOwnerUp: (up: boolean) => (ownerUp = up),
  };
}

t.test('a reachable owner gets every hint, oldest first, with its epoch; delivered hints are deleted', async (t) => {
  const s = await setup(t);
  await s.run(600);
  t.same(
    s.merges.map((m) => m.key),
    Array.from({ length: 10 }, (_, i) => `k${i}`),
  );
  t.same(
    s.merges.map((m) => m.epoch),
    Array.from({ length: 10 }, (_, i) => i % 3),
  );
  t.same(s.store.pendingOf('o'), { count: 0, bytes: 0 });
  const st = s.delivery.status().o!;
  t.same([st.pending, st.bytes, st.delivered, st.dropped], [0, 0, 10, 0]);
  t.same(s.events, ['delivered o 4 true', 'delivered o 4 true', 'delivered o 2 true']);
  await s.run(1100);
  t.equal(s.delivery.status().o!.rate, 0, 'the rate falls to 0 once nothing is delivered');
});

t.test('nothing is sent while the owner is unreachable; the next tick after it returns delivers', async (t) => {
  const s = await setup(t);
  s.setOwnerUp(false);
  await s.run(2000);
  t.equal(s.merges.length, 0);
  s.setOwnerUp(true);
  await s.run(499);
  t.equal(s.merges.length, 0, 'waits for the tick');
  await s.run(100);
  t.equal(s.merges.length, 10);
});

t.test('a nudge delivers at once, without waiting for the tick', async (t) => {
  const s = await setup(t, { tickMs: 60_000 });
  s.delivery.nudge('o');
  await s.run(20);
  t.equal(s.merges.length, 10);
  s.delivery.nudge('o');
  s.delivery.nudge('nobody');
  await s.run(5);
  t.equal(s.merges.length, 10, 'nothing left to send');
});

t.test('a hint is deleted only once the owner acknowledged it', async (t) => {
  const s = await setup(t, {}, 2);
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  s.setAnswer(() => held.then(() => ({ ok: true })));
  await s.run(600);
  t.equal(s.merges.length, 2, 'both were sent');
  t.equal(s.store.pendingOf('o').count, 2, 'and both are still held');
  release();
  await s.run(10);
  t.equal(s.store.pendingOf('o').count, 0);
});

t.test('the first failure stops the drain; the acknowledged prefix goes; retries back off, doubling', async (t) => {
  const s = await setup(t);
  s.setAnswer((m) => {
    if (m.key === 'k2') throw new QkvError('IOERR', 'disk full');
    return { ok: true };
  });
  await s.run(510);
  t.same(s.merges.map((m) => m.key), ['k0', 'k1', 'k2', 'k3'], 'one batch went out');
  t.equal(s.store.pendingOf('o').count, 8, 'k0 and k1 were deleted; k2 and k3 wait (k3 was acknowledged but comes after the failure)');
  t.same(s.events, ['delivered o 2 true', 'failed o 1000']);
  await s.run(900);
  t.equal(s.merges.length, 4, 'no retry during the backoff');
  await s.run(600);
  t.same(s.events.slice(2), ['failed o 2000'], 'the retry failed again: the backoff doubled');
  s.setAnswer(() => ({ ok: true }));
  s.delivery.nudge('o');
  await s.run(20);
  t.equal(s.store.pendingOf('o').count, 0, 'a nudge forgets the backoff');
  t.equal(s.delivery.status().o!.delivered, 10);
});

t.test('an owner that becomes unreachable stops the drain; requests lost on the way count as failures', async (t) => {
  const s = await setup(t, { maxKeysPerSec: 4 });
  await s.run(510);
  t.equal(s.merges.length, 4);
  s.net.isolate('o');
  await s.run(1400);
  t.equal(s.merges.length, 4, 'the isolated owner received nothing more');
  t.match(s.events.at(-1), /^failed o/, 'the next batch timed out');
  t.equal(s.store.pendingOf('o').count, 6);
  s.setOwnerUp(false);
  s.net.restore('o');
  await s.run(5000);
  t.equal(s.merges.length, 4, 'the member view says unreachable: nothing is sent');
  s.setOwnerUp(true);
  await s.run(3000);
  t.equal(s.store.pendingOf('o').count, 0);
});

t.test('hints the owner refuses for good are dropped and counted; the others are delivered', async (t) => {
  const s = await setup(t);
  s.setAnswer((m) => {
    if (m.epoch === 0) throw new QkvError('ERR', 'refused: the version is from before a FLUSHALL (epoch 0 < 1)');
    return { ok: true };
  });
  await s.run(600);
  t.same(s.store.pendingOf('o'), { count: 0, bytes: 0 });
  const st = s.delivery.status().o!;
  t.same([st.delivered, st.dropped], [6, 4]);
  t.ok(s.events.includes('refused o 1'));
});

t.test('delivery keeps within its keys-per-second budget', async (t) => {
  const s = await setup(t, { maxKeysPerSec: 10, batchSize: 5 }, 60);
  await s.run(500 + 1000);
  // A full bucket (10) at the first tick, then 10 per second.
  t.ok(s.merges.length <= 20, `at most a full bucket plus a second's worth after 1 s (${s.merges.length})`);
  t.ok(s.merges.length >= 10);
  await s.run(6000);
  t.equal(s.merges.length, 60);
  t.ok(s.delivery.status().o!.rate > 0);
});

t.test('a failed store read or delete pauses the target like a failed delivery', async (t) => {
  const s = await setup(t, {}, 3);
  s.engine.failNextReads(1);
  await s.run(510);
  t.equal(s.merges.length, 0);
  t.same(s.events, ['failed o 1000']);
  s.engine.failNextWrites(1);
  await s.run(1000);
  t.equal(s.merges.length, 3, 'sent');
  t.equal(s.store.pendingOf('o').count, 3, 'but the delete failed, so they stay');
  await s.run(3000);
  t.equal(s.store.pendingOf('o').count, 0, 'delivered again later (merges are idempotent)');
});

t.test('close stops the ticks; a closed delivery starts nothing', async (t) => {
  const s = await setup(t);
  await s.delivery.close();
  s.delivery.start();
  s.delivery.nudge('o');
  await s.run(2000);
  t.equal(s.merges.length, 0);
});

t.test('permanent refusals are told from failures worth retrying', async (t) => {
  t.ok(isPermanentRefusal(new QkvError('ERR', 'bad request: r.merge needs an epoch')));
  t.ok(isPermanentRefusal(new QkvError('ERR', 'refused: the version is from before a FLUSHALL (epoch 1 < 2)')));
  t.notOk(isPermanentRefusal(new QkvError('ERR', 'storage is closed')));
  t.notOk(isPermanentRefusal(new QkvError('TIMEOUT', 'bad request')));
  t.notOk(isPermanentRefusal(new Error('refused: x')));
});

t.test('the throttle lets a request larger than a second through once full, then pays it back', async (t) => {
  const clock = new ManualClock();
  const th = new Throttle(clock, 10, 100);
  t.equal(th.waitFor(5, 50), 0);
  await th.take(10, 500);
  t.equal(th.waitFor(1, 1), 4_010, 'the byte debt of 400 takes 4 s, plus the byte needed');
  clock.advance(5_000);
  t.equal(th.waitFor(1, 1), 0);
  await th.take(10, 100);
  let done = false;
  void th.take(10, 100).then(() => (done = true));
  await flush();
  t.notOk(done, 'it waits');
  clock.advance(1_000);
  await flush();
  t.ok(done);
});

t.test('hints older than the tombstone grace period are dropped, not delivered', async (t) => {
  const { encodeObject } = await import('../../src/versioning/codec.js');
  const s = await setup(t, { maxAgeMs: () => 60_000 }, 0);
  const version = (ts: number) =>
    encodeObject({ clock: { a: 1 }, siblings: [{ dot: { node: 'a', counter: 1 }, value: Buffer.from('v'), tombstone: false, expireAt: 0, ts }] });
  await s.store.add('o', Buffer.from('old'), version(s.clock.now() - 120_000), 0);
  await s.store.add('o', Buffer.from('new'), version(s.clock.now() - 1_000), 0);
  await s.store.add('o', Buffer.from('unreadable'), Buffer.from('x'), 0);
  await s.run(600);
  t.same(
    s.merges.map((m) => m.key),
    ['new', 'unreadable'],
    'the stale hint never reaches the owner; an unreadable one is left to the owner',
  );
  t.same(s.store.pendingOf('o'), { count: 0, bytes: 0 });
  t.equal(s.delivery.status().o!.dropped, 1);
});
