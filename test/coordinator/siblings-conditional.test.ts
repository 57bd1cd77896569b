import t from 'tap';
import { nodeOfActor } from '../../src/versioning/actor.js';
import { QkvError } from '../../src/core/errors.js';
import { clockToText } from '../../src/versioning/clock.js';
import { SimCluster, siblingValues } from '../support/sim-cluster.js';
import { blindReq, contextReq, counterValue, setReq } from './helpers.js';

t.test('concurrent blind writes through different coordinators become siblings; a covering context resolves them', async (t) => {
  const sim = await SimCluster.start({ nodes: 5, n: 3, r: 2, w: 2 });
  t.teardown(() => sim.close());
  const key = Buffer.from('siblings');
  const [a, b, c] = sim.replicasOf(key) as [string, string, string];
  const writes = [sim.node(a).coord.write(key, blindReq('from-a')), sim.node(b).coord.write(key, blindReq('from-b'))];
  await sim.settle(Promise.all(writes));
  const read = await sim.settle(sim.node(c).coord.read(key));
  t.same(siblingValues(read), ['from-a', 'from-b'], 'both survive as siblings');
  t.same(new Set(read!.siblings.map((s) => nodeOfActor(s.dot.node))), new Set([a, b]), 'each coordinator issued its own dot');
  // A write whose context is what was read supersedes both, through any node.
  const other = sim.nodes.find((x) => !sim.replicasOf(key).includes(x.id))!;
  await sim.settle(other.coord.write(key, contextReq('resolved', read!.clock)));
  for (const node of sim.nodes) t.same(siblingValues(await sim.settle(node.coord.read(key))), ['resolved'], `read via ${node.id}`);
});

t.test('a write with an old context leaves the newer write as a sibling', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3 });
  t.teardown(() => sim.close());
  const key = Buffer.from('old-context');
  const first = await sim.settle(sim.node('n0').coord.write(key, setReq('one')));
  await sim.settle(sim.node('n1').coord.write(key, setReq('two')));
  // A client that read `first` writes with that context: 'two' was not seen, so it stays.
  await sim.settle(sim.node('n2').coord.write(key, contextReq('three', first.clock)));
  t.same(siblingValues(await sim.settle(sim.node('n0').coord.read(key, { r: 3 }))), ['three', 'two']);
});

t.test('plain SET after siblings leaves one value everywhere once repaired', async (t) => {
  const sim = await SimCluster.start({ nodes: 4, n: 3, r: 2, w: 2 });
  t.teardown(() => sim.close());
  const key = Buffer.from('plain-set');
  const [a, b] = sim.replicasOf(key) as [string, string];
  await sim.settle(Promise.all([sim.node(a).coord.write(key, blindReq('x')), sim.node(b).coord.write(key, blindReq('y'))]));
  await sim.idle(10);
  const entry = sim.nodes.find((x) => !sim.replicasOf(key).includes(x.id))!;
  await sim.settle(entry.coord.write(key, setReq('final')));
  // Every node reads one value at R=N; the reads repair any replica that lagged.
  for (const node of sim.nodes) t.same(siblingValues(await sim.settle(node.coord.read(key, { r: 3 }))), ['final']);
  await sim.idle(10);
  for (const id of sim.replicasOf(key)) t.same(siblingValues(await sim.node(id).coord.readLocal(key)), ['final'], `replica ${id}`);
});

