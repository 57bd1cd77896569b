import t from 'tap';
import { counterValue } from '../../src/versioning/counter-view.js';
import { visibleSibling } from '../../src/versioning/object.js';
import { SimCluster } from '../support/sim-cluster.js';
import { incrReq, setReq } from './helpers.js';

// A script's hold on its keys at their first replica (coordinator/key-holds.ts):
// writes sent through other nodes wait for it, the script's own go ahead.

const incr = incrReq;

t.test('an increment through another node waits for the script holding the key, then builds on its result', async (t) => {
  const sim = await SimCluster.start({ nodes: 4, n: 3, r: 2, w: 2 });
  t.teardown(() => sim.close());
  const key = sim.keyWhere((reps) => !reps.includes('n0'));
  const home = sim.node(sim.replicasOf(key)[0]!).coord;
  const entry = sim.node('n0').coord;
  let endScript!: () => void;
  const scriptEnds = new Promise<void>((resolve) => (endScript = resolve));
  const order: string[] = [];
  const script = home.holding([key], async (kv) => {
    await kv.write(key, setReq('10'));
    order.push('script wrote 10');
    await scriptEnds;
    order.push('script ends');
  });
  await sim.idle(20);
  const increment = entry.write(key, incr(5n)).then((obj) => {
    order.push('increment');
    return obj;
  });
  await sim.idle(50);
  t.same(order, ['script wrote 10'], 'the increment waits while the script holds the key');
  endScript();
  const obj = await sim.settle(increment);
  await sim.settle(script);
  t.same(order, ['script wrote 10', 'script ends', 'increment']);
  t.equal(counterValue(obj), 15n, "the increment built on the script's write");
  const read = await sim.settle(entry.read(key));
  t.equal(visibleSibling(read, sim.clock.now())?.value.toString(), '15');
});

t.test('a write held past the request timeout fails with TIMEOUT and writes nothing', async (t) => {
  const sim = await SimCluster.start({ nodes: 4, n: 3, r: 2, w: 2, timeoutMs: 200 });
  t.teardown(() => sim.close());
  const key = sim.keyWhere((reps) => !reps.includes('n0'));
  const home = sim.node(sim.replicasOf(key)[0]!).coord;
  let endScript!: () => void;
  const script = home.holding([key], async (kv) => {
    await kv.write(key, setReq('1'));
    await new Promise<void>((resolve) => (endScript = resolve));
  });
  await sim.idle(20);
  const outcome = await sim.outcome(sim.node('n0').coord.write(key, incr(5n)));
  t.equal(outcome, `TIMEOUT a script on ${sim.replicasOf(key)[0]} held the key for more than 200 ms; nothing was written`, "the home's refusal reaches the entry node");
  endScript();
  await sim.settle(script);
  const read = await sim.settle(home.read(key));
  t.equal(visibleSibling(read, sim.clock.now())?.value.toString(), '1', 'the held write never landed');
});
