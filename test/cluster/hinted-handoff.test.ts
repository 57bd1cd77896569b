import t from 'tap';
import { Redis } from 'ioredis';
import { startCluster } from '../support/node-process.js';
import { sleep, status, waitForViews } from './helpers.js';

// Three real nodes, N=3 W=2. One is stopped; 10,000 writes through another
// are acknowledged by the two left, and each coordinator keeps a hint for the
// stopped one (with three nodes there is no stand-in beyond the first N).
// Restarted with the same data dir and id, it receives every key from the hints.

const KEYS = 10_000;
const BATCH = 500;

const nodes = await startCluster({ t, nodes: 3, n: 3, r: 2, w: 2 });
const ports = nodes.map((n) => n.port);
const ids = ['node1', 'node2', 'node3'];

function redis(port: number): Redis {
  const c = new Redis({ host: '127.0.0.1', port, lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: true });
  t.teardown(() => c.disconnect());
  return c;
}

async function pendingFor(port: number, target: string): Promise<number> {
  const hints = (await status(port)).hints as Record<string, { pending?: number }>;
  return hints[target]?.pending ?? 0;
}

t.test('every write made while a replica was stopped reaches it through hints after its restart', async (t) => {
  await waitForViews(ports, ids);
  const victim = nodes[2]!;
  await victim.stop();
  await waitForViews(ports.slice(0, 2), ['node1', 'node2'], 3);

  const c1 = redis(ports[0]!);
  const started = Date.now();
  for (let i = 0; i < KEYS; i += BATCH) {
    const pipe = c1.pipeline();
    for (let j = i; j < i + BATCH; j++) pipe.set(`hh:${j}`, `v${j}`);
    const replies = (await pipe.exec()) ?? [];
    const failed = replies.filter(([err]) => err !== null);
    if (failed.length > 0) t.fail(`${failed.length} writes failed: ${String(failed[0]![0])}`);
  }
  const wroteMs = Date.now() - started;
  t.comment(`${KEYS} writes with W=2 and one replica down: ${wroteMs} ms (${Math.round((KEYS * 1000) / wroteMs)}/s)`);

  // The hints are written beside each acknowledged write; let the last batch land.
  let held = 0;
  for (let i = 0; i < 100 && held < KEYS; i++) {
    held = await pendingFor(ports[0]!, 'node3');
    if (held < KEYS) await sleep(100);
  }
  t.equal(held, KEYS, 'node1 holds one hint per write for node3');

  victim.spawn();
  await victim.ready();
  const back = Date.now();
  let pending = held;
  while (pending > 0 && Date.now() - back < 30_000) {
    await sleep(200);
    pending = await pendingFor(ports[0]!, 'node3');
  }
  const drainedMs = Date.now() - back;
  t.equal(pending, 0, 'no hints pending');
  t.comment(`hints delivered ${drainedMs} ms after the restarted node answered PING`);
  const delivered = ((await status(ports[0]!)).hints as Record<string, { delivered: number }>).node3!.delivered;
  t.equal(delivered, KEYS, 'every hint was delivered');

  const c3 = redis(victim.port);
  let present = 0;
  for (let i = 0; i < KEYS; i += BATCH) {
    const pipe = c3.pipeline();
    for (let j = i; j < i + BATCH; j++) pipe.call('QLOCAL', `hh:${j}`);
    const replies = (await pipe.exec()) ?? [];
    replies.forEach(([err, reply], k) => {
      const values = (reply as [unknown, unknown[]] | null)?.[1] ?? [];
      if (err === null && values.length === 1 && String(values[0]) === `v${i + k}`) present++;
    });
  }
  t.equal(present, KEYS, 'every key is in the restarted node\'s own store');
});
