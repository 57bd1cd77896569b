import t from 'tap';
import { startCluster } from '../support/node-process.js';
import { call, client, sleep, status, waitForViews } from './helpers.js';

// Three real nodes, N=2 W=2 (sloppy quorum on), each keeping at most
// HINT_BOUND hints per target. node3 is stopped, and writes go on: a key with
// node3 among its two home replicas is acknowledged by its other home replica
// and a stand-in (the one node left) keeping a hint for node3. Once a
// stand-in's bound is reached it refuses further hints, and those writes fail
// with UNAVAILABLE instead of being acknowledged on hints that are later
// dropped. node3 comes back with the same data dir; hint delivery is its only
// source (anti-entropy is slowed to a round a day), and every acknowledged
// write is then in its own store.

const HINT_BOUND = 15;
const KEYS = 150;

const nodes = await startCluster({
  t,
  nodes: 3,
  n: 2,
  r: 1,
  w: 2,
  args: ['--hint-max-per-target', String(HINT_BOUND), '--ae-interval-ms', '86400000', '--log-level', 'warn'],
});
const ports = nodes.map((n) => n.port);
const ids = ['node1', 'node2', 'node3'];

interface HintCounts {
  pending?: number;
  delivered?: number;
  refused?: number;
}

async function hintsFor(port: number, target: string): Promise<HintCounts> {
  const hints = (await status(port)).hints as Record<string, HintCounts>;
  return hints[target] ?? {};
}

t.test('at a tiny hint bound with a replica down, every acknowledged write reaches it once it returns', async (t) => {
  await waitForViews(ports, ids);
  const victim = nodes[2]!;
  await victim.stop();
  await waitForViews(ports.slice(0, 2), ['node1', 'node2'], 3);

  const c1 = await client(t, ports[0]!);
  const acked: string[] = [];
  const refused: string[] = [];
  for (let i = 0; i < KEYS; i++) {
    const key = `hb:${i}`;
    const reply = await call(c1, 'SET', key, `v${i}`);
    if (reply === 'OK') acked.push(key);
    else refused.push(typeof reply === 'object' && reply !== null && 'error' in reply ? reply.error : String(reply));
  }
  const homes = new Map<string, string[]>();
  for (let i = 0; i < KEYS; i++) homes.set(`hb:${i}`, (await call(c1, 'QKV.REPLICAS', `hb:${i}`)) as string[]);
  const onVictim = acked.filter((k) => homes.get(k)!.includes('node3'));
  const wanted = [...homes.values()].filter((h) => h.includes('node3')).length;
  t.comment(`${acked.length} of ${KEYS} writes acknowledged; ${onVictim.length} of the ${wanted} keys homed on node3 were`);

  t.ok(refused.length > 0, 'past the bounds, writes homed on node3 are refused');
  // Judged out of reach as soon as the stand-ins refuse, whether or not the local put had landed yet.
  for (const e of new Set(refused)) t.match(e, /^UNAVAILABLE [01] of 2 replicas acknowledged, 2 needed; the write may be present on some replicas$/);
  t.equal(acked.length + refused.length, KEYS);
  t.ok(onVictim.length > 0 && onVictim.length <= 2 * HINT_BOUND, 'only as many hinted writes acknowledged as two stand-ins can hold');
  const held = await Promise.all(ports.slice(0, 2).map((p) => hintsFor(p, 'node3')));
  for (const h of held) t.ok((h.pending ?? 0) <= HINT_BOUND, 'no store holds more than its bound');
  t.ok(held.some((h) => (h.refused ?? 0) > 0), 'and the refusals are counted');

  victim.spawn();
  await victim.ready();
  let pending = Infinity;
  for (const deadline = Date.now() + 30_000; pending > 0 && Date.now() < deadline; ) {
    await sleep(200);
    const now = await Promise.all(ports.slice(0, 2).map((p) => hintsFor(p, 'node3')));
    pending = now.reduce((s, h) => s + (h.pending ?? 0), 0);
  }
  t.equal(pending, 0, 'every hint was delivered');

  const c3 = await client(t, victim.port);
  const missing: string[] = [];
  for (const key of onVictim) {
    const local = (await call(c3, 'QLOCAL', key)) as [string | null, string[]];
    if (!local[1].includes(`v${key.slice(3)}`)) missing.push(key);
  }
  t.same(missing, [], 'every acknowledged write homed on node3 is in its own store');
  for (const key of acked) t.equal(await call(c3, 'GET', key), `v${key.slice(3)}`, `${key} reads back through node3`);
});
