import t from 'tap';
import { runStatus } from '../../src/server/status-cli.js';
import { startCluster } from '../support/node-process.js';
import { call, client, sleep, waitForViews } from './helpers.js';

// One node's disk fails (QKV.DEBUG DISK-FAIL), in real processes: it says so on /health and in gossip,
// clients of every node still get answers, and once the disk works again the node heals.

const nodes = await startCluster({
  t,
  nodes: 3,
  n: 3,
  r: 2,
  w: 2,
  metricsPort: true,
  args: ['--debug', '--storage-stall-ms', '300', '--request-timeout-ms', '1500'],
});
const ports = nodes.map((n) => n.port);
const ids = ['node1', 'node2', 'node3'];
await waitForViews(ports, ids);
const clients = await Promise.all(ports.map((p) => client(t, p)));
const [c1, c2, c3] = clients as [(typeof clients)[0], (typeof clients)[0], (typeof clients)[0]];

async function health(i: number): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${nodes[i]!.metricsPort}/health`);
  return { status: r.status, body: await r.text() };
}

/** Polls until pred holds (or fails the test with the last value seen). */
async function until<T>(what: string, get: () => Promise<T>, pred: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T = await get();
  while (!pred(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)}`);
    await sleep(100);
    last = await get();
  }
  return last;
}

/** What QKV.MEMBERS on the client says of node3's disk. */
async function node3Unhealthy(c: typeof c1): Promise<string | null> {
  const members = (await c.call('QKV.MEMBERS')) as unknown[][];
  const m = members.map((f) => new Map(Array.from({ length: f.length / 2 }, (_, i) => [String(f[2 * i]), f[2 * i + 1]]))).find((f) => f.get('id') === 'node3');
  const v = m?.get('unhealthy');
  return v === undefined || v === null ? null : String(v);
}

async function statusText(port: number): Promise<string> {
  let out = '';
  await runStatus(['-p', String(port)], { out: (s) => (out += s), err: (s) => (out += s) }, {});
  return out;
}

const written = new Map<string, string>();

t.test('a failing disk: /health 503 with the reason, gossiped, and every node still answers writes', async (t) => {
  t.same(await health(2), { status: 200, body: 'ok' });
  t.equal(await c3.call('QKV.DEBUG', 'DISK-FAIL', 'on'), 'OK');
  // The first write through node3 meets the failing disk; another replica coordinates it.
  t.equal(await call(c3, 'SET', 'first', 'v'), 'OK');
  written.set('first', 'v');
  const h = await until('node3 /health', () => health(2), (r) => r.status === 503);
  t.match(h.body, /^not serving:\nstorage write failed: .*injected by QKV.DEBUG DISK-FAIL/);
  t.same(await health(0), { status: 200, body: 'ok' }, 'the others stay healthy');
  t.match(await until('gossip about node3', () => node3Unhealthy(c1), (v) => v !== null), /storage write failed/);
  t.match(await statusText(ports[0]!), /unhealthy: node3 steps aside \(storage write failed/);
  t.match(await statusText(ports[2]!), /node3 does not serve: storage write failed/);
  for (let i = 0; i < 30; i++) {
    const c = clients[i % 3]!;
    t.equal(await call(c, 'SET', `k${i}`, `v${i}`), 'OK', `k${i} through node${(i % 3) + 1}`);
    written.set(`k${i}`, `v${i}`);
  }
  t.equal(await call(c1, 'DEL', 'first'), 1);
  written.delete('first');
});

t.test('after DISK-FAIL off the node heals and serves again', async (t) => {
  t.equal(await c3.call('QKV.DEBUG', 'DISK-FAIL', 'off'), 'OK');
  await until('node3 /health', () => health(2), (r) => r.status === 200);
  await until('gossip about node3', () => node3Unhealthy(c1), (v) => v === null);
  for (const c of clients) {
    for (const [k, v] of written) t.equal(await call(c, 'GET', k), v, k);
    t.equal(await call(c, 'GET', 'first'), null);
  }
});

t.test('a stalling disk: writes get an answer within the request timeout, then go around the node', async (t) => {
  t.equal(await c3.call('QKV.DEBUG', 'DISK-FAIL', 'stall'), 'OK');
  // This write meets the stall: OK if the replicas took it before, else TIMEOUT within the request timeout.
  const started = Date.now();
  const first = await call(c3, 'SET', 'stalled', 'x');
  t.ok(first === 'OK' || /^TIMEOUT /.test((first as { error?: string }).error ?? ''), `answered: ${JSON.stringify(first)}`);
  t.ok(Date.now() - started < 10_000, 'not left hanging');
  const h = await until('node3 /health', () => health(2), (r) => r.status === 503);
  t.match(h.body, /storage stalled: a batch write has not completed in \d+ ms/);
  await until('gossip about node3', () => node3Unhealthy(c2), (v) => v !== null);
  for (let i = 0; i < 9; i++) {
    t.equal(await call(clients[i % 3]!, 'SET', `s${i}`, `w${i}`), 'OK', `s${i} through node${(i % 3) + 1}`);
  }
  t.equal(await c3.call('QKV.DEBUG', 'DISK-FAIL', 'off'), 'OK');
  await until('node3 /health', () => health(2), (r) => r.status === 200);
  for (const c of clients) for (let i = 0; i < 9; i++) t.equal(await call(c, 'GET', `s${i}`), `w${i}`);
});
