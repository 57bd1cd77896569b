import t from 'tap';
import { runStatus } from '../../src/server/status-cli.js';
import type { RespClient } from '../../src/server/resp-client.js';
import { freeTcpUdpPort } from '../support/free-port.js';
import { startNode, type NodeProcess } from '../support/node-process.js';
import { call, client, sleep, waitForViews } from './helpers.js';

// A fresh cluster, each node seeded with all three and "starting the ring" at once: until a node's ring
// has formed it answers TRYAGAIN, and nothing written through it in those first moments is lost or comes back.

async function seededNode(peers: readonly number[], i: number, extra: Partial<Parameters<typeof startNode>[0]> = {}): Promise<NodeProcess> {
  const seeds = peers.map((p) => `127.0.0.1:${p}`).join(',');
  return startNode({ t, n: 3, r: 2, w: 2, peerPort: peers[i]!, args: ['--node-id', `node${i + 1}`, '--seeds', seeds], ...extra });
}

/** Runs a command, retrying while the node answers TRYAGAIN; counts the retries. */
async function untilServed(c: RespClient, counter: { tryagain: number }, ...args: string[]): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    const r = await call(c, ...args);
    const err = (r as { error?: string } | null)?.error;
    if (err === undefined || !err.startsWith('TRYAGAIN ') || attempt > 300) return r;
    counter.tryagain++;
    await sleep(20);
  }
}

t.test('a node that knows fewer members than it needs answers TRYAGAIN, says why, and serves once they come', async (t) => {
  const peers = [await freeTcpUdpPort(), await freeTcpUdpPort(), await freeTcpUdpPort()];
  const first = await seededNode(peers, 0, { metricsPort: true });
  const c = await client(t, first.port);
  t.match(await call(c, 'SET', 'k', 'v'), { error: /^TRYAGAIN cluster is forming: 1 of 3 members known so far$/ });
  t.match(await call(c, 'GET', 'k'), { error: /^TRYAGAIN cluster is forming: / });
  t.equal(await c.call('PING'), 'PONG', 'commands that need no ring are served');
  const health = await fetch(`http://127.0.0.1:${first.metricsPort}/health`);
  t.equal(health.status, 503);
  t.equal(await health.text(), 'not serving:\ncluster is forming: 1 of 3 members known so far\n');
  let status = '';
  await runStatus(['-p', String(first.port)], { out: (s) => (status += s), err: (s) => (status += s) }, {});
  t.match(status, /node1 does not serve: cluster is forming: 1 of 3 members known so far/);
  await Promise.all([seededNode(peers, 1), seededNode(peers, 2)]);
  const counter = { tryagain: 0 };
  t.equal(await untilServed(c, counter, 'SET', 'k', 'v'), 'OK');
  t.equal(await call(c, 'GET', 'k'), 'v');
  t.equal((await fetch(`http://127.0.0.1:${first.metricsPort}/health`)).status, 200);
});

t.test('writes in the first moments of a fresh cluster are neither lost nor resurrected', async (t) => {
  const peers = [await freeTcpUdpPort(), await freeTcpUdpPort(), await freeTcpUdpPort()];
  const keysPerNode = 60;
  const counter = { tryagain: 0 };
  const expected = new Map<string, string | null>();
  const failures: string[] = [];
  // Each node gets its client's sequences the moment it answers, while the ring is still forming.
  const nodes = await Promise.all(
    [0, 1, 2].map(async (i) => {
      const node = await seededNode(peers, i);
      // A few connections per node (a client runs one command at a time), each with its share of the keys.
      const conns = await Promise.all(Array.from({ length: 6 }, () => client(t, node.port)));
      await Promise.all(
        conns.map(async (c, ci) => {
          for (let j = ci; j < keysPerNode; j += conns.length) {
            const key = `n${i + 1}-${j}`;
            const set = await untilServed(c, counter, 'SET', key, `a${j}`);
            const then = j % 2 === 0 ? await untilServed(c, counter, 'DEL', key) : await untilServed(c, counter, 'SET', key, `b${j}`);
            if (set !== 'OK' || (j % 2 === 0 ? then !== 1 : then !== 'OK')) failures.push(`${key}: ${JSON.stringify([set, then])}`);
            expected.set(key, j % 2 === 0 ? null : `b${j}`);
          }
        }),
      );
      return node;
    }),
  );
  t.same(failures, [], 'every write was answered, after TRYAGAIN at most');
  t.comment(`${counter.tryagain} TRYAGAIN answers while the ring formed`);
  const ports = nodes.map((n) => n.port);
  await waitForViews(ports, ['node1', 'node2', 'node3']);
  // Give read repair and anti-entropy no part in it: every node's quorum read must show the final state.
  const wrong: string[] = [];
  for (const port of ports) {
    const c = await client(t, port);
    for (const [key, want] of expected) {
      const got = await call(c, 'GET', key);
      if (got !== want) wrong.push(`${key} through ${port}: ${JSON.stringify(got)}, wanted ${JSON.stringify(want)}`);
    }
    t.equal(await call(c, 'DBSIZE'), (3 * keysPerNode) / 2, `DBSIZE through ${port}`);
  }
  t.same(wrong, [], 'every key reads as written through every node');
});
