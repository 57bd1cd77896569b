import t from 'tap';
import type { Test } from 'tap';
import { startCluster, startNode } from '../support/node-process.js';
import { call, client, waitForViews } from './helpers.js';

/**
 * Script storms on real server processes: several clients run a
 * read-modify-write script (GET, then SET of one more, then SADD of its id)
 * on a few hot keys at once; every acknowledged script's effect is there
 * exactly once. In a cluster (N=3 R=2 W=2) the clients talk to every node:
 * each script runs at its keys' first reachable replica, which serialises
 * it against other scripts and against INCRs sent through any node.
 */

const GET_SET = "local v = tonumber(redis.call('GET', KEYS[1]) or '0') redis.call('SET', KEYS[1], v + 1) redis.call('SADD', KEYS[2], ARGV[1]) return v + 1";
const HOT = 4;
const CLIENTS = 12;
const RUNS = 40;

/** Runs the storm: CLIENTS clients run the script, `incrClients` more send plain INCRs on the same counters. */
async function storm(t: Test, ports: readonly number[], script: string, prefix: string, incrClients = 0): Promise<void> {
  const clients = await Promise.all(Array.from({ length: CLIENTS + incrClients }, (_, i) => client(t, ports[i % ports.length]!)));
  const acked = new Map<number, Set<string>>();
  const incrs = new Map<number, number>();
  const errors: unknown[] = [];
  await Promise.all(
    clients.map(async (c, ci) => {
      for (let r = 0; r < RUNS; r++) {
        const hot = (ci + r) % HOT;
        if (ci >= CLIENTS) {
          const reply = await call(c, 'INCR', `{${prefix}${hot}}:n`);
          if (typeof reply !== 'number') errors.push(reply);
          else incrs.set(hot, (incrs.get(hot) ?? 0) + 1);
          continue;
        }
        const id = `${ci}-${r}`;
        const reply = await call(c, 'EVAL', script, '2', `{${prefix}${hot}}:n`, `{${prefix}${hot}}:ids`, id);
        if (typeof reply !== 'number') errors.push(reply);
        else acked.set(hot, (acked.get(hot) ?? new Set()).add(id));
      }
    }),
  );
  t.same(errors, [], 'every script and INCR answered its count');
  const reader = clients[0]!;
  for (let hot = 0; hot < HOT; hot++) {
    const ids = acked.get(hot) ?? new Set<string>();
    const total = ids.size + (incrs.get(hot) ?? 0);
    t.equal(await call(reader, 'GET', `{${prefix}${hot}}:n`), String(total), `hot key ${hot}: the count is the acknowledged scripts and INCRs`);
    const members = (await call(reader, 'SMEMBERS', `{${prefix}${hot}}:ids`)) as string[];
    t.same([...members].sort(), [...ids].sort(), `hot key ${hot}: each acknowledged script recorded once`);
  }
}

t.test('one node: a GET-then-SET script on 4 hot keys from 12 clients', async (t) => {
  const node = await startNode({ t });
  await storm(t, [node.port], GET_SET, 'one');
});

t.test('three nodes: a GET-then-SET script from 12 clients and INCRs from 3 more, on 4 hot keys, through every node', async (t) => {
  const nodes = await startCluster({ t, nodes: 3, n: 3, r: 2, w: 2 });
  const ports = nodes.map((n) => n.port);
  await waitForViews(ports, ['node1', 'node2', 'node3']);
  await storm(t, ports, GET_SET, 'three', 3);
});

t.test('three nodes, one killed with kill -9 mid-run: every acknowledged script counted once, none twice', async (t) => {
  const nodes = await startCluster({ t, nodes: 3, n: 3, r: 2, w: 2 });
  const ports = nodes.map((n) => n.port);
  await waitForViews(ports, ['node1', 'node2', 'node3']);
  const victim = nodes[2]!;
  const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(t, ports[i % ports.length]!)));
  const acked = new Map<number, Set<string>>();
  const attempted = new Map<number, Set<string>>();
  const errors: unknown[] = [];
  await Promise.all(
    clients.map(async (c, ci) => {
      for (let r = 0; r < RUNS; r++) {
        if (ci === 0 && r === RUNS / 4) await victim.kill9();
        const hot = (ci + r) % HOT;
        const id = `${ci}-${r}`;
        attempted.set(hot, (attempted.get(hot) ?? new Set()).add(id));
        try {
          const reply = await call(c, 'EVAL', GET_SET, '2', `{kill${hot}}:n`, `{kill${hot}}:ids`, id);
          if (typeof reply === 'number') acked.set(hot, (acked.get(hot) ?? new Set()).add(id));
          else errors.push(reply);
        } catch {
          // The connection to the killed node broke: this script's outcome is unknown, and its client stops.
          return;
        }
      }
    }),
  );
  // A script whose node died while it ran has an unknown outcome, and its error says so; no other error.
  t.same(errors.filter((e) => !/may have been applied/.test(JSON.stringify(e))), [], 'the live nodes answered every other script');
  const reader = clients[0]!;
  for (let hot = 0; hot < HOT; hot++) {
    const ids = acked.get(hot) ?? new Set<string>();
    const tried = attempted.get(hot) ?? new Set<string>();
    const members = new Set((await call(reader, 'SMEMBERS', `{kill${hot}}:ids`)) as string[]);
    const count = Number(await call(reader, 'GET', `{kill${hot}}:n`));
    t.ok([...ids].every((id) => members.has(id)), `hot key ${hot}: every acknowledged script recorded`);
    t.ok([...members].every((id) => tried.has(id)), `hot key ${hot}: nothing recorded that was not run`);
    t.ok(count >= members.size && count <= tried.size, `hot key ${hot}: count ${count} between recorded ${members.size} and attempted ${tried.size}`);
  }
});
