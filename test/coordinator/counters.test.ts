import t from 'tap';
import { counterValue } from '../../src/versioning/counter-view.js';
import { visibleSibling } from '../../src/versioning/object.js';
import { SimCluster } from '../support/sim-cluster.js';
import { incrReq, setReq } from './helpers.js';

// Counters through the ring coordinator: increments coordinated by different
// replicas at once, forwarded by entry nodes, and kept by EXPIRE.

const incr = incrReq;

t.test('increments through every node at once, forwarded ones included, all count', async (t) => {
  const sim = await SimCluster.start({ nodes: 5, n: 3, r: 2, w: 2 });
  t.teardown(() => sim.close());
  const key = sim.keyWhere((reps) => !reps.includes('n0'));
  const writes = [];
  for (let round = 0; round < 10; round++) for (const node of sim.nodes) writes.push(node.coord.write(key, incr(BigInt(round + 1))));
  const objs = await sim.settle(Promise.all(writes));
  t.ok(objs.every((o) => counterValue(o)! > 0n), 'each increment answers the total its coordinator holds');
  await sim.idle(50);
  const read = await sim.settle(sim.node('n0').coord.read(key));
  t.equal(visibleSibling(read, sim.clock.now())?.value.toString(), String(5 * 55), 'the read merges every increment');
});

t.test('a refused increment comes back from a forwarded coordinator; EXPIRE of a counter keeps it a counter', async (t) => {
  const sim = await SimCluster.start({ nodes: 4, n: 3, r: 2, w: 2 });
  t.teardown(() => sim.close());
  const key = sim.keyWhere((reps) => !reps.includes('n0'));
  const entry = sim.node('n0').coord;
  await sim.settle(entry.write(key, setReq('abc')));
  t.equal(await sim.outcome(entry.write(key, incr(1n))), 'ERR value is not an integer or out of range');
  await sim.settle(entry.write(key, setReq('9223372036854775807')));
  t.equal(await sim.outcome(entry.write(key, incr(1n))), 'ERR increment or decrement would overflow');
  await sim.settle(entry.write(key, setReq('1')));
  await sim.settle(entry.write(key, incr(1n)));
  // An update that keeps the counter's state (what EXPIRE writes) travels forwarded with its counter flag.
  const at = sim.clock.now() + 60_000;
  await sim.settle(
    entry.update(key, (cur) => {
      const s = visibleSibling(cur, sim.clock.now())!;
      return { write: { value: s.counterState!, tombstone: false, expireAt: at, counter: true }, result: undefined };
    }),
  );
  await sim.settle(Promise.all(sim.nodes.map((n) => n.coord.write(key, incr(10n)))));
  const read = await sim.settle(entry.read(key));
  const s = visibleSibling(read, sim.clock.now())!;
  t.equal(s.value.toString(), String(2 + 40));
  t.equal(s.expireAt, at, 'the increments kept the expiry');
});
