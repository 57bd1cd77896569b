import t from 'tap';
import { SimCluster } from './helpers.js';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${String(i).padStart(3, '0')}`);

function converged(c: SimCluster, all: readonly string[]): boolean {
  for (const id of all) {
    const view = c.nodes.get(id)!.membership.members();
    if (view.length !== all.length || view.some((m) => m.status !== 'alive')) return false;
  }
  return true;
}

for (const n of [50, 100]) {
  t.test(`${n} members converge from one seed in a few periods`, async (t) => {
    const c = new SimCluster(n);
    t.teardown(() => c.stopAll());
    const all = ids(n);
    await c.start(all[0]!);
    for (const id of all.slice(1)) await c.start(id, { seeds: [c.address(all[0]!)] });
    const ms = await c.until(() => converged(c, all), 60_000, 250);
    t.not(ms, -1, 'every member sees every member alive');
    const rounds = Math.ceil(ms / 1000);
    t.comment(`${n} members: converged after ${ms} ms (${rounds} protocol periods; log2(n) = ${Math.log2(n).toFixed(1)})`);
    t.ok(rounds <= 3 * Math.ceil(Math.log2(n)), 'O(log n) periods');
    const ring = c.nodes.get(all[n - 1]!)!.membership.ring();
    t.equal(ring.owners.length, n, 'every member owns a part of the ring');
  });
}
