import t from 'tap';
import { keyHashBytes } from '../../src/core/hash.js';
import { SeededRng } from '../../src/core/rng.js';
import type { ClusterCoordinator } from '../../src/coordinator/cluster-coordinator.js';
import { SimCluster } from '../support/sim-cluster.js';
import { counterValue, setReq } from './helpers.js';

/** Every page of a full scan through `coord` with page size `count`. */
async function fullScan(sim: SimCluster, coord: ClusterCoordinator, count: number): Promise<{ keys: string[]; cursors: bigint[] }> {
  const keys: string[] = [];
  const cursors: bigint[] = [];
  let cursor = 0n;
  do {
    const page = await sim.settle(coord.scan(cursor, count));
    for (const e of page.keys) keys.push(e.key.toString());
    cursor = page.next;
    cursors.push(cursor);
  } while (cursor !== 0n);
  return { keys, cursors };
}

t.test('a scan over many keys across 5 nodes returns every live key exactly once', async (t) => {
  const sim = await SimCluster.start({ nodes: 5, n: 3, r: 2, w: 2, vnodes: 16 });
  t.teardown(() => sim.close());
  const rng = new SeededRng(3);
  const written: string[] = [];
  const writes: Array<Promise<unknown>> = [];
  for (let i = 0; i < 250; i++) {
    const key = `key:${i}`;
    written.push(key);
    writes.push(sim.nodes[rng.int(5)]!.coord.write(Buffer.from(key), setReq(`v${i}`)));
  }
  await sim.settle(Promise.all(writes));
  // Some deleted and some expired: neither is listed.
  await sim.settle(sim.node('n1').coord.write(Buffer.from('key:0'), setReq('', { tombstone: true })));
  await sim.settle(sim.node('n2').coord.write(Buffer.from('key:1'), setReq('soon', { expireAt: sim.clock.now() + 5 })));
  await sim.idle(10);
  const live = written.filter((k) => k !== 'key:0' && k !== 'key:1').sort();
  for (const count of [1, 7, 50, 1000]) {
    const entry = sim.nodes[count % 5]!.coord;
    const { keys, cursors } = await fullScan(sim, entry, count);
    t.same([...keys].sort(), live, `COUNT ${count}: every key once`);
    t.equal(new Set(keys).size, keys.length, `COUNT ${count}: no key twice`);
    const steps = cursors.slice(0, -1);
    t.ok(
      steps.every((c, i) => i === 0 || c > steps[i - 1]!),
      `COUNT ${count}: cursors move forward`,
    );
  }
  t.equal(await sim.settle(sim.node('n3').coord.dbsize()), live.length);
  // With one node down (and known to be), the other replicas of its ranges answer.
  sim.net.isolate('n4');
  t.same([...(await fullScan(sim, sim.node('n0').coord, 100)).keys].sort(), live);
  t.equal(await sim.settle(sim.node('n0').coord.dbsize()), live.length);
});

t.test('a scan resumes from any cursor, and keys sharing a ring position stay on one page', async (t) => {
  // Keys "g<i>-<j>" share a position per group i (every node holds every key: N = nodes).
  const storeHash = (key: Buffer) => keyHashBytes(key.toString().split('-')[0]!);
  const sim = await SimCluster.start({ nodes: 3, n: 3, r: 3, w: 3, storeHash });
  t.teardown(() => sim.close());
  const groups = new Map<string, string[]>();
  const writes: Array<Promise<unknown>> = [];
  for (let i = 0; i < 12; i++) {
    for (let j = 0; j <= i % 4; j++) {
      const key = `g${i}-${j}`;
      groups.set(`g${i}`, [...(groups.get(`g${i}`) ?? []), key]);
      writes.push(sim.node('n0').coord.write(Buffer.from(key), setReq('v')));
    }
  }
  await sim.settle(Promise.all(writes));
  await sim.idle(10);
  let cursor = 0n;
  const seen: string[] = [];
  do {
    const page = await sim.settle(sim.node('n1').coord.scan(cursor, 1));
    const names = page.keys.map((e) => e.key.toString());
    const pageGroups = new Set(names.map((k) => k.split('-')[0]!));
    for (const g of pageGroups) t.same(names.filter((k) => k.startsWith(`${g}-`)).sort(), [...groups.get(g)!].sort(), `${g} whole on one page`);
    seen.push(...names);
    cursor = page.next;
  } while (cursor !== 0n);
  t.equal(seen.length, [...groups.values()].flat().length);
  t.equal(new Set(seen).size, seen.length);
  // A cursor in the middle of the ring: only keys at or after it, then the end.
  const mid = 1n << 63n;
  const rest: string[] = [];
  cursor = mid;
  do {
    const page = await sim.settle(sim.node('n2').coord.scan(cursor, 5));
    rest.push(...page.keys.map((e) => e.key.toString()));
    cursor = page.next;
  } while (cursor !== 0n);
  const expected = [...groups.values()].flat().filter((k) => keyHashBytes(k.split('-')[0]!).readBigUInt64BE(0) >= mid);
  t.same(rest.sort(), expected.sort());
});

t.test('a scan fails when no replica of a range is reachable, or a replica does not answer', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 1, r: 1, w: 1, timeoutMs: 30 });
  t.teardown(() => sim.close());
  sim.net.isolate('n2');
  t.match(await sim.outcome(sim.node('n0').coord.scan(0n, 10)), /^UNAVAILABLE 0 of 1 replicas of ring range \[\d+, \d+\) reachable, 1 needed$/);
  sim.believeAllUp();
  t.match(await sim.outcome(sim.node('n0').coord.dbsize()), /^TIMEOUT /);
  t.equal(await counterValue(sim.node('n0').metrics.quorumOperations, { type: 'scan', outcome: 'timeout' }), 1);
});
