import t from 'tap';
import { runStatus } from '../../src/server/status-cli.js';
import { startCluster } from '../support/node-process.js';
import { call, client, waitForViews } from './helpers.js';

// Three real server processes on loopback, N=3 R=2 W=2, seeded with each other.

const nodes = await startCluster({ t, nodes: 3, n: 3, r: 2, w: 2 });
const ports = nodes.map((n) => n.port);
const ids = ['node1', 'node2', 'node3'];
const keys = Array.from({ length: 12 }, (_, i) => `key:${i}`);

t.test('the nodes find each other and agree on the members', async (t) => {
  const views = await waitForViews(ports, ids);
  t.same(
    views.map((v) => v.self),
    ids,
  );
});

t.test('a write through node 1 is read through nodes 2 and 3, and stored on all three replicas', async (t) => {
  const [c1, c2, c3] = await Promise.all(ports.map((p) => client(t, p)));
  for (const k of keys) t.equal(await call(c1!, 'SET', k, `v-${k}`), 'OK');
  for (const k of keys) {
    t.equal(await call(c2!, 'GET', k), `v-${k}`, `${k} via node2`);
    t.equal(await call(c3!, 'GET', k), `v-${k}`, `${k} via node3`);
  }
  for (const k of keys) {
    const replicas = await call(c1!, 'QKV.REPLICAS', k);
    t.same([...(replicas as string[])].sort(), ids, `${k} has three replicas`);
    let holders = 0;
    for (const c of [c1!, c2!, c3!]) {
      const local = (await call(c, 'QLOCAL', k)) as [string | null, string[]];
      if (local[1].length > 0) {
        t.same(local[1], [`v-${k}`]);
        holders++;
      }
    }
    t.equal(holders, 3, `${k} is on exactly three nodes`);
  }
});

t.test('quorumkv status --json lists the three members in the documented shape', async (t) => {
  let out = '';
  const code = await runStatus(['-p', String(ports[1]), '--json'], { out: (s) => (out += s), err: (s) => t.fail(s) }, {});
  t.equal(code, 0);
  const doc = JSON.parse(out) as { self: string; members: Array<Record<string, unknown>>; hints: unknown; repair: unknown };
  t.equal(doc.self, 'node2');
  t.same(
    doc.members.map((m) => m.id),
    ids,
  );
  for (const m of doc.members) {
    // The documented fields, then each member's own load (asked of the member itself).
    t.same(Object.keys(m), ['id', 'address', 'status', 'state', 'rack', 'dc', 'ownership', 'phi', 'keys', 'bytes']);
    t.type(m.keys, 'number');
    t.type(m.bytes, 'number');
    t.equal(m.status, 'alive');
    t.equal(m.state, 'normal');
    // Phi is this node's suspicion level of a peer (null for itself).
    if (m.id === doc.self) t.equal(m.phi, null);
    else t.type(m.phi, 'number');
  }
  const total = doc.members.reduce((s, m) => s + (m.ownership as number), 0);
  t.ok(Math.abs(total - 1) < 1e-3, `primary ownership adds up to the whole ring (${total})`);
  t.same(doc.hints, {});
  t.match(doc.repair, { rebuild: { done: Number, total: Number, rate: Number, etaSeconds: Number }, exchanges: Number, keysRepaired: Number, tombstonesPurged: Number });
});

t.test('with one node killed, W=2 and R=2 still succeed, W=3 fails, and the node rejoins after a restart', async (t) => {
  const victim = nodes[2]!;
  await victim.kill9();
  const [c1, c2] = await Promise.all(ports.slice(0, 2).map((p) => client(t, p)));
  await waitForViews(ports.slice(0, 2), ['node1', 'node2'], 3);

  t.equal(await call(c1!, 'SET', 'after-crash', 'w2'), 'OK', 'W=2 write');
  t.equal(await call(c2!, 'GET', 'after-crash'), 'w2', 'R=2 read');
  t.equal(await call(c2!, 'GET', keys[0]!), `v-${keys[0]}`, 'R=2 read of an older key');
  const w3 = await call(c1!, 'QSET', 'needs-all', 'x', 'W', '3');
  t.match(w3, { error: /^UNAVAILABLE / }, 'W=3 write');
  const r3 = await call(c1!, 'QGET', keys[0]!, 'R', '3');
  t.match(r3, { error: /^UNAVAILABLE / }, 'R=3 read');

  victim.spawn();
  await victim.ready();
  await waitForViews(ports, ids);
  const c3 = await client(t, victim.port);
  t.equal(await call(c3, 'GET', 'after-crash'), 'w2', 'the restarted node serves reads');
  t.match(await call(c1!, 'QSET', 'needs-all', 'y', 'W', '3'), /^[A-Za-z0-9_-]+$/, 'W=3 succeeds again');
  const local = (await call(c3, 'QLOCAL', 'needs-all')) as [string | null, string[]];
  t.ok(local[1].includes('y'), 'the rejoined node holds the new write');
});