t.test('IF refuses with CONFLICT when the key changed since it was read', async (t) => {
  const sim = await SimCluster.start({ nodes: 5, n: 3 });
  t.teardown(() => sim.close());
  const key = sim.keyWhere((reps) => !reps.includes('n0'));
  const entry = sim.node('n0').coord;
  // IF {} means "still absent".
  const created = await sim.settle(entry.write(key, setReq('v1', { ifClock: {}, supersedes: { kind: 'context', clock: {} } })));
  const read = await sim.settle(entry.read(key));
  t.same(read!.clock, created.clock);
  t.equal(
    await sim.outcome(entry.write(key, setReq('again', { ifClock: {} }))),
    `CONFLICT the key changed since it was read: its version is ${clockToText(created.clock)}, not {}`,
  );
  await sim.settle(sim.node(sim.replicasOf(key)[2]!).coord.write(key, setReq('v2')));
  const stale = await sim.outcome(entry.write(key, contextReq('v3', read!.clock)));
  t.type(stale, 'object', 'without IF, a stale context is accepted (a sibling)');
  const now = await sim.settle(entry.read(key, { r: 3 }));
  t.match(await sim.outcome(entry.write(key, setReq('v4', { ifClock: read!.clock }))), /^CONFLICT the key changed since it was read/);
  const ok = await sim.settle(entry.write(key, contextReq('v4', now!.clock)));
  t.ok(ok);
  const guarded = await sim.settle(entry.write(key, { ...contextReq('v5', ok.clock), ifClock: ok.clock }));
  t.same(siblingValues(guarded), ['v5']);
  t.equal(await counterValue(sim.node('n0').metrics.quorumOperations, { type: 'write', outcome: 'conflict' }), 2);
});

t.test('concurrent updates through every node lose nothing (conditional writes meet at one replica)', async (t) => {
  const sim = await SimCluster.start({ nodes: 5, n: 3, r: 2, w: 2, faults: { minDelayMs: 1, maxDelayMs: 4 } });
  t.teardown(() => sim.close());
  const key = Buffer.from('counter');
  let decisions = 0;
  const incr = (node: string) =>
    sim.node(node).coord.update(key, (cur) => {
      decisions++;
      const n = cur && cur.siblings.length > 0 ? Number(cur.siblings[0]!.value.toString()) : 0;
      return { write: { value: Buffer.from(String(n + 1)), tombstone: false, expireAt: 0 }, result: n + 1 };
    });
  const runs: Array<Promise<number>> = [];
  for (let i = 0; i < 10; i++) runs.push(incr(sim.nodes[i % 5]!.id));
  const results = await sim.settle(Promise.all(runs));
  t.same([...results].sort((x, y) => x - y), Array.from({ length: 10 }, (_, i) => i + 1), 'each increment saw a distinct value');
  t.ok(decisions > 10, `some updates retried after CONFLICT (${decisions} decisions)`);
  const final = await sim.settle(sim.node('n0').coord.read(key, { r: 3 }));
  t.same(siblingValues(final), ['10']);
});

t.test('update: no write, a throwing decide, and giving up after retries', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3 });
  t.teardown(() => sim.close());
  const key = sim.keyWhere((reps) => reps[0] === 'n0');
  const c = sim.node('n0').coord;
  t.equal(await sim.settle(c.update(key, (cur) => ({ write: null, result: cur === undefined }))), true);
  await sim.settle(c.write(key, setReq('kept')));
  const before = await c.readLocal(key);
  const thrown = await sim.outcome(
    c.update(key, () => {
      throw new QkvError('WRONGTYPE', 'Operation against a key holding the wrong kind of value');
    }),
  );
  t.equal(thrown, 'WRONGTYPE Operation against a key holding the wrong kind of value');
  await sim.idle(10);
  for (const node of sim.nodes) t.same(await node.coord.readLocal(key), before, `nothing written on ${node.id}`);
  // Every attempt races a write that lands first: CONFLICT after 1 + 5 tries.
  let tries = 0;
  const gaveUp = await sim.outcome(
    c.update(key, () => {
      tries++;
      void c.write(key, blindReq(`racer-${tries}`));
      return { write: { value: Buffer.from('never'), tombstone: false, expireAt: 0 }, result: 0 };
    }),
  );
  t.match(gaveUp, /^CONFLICT the key changed since it was read/);
  t.equal(tries, 6);
  await sim.idle(10);
  t.notOk(siblingValues(await sim.settle(c.read(key))).includes('never'));
  t.equal(await counterValue(sim.node('n0').metrics.quorumOperations, { type: 'update', outcome: 'conflict' }), 1);
});
