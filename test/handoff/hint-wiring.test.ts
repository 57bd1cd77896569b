import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { SeededRng } from '../../src/core/rng.js';
import { HintStore } from '../../src/handoff/hint-store.js';
import { startHandoff } from '../../src/server/handoff-wiring.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { MemoryNetwork } from '../../src/transport/memory-network.js';

async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

t.test('the node wiring reopens pending hints, refuses past the bound, delivers on a nudge and closes', async (t) => {
  const clock = new ManualClock();
  const net = new MemoryNetwork({ clock, rng: new SeededRng(1), minDelayMs: 0, maxDelayMs: 0 });
  const holder = net.attach('h');
  const owner = net.attach('o');
  net.introduceAll();
  const merged: string[] = [];
  owner.rpc.onRequest((_from, msg) => {
    merged.push((msg as { key: Buffer }).key.toString());
    return { ok: true };
  });
  t.teardown(async () => {
    await holder.close();
    await owner.close();
  });
  const engine = new MemoryEngine();
  await engine.open();
  // Left over from an earlier run.
  const earlier = await HintStore.open({ engine, sync: false, maxHintsPerTarget: 2, maxBytesPerTarget: 1_000_000 });
  await earlier.add('o', Buffer.from('old'), Buffer.from('x'), 0);
  await earlier.close();

  const logs: string[] = [];
  const refusals: string[] = [];
  const stored: number[] = [];
  const handoff = await startHandoff({
    engine,
    sync: false,
    transport: holder.rpc,
    isReachable: () => true,
    clock,
    log: (_level, msg) => logs.push(msg),
    requestTimeoutMs: () => 100,
    maxHintsPerTarget: 2,
    maxHintBytesPerTarget: 1_000_000,
    tickMs: 60_000,
    maxKeysPerSec: 100,
    maxBytesPerSec: 1_000_000,
    onRefused: (target, reason, n) => refusals.push(`${target} ${reason} ${n}`),
    onStored: (n) => stored.push(n),
    observer: {},
  });
  t.ok(logs.includes('hints pending from before the restart'));
  await handoff.store.add('o', Buffer.from('a'), Buffer.from('x'), 0);
  const refused = await handoff.store.add('o', Buffer.from('b'), Buffer.from('x'), 0).catch((e: { code?: string; refusal?: string }) => `${e.code} ${e.refusal}`);
  t.equal(refused, 'HINTREFUSED count_bound', 'the third hint is refused, not the first dropped');
  t.same(refusals, ['o count_bound 1']);
  t.same(stored, [1]);
  t.ok(logs.includes('hints refused: they could not be stored'));
  t.same(handoff.status().o, { pending: 2, bytes: handoff.store.pendingOf('o').bytes, delivered: 0, dropped: 0, refused: 1, rate: 0 });
  handoff.nudge('o');
  for (let i = 0; i < 10; i++) {
    clock.advance(1);
    await flush();
  }
  t.same(merged, ['old', 'a'], 'every stored hint was delivered, in order');
  await handoff.close();
  await handoff.close();
  await t.rejects(handoff.store.add('o', Buffer.from('c'), Buffer.from('x'), 0), /closed/);
});
