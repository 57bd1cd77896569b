import t from 'tap';
import { startTwoDcs } from './two-dc-processes.js';
import type { NodeProcess } from '../support/node-process.js';
import { call, client, sleep, status, waitForViews } from './helpers.js';
import type { RespClient } from '../../src/server/resp-client.js';

// Two DCs of three processes each (--debug), three replicas per DC, the default level LOCAL_QUORUM:
// - 60-150 ms injected between the DCs (QKV.DEBUG DELAY 60 with 90 ms jitter, both ways) for 20 s: no member
//   suspects another (WAN probes);
// - the DCs cut apart: nobody suspects a member of its own DC; dc1 keeps hints for dc2 (quorumkv_dc_hints_pending
//   and _bytes show them), they drain once healed, and every write is read in both DCs;
// - a dc2 node killed while dc1 writes at EACH_QUORUM: the next replica of dc2 forwards, and no acknowledged write
//   is lost.

const DC1 = ['w1a', 'w1b', 'w1c'];
const DC2 = ['w2a', 'w2b', 'w2c'];
const ids = [...DC1, ...DC2];
const nodes: NodeProcess[] = await startTwoDcs(t, ids, { metricsPort: true });
const ports = nodes.map((n) => n.port);
const clients: RespClient[] = [];

async function between(...cmd: string[]): Promise<void> {
  for (const [i, id] of ids.entries()) {
    const others = DC1.includes(id) ? DC2 : DC1;
    for (const other of others) t.equal(await call(clients[i]!, 'QKV.DEBUG', ...cmd.map((c) => (c === '{peer}' ? other : c))), 'OK');
  }
}

/** The sum over `at` (node indexes) of a metric's samples whose line starts with `prefix`. */
async function metric(at: readonly number[], prefix: string): Promise<number> {
  let total = 0;
  for (const i of at) {
    const text = await (await fetch(`http://127.0.0.1:${nodes[i]!.metricsPort!}/metrics`)).text();
    for (const line of text.split('\n')) if (line.startsWith(prefix)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Polls every node's view until `ms` passed; returns each time a node saw a member of its own DC not alive. */
async function watchOwnDc(ms: number, alive: (i: number) => boolean = () => true): Promise<string[]> {
  const seen: string[] = [];
  for (const until = Date.now() + ms; Date.now() < until; await sleep(250)) {
    for (const [i, id] of ids.entries()) {
      if (!alive(i)) continue;
      const own = DC1.includes(id) ? DC1 : DC2;
      for (const m of (await status(ports[i]!)).members) if (own.includes(m.id) && m.status !== 'alive' && alive(ids.indexOf(m.id))) seen.push(`${id} sees ${m.id} ${m.status}`);
    }
  }
  return seen;
}

t.before(async () => {
  await waitForViews(ports, ids, ids.length, 60_000);
  for (const port of ports) clients.push(await client(t, port));
});

t.test('60-150 ms between the DCs: no member suspects another for 20 s', async (t) => {
  await between('DELAY', '{peer}', '60', '90');
  await sleep(2000);
  const all = ids.map((_, i) => i);
  const before = await metric(all, 'quorumkv_gossip_suspicions_total');
  const own = await watchOwnDc(20_000);
  const after = await metric(all, 'quorumkv_gossip_suspicions_total');
  t.equal(after - before, 0, 'no suspicion anywhere (quorumkv_gossip_suspicions_total)');
  t.same(own, [], 'every member alive in every view');
});

t.test('the DCs cut apart: nobody suspects its own DC; hints for dc2 grow, drain once healed, and every write is read in both DCs', async (t) => {
  await between('PARTITION', '{peer}');
  const acked = new Map<string, string>();
  const writing = (async () => {
    for (let i = 0; i < 40; i++) {
      const key = `cut:${i}`;
      if ((await call(clients[i % 3]!, 'SET', key, `v${i}`)) === 'OK') acked.set(key, `v${i}`);
      await sleep(150);
    }
  })();
  const own = await watchOwnDc(12_000);
  await writing;
  t.same(own, [], 'no member saw one of its own DC suspect or dead');
  t.equal(acked.size, 40, 'dc1 acknowledged every write at LOCAL_QUORUM while cut off');
  const dc1 = [0, 1, 2];
  const pending = await metric(dc1, 'quorumkv_dc_hints_pending{dc="dc2",');
  const bytes = await metric(dc1, 'quorumkv_dc_hints_pending_bytes{dc="dc2",');
  t.ok(pending >= 40, `dc1 keeps hints for dc2: ${pending} pending, ${bytes} bytes (quorumkv_dc_hints_pending{dc="dc2"}, _bytes)`);
  t.ok(bytes > 0);
  t.equal(await metric(dc1, 'quorumkv_dc_hints_pending{dc="dc1",'), 0, 'none counted for its own DC');
  await between('HEAL', '{peer}');
  let left = pending;
  const start = Date.now();
  while (left > 0 && Date.now() - start < 60_000) {
    await sleep(500);
    left = await metric(dc1, 'quorumkv_dc_hints_pending{dc="dc2",');
  }
  t.equal(left, 0, `the hints for dc2 drained ${((Date.now() - start) / 1000).toFixed(1)} s after healing`);
  t.equal(await metric(dc1, 'quorumkv_dc_hints_pending_bytes{dc="dc2",'), 0);
  for (const i of [0, 3, 4, 5]) {
    const missing: string[] = [];
    for (const [key, value] of acked) {
      const got = (await call(clients[i]!, 'QGET', key, 'CL', 'LOCAL_ONE')) as [string, string[]] | null;
      if (!got?.[1]?.includes(value)) missing.push(key);
    }
    t.same(missing, [], `every write read at LOCAL_ONE through ${ids[i]}`);
  }
});

t.test('a dc2 node killed while dc1 writes at EACH_QUORUM: the next replica of dc2 forwards; no acknowledged write is lost', async (t) => {
  const acked = new Map<string, string>();
  let killed = false;
  const victim = 3;
  const writer = (async () => {
    for (let i = 0; i < 60; i++) {
      const key = `kill:${i}`;
      const reply = await call(clients[i % 3]!, 'QSET', key, `v${i}`, 'CL', 'EACH_QUORUM');
      if (typeof reply === 'string' || Array.isArray(reply)) acked.set(key, `v${i}`);
      if (i === 15) {
        await nodes[victim]!.kill9();
        killed = true;
      }
      await sleep(50);
    }
  })();
  await writer;
  t.ok(killed);
  t.ok(acked.size >= 50, `${acked.size} of 60 writes acknowledged at EACH_QUORUM across the kill`);
  const errors = await metric([0, 1, 2], `quorumkv_peer_errors_total{peer="${ids[victim]}"`);
  t.comment(`dc1's failed requests to ${ids[victim]}: ${errors}`);
  // EACH_QUORUM with one of dc2 dead: both survivors acknowledged each write after the kill, through the next forwarder.
  for (const i of [4, 5]) {
    const missing: string[] = [];
    for (const [key, value] of acked) {
      const got = (await call(clients[i]!, 'QGET', key, 'CL', 'LOCAL_QUORUM')) as [string, string[]] | null;
      if (!got?.[1]?.includes(value)) missing.push(key);
    }
    t.same(missing, [], `every acknowledged write read at LOCAL_QUORUM through ${ids[i]}`);
  }
});
