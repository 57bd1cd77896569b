import t from 'tap';
import { keyHash } from '../../src/core/hash.js';
import { takeStandIn } from '../../src/coordinator/write-plan.js';
import { Ring } from '../../src/ring/ring.js';
import { SimCluster } from '../support/sim-cluster.js';
import { setReq } from './helpers.js';

// Six nodes: n0-n2 in dc1, n3-n5 in dc2, two replicas per DC: each DC has one node to spare.
const PER_DC = [
  { dc: 'dc1', count: 2 },
  { dc: 'dc2', count: 2 },
];
const dcOf = (i: number): string => (i < 3 ? 'dc1' : 'dc2');

async function hintTargets(sim: SimCluster, id: string): Promise<string[]> {
  const store = sim.node(id).hints!;
  const out: string[] = [];
  for (const target of store.targets()) for (const h of await store.peek(target, 100)) out.push(`${target}:${h.key.toString()}`);
  return out;
}

t.test('a down replica gets its stand-in from its own DC, even when a node of another DC comes first clockwise', async (t) => {
  const sim = await SimCluster.start({ nodes: 6, n: 4, w: 4, hints: true, sloppyQuorum: true, dcOf, replicasPerDc: PER_DC });
  t.teardown(() => sim.close());
  const dc = (id: string): string | undefined => sim.ring.dcOf(id);
  // A key whose dc2 replica's stand-in in plain ring order would be the spare of dc1.
  let key: Buffer | undefined;
  for (let i = 0; i < 500 && !key; i++) {
    const k = Buffer.from(`key${i}`);
    const [first] = sim.ring.fallbacks(keyHash(k), 4, () => true);
    if (first !== undefined && dc(first) === 'dc1') key = k;
  }
  if (!key) throw new Error('no key with a dc1 node first among the fallbacks');
  const home = sim.replicasOf(key);
  t.same(home.map(dc), ['dc1', 'dc1', 'dc2', 'dc2'], 'two home replicas per DC');
  const down = home[3]!;
  const spare = sim.ring.fallbacks(keyHash(key), 4, () => true);
  const dc2Spare = spare.find((id) => dc(id) === 'dc2')!;
  sim.net.isolate(down);
  await sim.settle(sim.node(home[0]!).coord.write(key, setReq('v')));
  await sim.idle(5);
  t.same(await hintTargets(sim, dc2Spare), [`${down}:${key.toString()}`], 'the dc2 spare keeps the hint');
  t.same(await hintTargets(sim, spare[0]!), [], 'the dc1 spare, first clockwise, keeps none');
});

t.test('takeStandIn prefers the owner\'s DC only with replicas per DC', async (t) => {
  const ms = [
    { id: 'a', rack: 'r1', dc: 'dc1', vnodes: 4, state: 'normal' as const },
    { id: 'b', rack: 'r1', dc: 'dc2', vnodes: 4, state: 'normal' as const },
    { id: 'c', rack: 'r1', dc: 'dc2', vnodes: 4, state: 'normal' as const },
  ];
  const perDc = Ring.build(ms, { replicasPerDc: [{ dc: 'dc1', count: 1 }] });
  const spare = ['a', 'c'];
  t.equal(takeStandIn(perDc, spare, 'b'), 'c', 'same DC as b');
  t.same(spare, ['a']);
  t.equal(takeStandIn(perDc, spare, 'b'), 'a', 'none left in dc2: the first');
  t.equal(takeStandIn(perDc, spare, 'b'), undefined);
  const plain = Ring.build(ms);
  const any = ['a', 'c'];
  t.equal(takeStandIn(plain, any, 'b'), 'a', 'without replicas per DC: the first, as before');
  const first = ['c', 'a'];
  t.equal(takeStandIn(perDc, first, 'b'), 'c', 'already first');
});
