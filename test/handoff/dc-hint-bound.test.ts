import t from 'tap';
import { HintStore } from '../../src/handoff/hint-store.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';

// The hints for the replicas of one remote DC share a byte bound of their own (--dc-hint-max-bytes): a DC cut off
// fills it, while hints for this DC's replicas and for other DCs still fit.

const micro = (run: () => void): void => queueMicrotask(run);
const b = (s: string): Buffer => Buffer.from(s);
const DC: Record<string, string> = { r1: 'dc2', r2: 'dc2', r3: 'dc2', s1: 'dc3' };

function outcome(p: Promise<void>): Promise<string> {
  return p.then(
    () => 'stored',
    (e: { code?: string; refusal?: string }) => `${e.code} ${e.refusal}`,
  );
}

t.test('the replicas of one remote DC share the DC bound; local targets and other DCs do not count toward it', async (t) => {
  const engine = new MemoryEngine();
  await engine.open();
  const refused: string[] = [];
  const store = await HintStore.open({
    engine,
    sync: false,
    schedule: micro,
    maxHintsPerTarget: 1000,
    maxBytesPerTarget: 1000,
    maxBytesPerGroup: 100,
    groupOf: (target) => DC[target],
    onRefused: (target, reason) => refused.push(`${target} ${reason}`),
  });
  // Each hint is 12 + 2 + 30 + 2 = 46 bytes: two fit in 100, whichever replicas of dc2 they are for.
  const value = Buffer.alloc(30, 1);
  const outcomes = [
    await outcome(store.add('r1', b('k0'), value, 0)),
    await outcome(store.add('r2', b('k0'), value, 0)),
    await outcome(store.add('r3', b('k0'), value, 0)),
  ];
  t.same(outcomes, ['stored', 'stored', 'HINTREFUSED dc_byte_bound'], 'the third replica of dc2 is past the DC bound');
  t.same(refused, ['r3 dc_byte_bound']);
  t.equal(await outcome(store.add('s1', b('k0'), value, 0)), 'stored', 'another DC has its own bound');
  t.equal(await outcome(store.add('local', b('k0'), value, 0)), 'stored', 'a target of this DC is bounded per target only');
  t.equal(await outcome(store.add('local', b('k1'), value, 0)), 'stored');
  t.equal(await outcome(store.add('local', b('k2'), value, 0)), 'stored');
  t.same(store.groupStats(), { dc2: 92, dc3: 46 });
  // Delivering a dc2 hint makes room in dc2's bound again.
  await store.remove('r1', await store.peek('r1', 1));
  t.equal(await outcome(store.add('r3', b('k0'), value, 0)), 'stored');
  t.same(store.groupStats(), { dc2: 92, dc3: 46 });
  // Concurrent adds in one batch are judged one after the other against the bound.
  const both = await Promise.all([outcome(store.add('s1', b('k1'), value, 0)), outcome(store.add('s1', b('k2'), value, 0))]);
  t.same(both, ['stored', 'HINTREFUSED dc_byte_bound']);
});
