import t from 'tap';
import { SimCluster } from '../support/sim-cluster.js';
import { MAX_GET_KEYS } from '../../src/coordinator/messages.js';
import { setReq } from './helpers.js';

const KiB = 1024;

/** Counts the requests of each type a node sends. */
function countRequests(sim: SimCluster, id: string): Map<string, number> {
  const counts = new Map<string, number>();
  const rpc = sim.node(id).endpoint.rpc;
  const request = rpc.request.bind(rpc);
  rpc.request = (peer, msg, opts) => {
    const type = (msg as { type: string }).type;
    counts.set(type, (counts.get(type) ?? 0) + 1);
    return request(peer, msg, opts);
  };
  return counts;
}

t.test('reads and scans of more data than one reply holds come in several replies', async (t) => {
  // Frames of 1 MiB: 30 values of 100 KiB cannot travel in one reply.
  const sim = await SimCluster.start({ nodes: 4, n: 3, r: 3, w: 3, maxFrameBytes: 1024 * KiB, maxReplyBytes: 256 * KiB });
  t.teardown(() => sim.close());
  const keys = Array.from({ length: 30 }, (_, i) => Buffer.from(`big${i}`));
  const value = (i: number) => `${i}:`.padEnd(100 * KiB, 'x');
  await sim.settle(Promise.all(keys.map((k, i) => sim.nodes[i % 4]!.coord.write(k, setReq(value(i))))));
  const counts = countRequests(sim, 'n0');
  const got = await sim.settle(sim.node('n0').coord.readMany(keys));
  t.same(
    got.map((o) => o?.siblings[0]?.value.toString()),
    keys.map((_, i) => value(i)),
    'every value read in full',
  );
  const reads = (counts.get('r.get') ?? 0) + (counts.get('r.batch') ?? 0);
  t.ok(reads > 3, `reads took several rounds per node (${reads})`);
  let cursor = 0n;
  const seen: string[] = [];
  do {
    const page = await sim.settle(sim.node('n0').coord.scan(cursor, 1000));
    for (const e of page.keys) {
      t.equal(e.obj.siblings[0]!.value.length, 100 * KiB);
      seen.push(e.key.toString());
    }
    cursor = page.next;
  } while (cursor !== 0n);
  t.same(seen.sort(), keys.map(String).sort());
  t.ok((counts.get('c.scan') ?? 0) > 3, `c.scan pages stopped early (${counts.get('c.scan')})`);
});

t.test('more keys than one request may carry are read in several requests', async (t) => {
  const sim = await SimCluster.start({ nodes: 2, n: 2, r: 2, w: 2 });
  t.teardown(() => sim.close());
  const keys = Array.from({ length: MAX_GET_KEYS + 5 }, (_, i) => Buffer.from(`m${i}`));
  await sim.settle(sim.node('n1').coord.write(keys[MAX_GET_KEYS + 2]!, setReq('found')));
  const counts = countRequests(sim, 'n0');
  const got = await sim.settle(sim.node('n0').coord.readMany(keys));
  t.equal(got.filter((o) => o !== undefined).length, 1);
  t.equal(got[MAX_GET_KEYS + 2]?.siblings[0]?.value.toString(), 'found');
  t.equal((counts.get('r.get') ?? 0) + (counts.get('r.batch') ?? 0), 2, 'two read rounds');
});

t.test('a scan reply that does not move forward is refused', async (t) => {
  const sim = await SimCluster.start({ nodes: 2, n: 1, r: 1, w: 1 });
  t.teardown(() => sim.close());
  sim.node('n1').endpoint.rpc.onRequest(() => ({ keys: [], hashes: [], objs: [], next: 0n }));
  t.equal(await sim.outcome(sim.node('n0').coord.scan(0n, 10)), 'ERR bad reply from peer: c.scan did not advance');
});
