import { mkdir, rm } from 'node:fs/promises';
import t from 'tap';
import { startCluster } from '../support/node-process.js';
import { call, client, sleep, status, waitForViews } from './helpers.js';

// Three real processes, N=3 R=2 W=2, anti-entropy on a short schedule and a
// two-second tombstone grace.

const nodes = await startCluster({
  t,
  nodes: 3,
  args: ['--ae-interval-ms', '100', '--ae-full-pass-ms', '3000', '--tombstone-grace-seconds', '2'],
});
const ports = nodes.map((n) => n.port);
const ids = ['node1', 'node2', 'node3'];
await waitForViews(ports, ids);

/** How many of keys node (by port) holds locally, live. */
async function heldLive(port: number, keys: readonly string[]): Promise<number> {
  const c = await client(t, port);
  let n = 0;
  for (const k of keys) {
    const local = (await call(c, 'QLOCAL', k)) as [string | null, string[]];
    if (local[1].length > 0) n++;
  }
  c.close();
  return n;
}

t.test('a node that lost its disk gets every key back from anti-entropy alone', async (t) => {
  const c1 = await client(t, ports[0]!);
  const keys = Array.from({ length: 500 }, (_, i) => `ae:${i}`);
  for (const k of keys) t.equal(await call(c1, 'SET', k, `v-${k}`), 'OK');
  const node3 = nodes[2]!;
  await node3.stop();
  await rm(node3.dataDir, { recursive: true, force: true });
  await mkdir(node3.dataDir, { recursive: true });
  await node3.restart();
  await waitForViews(ports, ids);
  const started = Date.now();
  t.equal(await heldLive(ports[2]!, keys.slice(0, 20)) < 20, true, 'the wiped node starts without the keys');
  let held = 0;
  while (Date.now() - started < 30_000) {
    held = await heldLive(ports[2]!, keys);
    if (held === keys.length) break;
    await sleep(250);
  }
  const secs = (Date.now() - started) / 1000;
  t.equal(held, keys.length, 'every key is back on the wiped node, with no client reads');
  const repair = (await status(ports[2]!)).repair;
  t.comment(`restored ${held} keys in ${secs.toFixed(1)} s; node3 repair status: ${JSON.stringify(repair)}`);
  t.ok(Number(repair.keysRepaired) > 0 || Number((await status(ports[0]!)).repair.keysRepaired) > 0, 'anti-entropy did the repair');
});

t.test('keys deleted while a replica was down stay deleted after it returns and the grace has passed', async (t) => {
  const c1 = await client(t, ports[0]!);
  const keys = Array.from({ length: 40 }, (_, i) => `gone:${i}`);
  for (const k of keys) t.equal(await call(c1, 'SET', k, 'old'), 'OK');
  // Every replica holds the value before node3 goes away.
  const deadline = Date.now() + 15_000;
  while ((await heldLive(ports[2]!, keys)) < keys.length && Date.now() < deadline) await sleep(200);
  const node3 = nodes[2]!;
  await node3.stop();
  await waitForViews(ports.slice(0, 2), ids.slice(0, 2), 3);
  for (const k of keys) t.same(await call(c1, 'DEL', k), 1, `DEL ${k}`);
  await sleep(3000); // past the grace: only the missing agreement with node3 keeps the tombstones
  await node3.restart();
  await waitForViews(ports, ids);
  // node3 comes back with the old values; the nodes that saw the delete must never take them back.
  const started = Date.now();
  let purged = false;
  while (Date.now() - started < 25_000) {
    for (const p of ports.slice(0, 2)) t.equal(await heldLive(p, keys), 0, `no live deleted key on port ${p}`);
    const contexts: Array<string | null> = [];
    for (const p of ports) {
      const c = await client(t, p);
      for (const k of keys) contexts.push(((await call(c, 'QLOCAL', k)) as [string | null, string[]])[0]);
      c.close();
    }
    if (contexts.every((x) => x === null)) {
      purged = true;
      break;
    }
    await sleep(500);
  }
  t.ok(purged, 'the tombstones were collected on every replica');
  const stats = await Promise.all(ports.map(async (p) => (await status(p)).repair.tombstonesPurged));
  t.comment(`tombstones purged after ${((Date.now() - started) / 1000).toFixed(1)} s; per node: ${stats.join(', ')}`);
  await sleep(1500); // more exchanges: nothing comes back
  for (const p of ports) {
    const c = await client(t, p);
    for (const k of keys.slice(0, 10)) t.equal(await call(c, 'GET', k), null, `${k} stays deleted via port ${p}`);
    c.close();
  }
});
