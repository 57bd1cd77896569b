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

// Every member starts at once with the first as its only seed: a join storm. The bound holds for every seed of the sweep
// (before the prompt pull, seeds 1, 2 and 4 of 50 members waited for the 30 s push-pull: 31 periods).
const sweeps: Array<[number, number[]]> = [
  [50, [1, 2, 3, 4, 5, 6]],
  [100, [1, 2, 3]],
];
for (const [n, seeds] of sweeps) {
  for (const seed of seeds) {
    t.test(`${n} members converge from one seed, and detect a dead member, in O(log n) periods (seed ${seed})`, async (t) => {
      const c = new SimCluster(seed);
      t.teardown(() => c.stopAll());
      const all = ids(n);
      await c.start(all[0]!);
      for (const id of all.slice(1)) await c.start(id, { seeds: [c.address(all[0]!)] });
      const bound = 3 * Math.ceil(Math.log2(n));
      const ms = await c.until(() => converged(c, all), bound * 1000, 1000);
      t.not(ms, -1, `every member sees every member alive within 3 log2(n) = ${bound} periods`);
      t.comment(`${n} members, seed ${seed}: converged after ${ms / 1000} periods (log2(n) = ${Math.log2(n).toFixed(1)})`);
      const ring = c.nodes.get(all[n - 1]!)!.membership.ring();
      t.equal(ring.owners.length, n, 'every member owns a part of the ring');

      // Then one member is cut off: every other member holds it dead within the same bound.
      const victim = all[n - 1]!;
      const others = all.filter((id) => id !== victim);
      c.net.isolate(victim);
      const detectMs = await c.until(() => others.every((id) => c.status(id, victim) === 'dead'), bound * 1000, 1000);
      t.not(detectMs, -1, `an isolated member is dead to every other within ${bound} periods`);
      t.comment(`${n} members, seed ${seed}: isolated member dead everywhere after ${detectMs / 1000} periods`);
    });
  }
}
