import t, { type Test } from 'tap';
import { SimCluster } from './helpers.js';

async function cluster(t: Test, n: number, seed: number): Promise<{ c: SimCluster; all: string[] }> {
  const c = new SimCluster(seed);
  t.teardown(() => c.stopAll());
  const all = Array.from({ length: n }, (_, i) => `n${i}`);
  await c.start(all[0]!);
  for (const id of all.slice(1)) await c.start(id, { seeds: [c.address(all[0]!)] });
  const ms = await c.until(() => all.every((a) => all.every((b) => c.status(a, b) === 'alive')), 30_000);
  t.not(ms, -1, 'the cluster formed');
  return { c, all };
}

for (const n of [3, 10]) {
  t.test(`a crashed member of ${n} is declared dead by every other member in bounded time`, async (t) => {
    const { c, all } = await cluster(t, n, 10 + n);
    const victim = all[1]!;
    const others = all.filter((id) => id !== victim);
    c.net.isolate(victim);
    const ms = await c.until(() => others.every((id) => c.status(id, victim) === 'dead'), 60_000);
    t.not(ms, -1, 'all others agree it is dead');
    t.comment(`${n} members: crashed member dead everywhere after ${ms} ms`);
    t.ok(ms <= (n <= 3 ? 10_000 : 20_000), 'within the bound');
    t.ok(others.every((id) => !c.nodes.get(id)!.membership.isReachable(victim)));
    t.equal(c.nodes.get(all[0]!)!.membership.ring().owners.length, n, 'a dead member keeps its place in the ring');
    t.equal(c.nodes.get(all[0]!)!.membership.phi(victim), 1000, 'phi of a dead member is the maximum');
  });
}

t.test('10% packet loss and no crash: suspicions are refuted and nobody dies over 1,000 periods', async (t) => {
  const { c, all } = await cluster(t, 8, 77);
  c.net.setFaults({ lossRate: 0.1 });
  let deaths = 0;
  for (const id of all) c.nodes.get(id)!.membership.onChange((ev) => ev.kind === 'dead' && deaths++);
  await c.run(1_000_000, 50);
  const suspected = all.reduce((s, id) => s + (c.nodes.get(id)!.counters.get('suspected') ?? 0), 0);
  const refuted = all.reduce((s, id) => s + (c.nodes.get(id)!.counters.get('refuted') ?? 0), 0);
  t.comment(`8 members, 10% loss, 1000 periods: ${suspected} suspicions, ${refuted} refutations, ${deaths} deaths`);
  t.equal(deaths, 0, 'no member was declared dead');
  t.ok(all.every((a) => all.every((b) => c.nodes.get(a)!.membership.isReachable(b))), 'everyone is reachable to everyone');
});

t.test('a partition splits the view and heals back to one', async (t) => {
  const { c, all } = await cluster(t, 6, 5);
  const left = all.slice(0, 3);
  const right = all.slice(3);
  c.net.partition(left, right);
  const split = await c.until(() => left.every((a) => right.every((b) => c.status(a, b) === 'dead' && c.status(b, a) === 'dead')), 60_000);
  t.not(split, -1, 'each side declares the other dead');
  t.ok(left.every((a) => left.every((b) => c.status(a, b) === 'alive')), 'each side stays whole');
  c.net.heal();
  const healed = await c.until(() => all.every((a) => all.every((b) => c.status(a, b) === 'alive')), 60_000);
  t.not(healed, -1, 'one view again');
  t.comment(`partition of 3+3: split after ${split} ms, healed ${healed} ms after the network did`);
});
