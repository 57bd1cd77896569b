import t from 'tap';
import { FaultCluster, sleep } from '../support/fault-cluster.js';

// Three real processes, a one-second tombstone grace and fast anti-entropy. Keys are set with an hour
// of TTL, then one node's clock is moved two hours ahead: by its clock they have expired and are past
// the grace, so it proposes to collect them. The other replicas, whose clocks say the TTL still runs,
// must refuse, and no key may vanish from any replica.

const KEYS = Array.from({ length: 20 }, (_, i) => `skew:ttl:${i}`);
const GONE = Array.from({ length: 10 }, (_, i) => `skew:gone:${i}`);

const cluster = await FaultCluster.start({
  t,
  args: ['--tombstone-grace-seconds', '1', '--ae-interval-ms', '100', '--ae-full-pass-ms', '1000', '--expiry-sweep-ms', '100'],
});

/** [context, values] from one node's own store: context null when it holds no record. */
async function local(id: string, key: string): Promise<[string | null, string[]]> {
  return (await cluster.call(id, 'QLOCAL', key)) as [string | null, string[]];
}

t.test('a node two hours ahead does not get keys with a live TTL collected', async (t) => {
  for (const k of KEYS) t.equal(await cluster.call('node1', 'SET', k, 'v', 'EX', '3600'), 'OK');
  // Tombstones too, so the skewed node's collector scans the ranges as well as its expiry sweep.
  for (const k of GONE) await cluster.call('node1', 'SET', k, 'v');
  for (const k of GONE) await cluster.call('node1', 'DEL', k);
  const deadline = Date.now() + 15_000;
  for (const id of cluster.ids) {
    for (const k of KEYS) while ((await local(id, k))[0] === null && Date.now() < deadline) await sleep(100);
  }
  await cluster.clockOffset('node3', 2 * 3_600_000);
  // With collection on one node's word the keys went within a few seconds here (75 s with default intervals).
  const missing = new Set<string>();
  const until = Date.now() + 8_000;
  while (Date.now() < until) {
    for (const id of cluster.ids) {
      for (const k of KEYS) if ((await local(id, k))[0] === null) missing.add(`${k} on ${id}`);
    }
    await sleep(500);
  }
  t.same([...missing], [], 'every replica kept every key whose TTL still runs');
  for (const k of KEYS.slice(0, 5)) {
    const ttl = Number(await cluster.call('node1', 'TTL', k));
    t.ok(ttl > 3500, `TTL ${k} through a correct node: ${ttl}`);
    t.equal(await cluster.call('node2', 'GET', k), 'v');
  }
  const refused = await cluster.call('node1', 'QKV.STATUS').then((s) => JSON.parse(String(s)) as { repair?: { purgesRefused?: number } });
  const refused2 = await cluster.call('node2', 'QKV.STATUS').then((s) => JSON.parse(String(s)) as { repair?: { purgesRefused?: number } });
  t.ok((refused.repair?.purgesRefused ?? 0) + (refused2.repair?.purgesRefused ?? 0) > 0, 'the correct replicas refused the proposals');
});
