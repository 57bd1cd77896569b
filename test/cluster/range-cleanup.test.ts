import t from 'tap';
import { startCluster, startNode } from '../support/node-process.js';
import { call, client, sleep, waitForNormal, waitForViews } from './helpers.js';
import { checkReplicas, loadKeys, type ReplicaReport } from './ring-change-support.js';

// Real processes on loopback, N=3 R=2 W=2: three seeds hold K keys, a fourth
// node joins. The old owners keep serving the ranges they handed over for a
// short grace (1 s here, 60 s by default), then delete them: every key ends on
// exactly its three replicas, as QLOCAL on every node shows.
const K = 400;
const GRACE = ['--range-cleanup-grace-seconds', '1'];
const ids = ['node1', 'node2', 'node3', 'node4'];
const entry = (i: number): readonly [string, string] => [`rc:${i}`, `v${i}`];

t.test('after a join the old owners delete what they handed over: each key on exactly 3 of 4 nodes', async (t) => {
  const seeds = await startCluster({ t, nodes: 3, n: 3, r: 2, w: 2, args: GRACE, metricsPort: true });
  await waitForViews(
    seeds.map((s) => s.port),
    ids.slice(0, 3),
  );
  await loadKeys(
    seeds.map((s) => s.port),
    K,
    entry,
  );
  const all = new Map<string, string>();
  for (let i = 0; i < K; i++) all.set(...entry(i));

  const node4 = await startNode({
    t,
    n: 3,
    r: 2,
    w: 2,
    args: ['--node-id', 'node4', '--seeds', seeds.map((s) => `127.0.0.1:${s.peerPort}`).join(','), ...GRACE],
  });
  const nodes = [...seeds, node4];
  await waitForNormal(
    nodes.map((n) => n.port),
    ['node4'],
    60_000,
  );
  const joinedAt = Date.now();

  const named = nodes.map((n, i) => ({ id: ids[i]!, port: n.port }));
  let report: ReplicaReport = await checkReplicas(named, all);
  t.comment(`right after the join: ${report.extraCopies} of ${K} keys on more nodes than their replicas`);
  const deadline = joinedAt + 40_000;
  while ((report.extraCopies > 0 || report.underReplicated > 0) && Date.now() < deadline) {
    await sleep(500);
    report = await checkReplicas(named, all);
  }
  t.comment(`${((Date.now() - joinedAt) / 1000).toFixed(1)} s after the join: held by ${JSON.stringify(Object.fromEntries(report.heldBy))}`);
  t.equal(report.underReplicated, 0, `every key is on each of its three replicas ${report.examples.join('; ')}`);
  t.equal(report.extraCopies, 0, 'no key is on a node that does not replicate it');
  t.equal(
    [...report.heldBy.values()].reduce((a, b) => a + b, 0),
    K * 3,
    'exactly 3 copies of each key in all',
  );

  // The cleanup shows as a stream, and in the metrics, on the nodes that handed ranges over.
  let cleaned = 0;
  for (const s of seeds) {
    const c = await client(t, s.port);
    const streams = (await call(c, 'QKV.STREAMS')) as unknown[];
    const text = JSON.stringify(streams, (_k, v: unknown) => (v instanceof Map ? [...v] : typeof v === 'bigint' ? String(v) : v));
    if (text.includes('cleanup')) cleaned++;
    const metrics = await (await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`)).text();
    const m = /^quorumkv_range_cleanup_keys_total(?:\{[^}]*\})? (\d+)/m.exec(metrics);
    t.ok(m && Number(m[1]) > 0, `${s.port}: range_cleanup_keys_total ${m?.[1]}`);
  }
  t.equal(cleaned, 3, 'each old owner ran a cleanup stream');
  const c4 = await client(t, node4.port);
  for (const i of [0, K / 2, K - 1]) t.equal(await call(c4, 'GET', `rc:${i}`), `v${i}`, `rc:${i} reads through node4`);
});
