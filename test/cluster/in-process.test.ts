import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/server/logger.js';
import { startNode, type RunningNode } from '../../src/server/node.js';
import { runStatus } from '../../src/server/status-cli.js';
import { membersFromReply } from '../../src/server/status-cli.js';
import { freePort, freeTcpUdpPort } from '../support/free-port.js';
import type { Teardown } from '../support/node-process.js';
import { call, client, waitForNormal, status, waitForStatus, waitForViews } from './helpers.js';

// Cluster nodes started inside this process (real sockets and RocksDB), so the
// wiring of node.ts and cluster-node.ts runs where coverage sees it.

const quiet = createLogger({ level: 'error', write: () => undefined });

interface Started {
  readonly node: RunningNode;
  readonly peerPort: number;
  readonly dataDir: string;
}

async function start(t: Teardown, flags: readonly string[], opts: { dataDir?: string; peerPort?: number } = {}): Promise<Started> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'qkv-inproc-')));
  if (opts.dataDir === undefined) t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const peerPort = opts.peerPort ?? (await freeTcpUdpPort());
  const port = await freePort();
  const config = loadConfig(['--port', String(port), '--peer-port', String(peerPort), '--data-dir', dataDir, ...flags], {}, () => '');
  const node = await startNode(config, quiet);
  t.teardown(() => node.close());
  return { node, peerPort, dataDir };
}

t.test('three nodes in one process: seeds, membership, replication, admin commands and INFO', async (t) => {
  const a = await start(t, ['--node-id', 'alpha', '--rack', 'r1', '--metrics-port', '0']);
  const seed = `127.0.0.1:${a.peerPort}`;
  const b = await start(t, ['--node-id', 'bravo', '--rack', 'r2', '--seeds', seed]);
  const c = await start(t, ['--node-id', 'charlie', '--rack', 'r3', '--seeds', seed]);
  const ports = [a.node.port, b.node.port, c.node.port];
  await waitForViews(ports, ['alpha', 'bravo', 'charlie']);
  // bravo and charlie are not seeds: they join (alpha holds nothing to stream yet) and turn normal.
  await waitForNormal(ports, ['alpha', 'bravo', 'charlie']);

  const ca = await client(t, a.node.port);
  const cc = await client(t, c.node.port);
  t.equal(await call(ca, 'SET', 'greeting', 'hello'), 'OK');
  t.equal(await call(cc, 'GET', 'greeting'), 'hello');
  const replicas = (await call(cc, 'QKV.REPLICAS', 'greeting')) as string[];
  t.same([...replicas].sort(), ['alpha', 'bravo', 'charlie']);
  for (let i = 0; i < 20; i++) await call(ca, 'SET', `k${i}`, 'v');
  const scrape = await (await fetch(`http://127.0.0.1:${a.node.metricsPort}/metrics`)).text();
  t.match(scrape, /quorumkv_peer_rpc_duration_seconds_count\{[^}]*peer="(bravo|charlie)"/, 'peer RPC latency per peer');
  t.match(scrape, /quorumkv_peer_inflight_requests\{[^}]*peer="(bravo|charlie)"[^}]*\} 0/, 'requests in flight per peer, back to 0');
  t.match(scrape, /quorumkv_quorum_operations_total\{[^}]*type="write"[^}]*outcome="ok"/, 'quorum operations by type and outcome');

  const members = membersFromReply(await ca.call('QKV.MEMBERS'));
  t.same(
    members.map((m) => [m.id, m.rack, m.dc, m.status, m.state, m.replicas, m.id === 'alpha' ? m.phi : typeof m.phi]),
    [
      ['alpha', 'r1', 'dc1', 'alive', 'normal', 1, null],
      ['bravo', 'r2', 'dc1', 'alive', 'normal', 1, 'number'],
      ['charlie', 'r3', 'dc1', 'alive', 'normal', 1, 'number'],
    ],
  );
  t.same(
    members.map((m) => m.peer),
    [`127.0.0.1:${a.peerPort}`, `127.0.0.1:${b.peerPort}`, `127.0.0.1:${c.peerPort}`],
  );
  t.ok(Math.abs(members.reduce((s, m) => s + m.ownership, 0) - 1) < 1e-3);

  const info = String(await ca.call('INFO', 'quorumkv'));
  t.match(info, /members:3\r\n/);
  t.match(info, /member1:id=bravo,address=127\.0\.0\.1:\d+,peer=127\.0\.0\.1:\d+,status=alive,rack=r2,dc=dc1/);

  let out = '';
  t.equal(await runStatus(['-p', String(b.node.port)], { out: (s) => (out += s), err: (s) => (out += s) }, {}), 0);
  t.match(out, `3 member(s), 3 alive, as seen by bravo at 127.0.0.1:${b.node.port}`);
  t.match(out, /bravo\*\s+127\.0\.0\.1:\d+\s+127\.0\.0\.1:\d+\s+alive\s+normal\s+r2\s+dc1\s+\d+\.\d%\s+100\.0%\s+-/);
  t.match(out, /hints: {2}-\nrepair: (rebuilding trees .*, )?\d+ exchanges \(\d+ in sync, \d+ failed\), \d+ keys repaired/);

  // One node stops: the others see it dead, and report it.
  await c.node.close();
  await waitForViews([a.node.port, b.node.port], ['alpha', 'bravo'], 3);
  // Suspected first, then declared dead once the suspicion times out.
  await waitForStatus([a.node.port, b.node.port], 'charlie', 'dead');
  const doc = await status(a.node.port);
  t.same(
    doc.members.map((m) => `${m.id}:${m.status}`),
    ['alpha:alive', 'bravo:alive', 'charlie:dead'],
  );
  t.match(await call(ca, 'QSET', 'k', 'v', 'W', '3'), { error: /^UNAVAILABLE / });
  t.equal(await call(ca, 'SET', 'k', 'v'), 'OK', 'W=2 still works');
});

t.test('a node with N=3 and no seeds starts, serves, and refuses writes until enough members exist', async (t) => {
  const { node } = await start(t, ['--n', '3', '--r', '2', '--w', '2']);
  const c = await client(t, node.port);
  t.equal(await call(c, 'PING'), 'PONG');
  t.match(await call(c, 'SET', 'k', 'v'), { error: /^UNAVAILABLE / });
  const doc = await status(node.port);
  t.equal(doc.members.length, 1);
  t.same(doc.members[0]!.status, 'alive');
  t.equal(doc.members[0]!.ownership, 1);
});

t.test('a cluster of one (N=1, no seeds) reports itself as the only member', async (t) => {
  const { node, peerPort } = await start(t, ['--n', '1', '--r', '1', '--w', '1', '--rack', 'solo']);
  const c = await client(t, node.port);
  const doc = await status(node.port);
  t.same(doc, {
    self: node.nodeId,
    members: [{ id: node.nodeId, address: `127.0.0.1:${node.port}`, status: 'alive', state: 'normal', rack: 'solo', dc: 'dc1', ownership: 1, phi: null }],
    hints: {},
    repair: {},
  });
  t.same(await call(c, 'QKV.REPLICAS', 'any'), [node.nodeId]);
  const members = membersFromReply(await c.call('QKV.MEMBERS'));
  t.equal(members[0]!.peer, `127.0.0.1:${peerPort}`);
  t.match(String(await c.call('INFO', 'quorumkv')), /members:1\r\n/);
});

t.test('a busy peer port fails the start and releases the data dir', async (t) => {
  const first = await start(t, ['--n', '3']);
  const dataDir = await mkdtemp(join(tmpdir(), 'qkv-inproc-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const config = loadConfig(['--port', String(await freePort()), '--peer-port', String(first.peerPort), '--data-dir', dataDir, '--n', '3'], {}, () => '');
  await t.rejects(startNode(config, quiet), { code: 'EADDRINUSE' });
  // RocksDB's lock was released: the same data dir opens again.
  const again = await start(t, ['--n', '3'], { dataDir });
  t.ok(again.node.port > 0);
});

t.test('a node restarted on its data dir knows the members before any of them answers', async (t) => {
  const a = await start(t, ['--node-id', 'one']);
  const b = await start(t, ['--node-id', 'two', '--seeds', `127.0.0.1:${a.peerPort}`]);
  await waitForViews([a.node.port, b.node.port], ['one', 'two']);
  await b.node.close();
  await a.node.close();
  // Restarted alone, without seeds: the stored table still lists both (the other one unconfirmed: suspect).
  const again = await start(t, ['--node-id', 'two'], { dataDir: b.dataDir, peerPort: b.peerPort });
  const doc = await status(again.node.port);
  t.same(
    doc.members.map((m) => `${m.id}:${m.status}`),
    ['one:suspect', 'two:alive'],
  );
});
