import t from 'tap';
import { startCluster } from '../support/node-process.js';
import { call, client, sleep, waitForViews } from './helpers.js';

// Hashes and sets that merge, on three real server processes (N=3 R=2 W=2):
// clients write one hash or one set through three different nodes at once.
// Every increment of one field counts, every distinct field and member
// written survives, and so does all of it across a kill -9 of one node.

const nodes = await startCluster({ t, nodes: 3, n: 3, r: 2, w: 2 });
const ports = nodes.map((n) => n.port);
const IDS = ['node1', 'node2', 'node3'];

/** A flat field/value array (RESP2 HGETALL) as a record. */
function record(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const flat = reply as string[];
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

function sorted(reply: unknown): string[] {
  return (reply as unknown[]).map(String).sort();
}

t.test('3 x 300 HINCRBYs of one field through three nodes at once end at exactly 900, with no error reply', async (t) => {
  await waitForViews(ports, IDS);
  const clients = await Promise.all(ports.map((p) => client(t, p)));
  const errors: unknown[] = [];
  await Promise.all(
    clients.map(async (c, i) => {
      for (let k = 0; k < 300; k++) {
        const r = await call(c, 'HINCRBY', 'stats', 'hits', '1');
        if (typeof r !== 'number') errors.push(r);
        // A field of this client's own, written in the same record at the same time.
        if (k % 30 === 0) {
          const own = await call(c, 'HINCRBY', 'stats', `by:${i}`, '30');
          if (typeof own !== 'number') errors.push(own);
        }
      }
    }),
  );
  t.same(errors, [], 'every HINCRBY answered an integer');
  for (const c of clients) {
    t.equal(await call(c, 'HGET', 'stats', 'hits'), '900', 'every node reads the total');
    t.same(record(await call(c, 'HGETALL', 'stats')), { hits: '900', 'by:0': '300', 'by:1': '300', 'by:2': '300' }, 'and every field');
  }
  t.equal(await call(clients[0]!, 'TYPE', 'stats'), 'hash');
  t.same(await call(clients[1]!, 'HINCRBY', 'stats', 'hits', '-900'), 0, 'a negative increment counts like the others');
});

t.test('HSET of distinct fields and SADD of distinct members through three nodes at once: all of them survive', async (t) => {
  const hashClients = await Promise.all(ports.map((p) => client(t, p)));
  const setClients = await Promise.all(ports.map((p) => client(t, p)));
  const errors: unknown[] = [];
  const N = 150;
  await Promise.all([
    ...hashClients.map(async (c, i) => {
      for (let k = 0; k < N; k++) {
        const r = await call(c, 'HSET', 'profile', `f:${i}:${k}`, `v:${i}:${k}`, 'shared', `from ${i}`);
        if (typeof r !== 'number') errors.push(r);
      }
    }),
    ...setClients.map(async (c, i) => {
      for (let k = 0; k < N; k++) {
        const r = await call(c, 'SADD', 'members', `m:${i}:${k}`);
        if (r !== 1) errors.push(r);
      }
    }),
  ]);
  t.same(errors, [], 'every HSET and SADD was acknowledged (each SADD adding its member)');
  const fields: Record<string, string> = {};
  for (let i = 0; i < 3; i++) for (let k = 0; k < N; k++) fields[`f:${i}:${k}`] = `v:${i}:${k}`;
  const members = Object.keys(fields).map((f) => f.replace(/^f/, 'm')).sort();
  for (const c of hashClients) {
    t.equal(await call(c, 'HLEN', 'profile'), 3 * N + 1, 'every node counts every field');
    const all = record(await call(c, 'HGETALL', 'profile'));
    const { shared, ...rest } = all;
    t.same(rest, fields, 'every field with its own value');
    t.match(shared, /^from [012]$/, 'a field written by all three reads as one of their values');
    t.equal(await call(c, 'SCARD', 'members'), 3 * N);
    t.same(sorted(await call(c, 'SMEMBERS', 'members')), members, 'every member');
  }
  const siblings = sorted(await call(hashClients[0]!, 'QHGET', 'profile', 'shared'));
  t.ok(siblings.length >= 1 && siblings.length <= 3, `QHGET shows one to three concurrent values (${siblings.join(', ')})`);
  t.ok(siblings.every((v) => /^from [012]$/.test(v)), 'each of them one that was written');
  t.equal(await call(hashClients[2]!, 'TYPE', 'members'), 'set');
});

t.test('an SREM through one node and an SADD of another member through another, at once, both hold', async (t) => {
  const clients = await Promise.all(ports.map((p) => client(t, p)));
  t.equal(await call(clients[0]!, 'SADD', 'flags', 'a', 'b', 'c'), 3);
  await Promise.all([
    (async () => {
      for (let k = 0; k < 100; k++) await call(clients[1]!, 'SREM', 'flags', 'a');
    })(),
    (async () => {
      for (let k = 0; k < 100; k++) await call(clients[2]!, 'SADD', 'flags', `d:${k}`);
    })(),
    (async () => {
      for (let k = 0; k < 100; k++) await call(clients[0]!, 'HDEL', 'profile', `f:0:${k}`);
    })(),
  ]);
  for (const c of clients) {
    t.equal(await call(c, 'SISMEMBER', 'flags', 'a'), 0, 'the removed member stays removed');
    t.equal(await call(c, 'SCARD', 'flags'), 102, 'every concurrent add survives');
    t.equal(await call(c, 'HLEN', 'profile'), 3 * 150 + 1 - 100, 'concurrent HDELs took exactly their fields');
  }
});

t.test('a kill -9 of one node mid-way: every acknowledged increment, field and member is there, and the restarted node converges', async (t) => {
  const clients = await Promise.all(ports.map((p) => client(t, p)));
  const victim = nodes[2]!;
  let acked = 0;
  let unknown = 0;
  const errors: unknown[] = [];
  const ackedFields: string[] = [];
  const ackedMembers: string[] = [];
  // Increments, fields and members are coordinated at the key's first reachable replica: one sent there just as it
  // was killed has an unknown outcome, and the error says so. Any other error is a failure.
  const maybes = { count: 0, fields: 0, members: 0 };
  const maybe = (r: unknown): boolean => /the write may be present on some replicas/.test(JSON.stringify(r));
  const run = async (i: number): Promise<void> => {
    for (let k = 0; k < 250; k++) {
      if (i === 0 && k === 80) await victim.kill9();
      try {
        const r = await call(clients[i]!, 'HINCRBY', 'survivor', 'count', '1');
        if (typeof r === 'number') acked++;
        else if (maybe(r)) maybes.count++;
        else errors.push(r);
      } catch {
        // The connection to the killed node broke: this increment's outcome is unknown, and the client stops.
        unknown++;
        return;
      }
      const field = `f:${i}:${k}`;
      const member = `m:${i}:${k}`;
      try {
        const h = await call(clients[i]!, 'HSET', 'survivor', field, String(k));
        if (h === 1) ackedFields.push(field);
        else if (maybe(h)) maybes.fields++;
        else errors.push(h);
        const s = await call(clients[i]!, 'SADD', 'survivors', member);
        if (s === 1) ackedMembers.push(member);
        else if (maybe(s)) maybes.members++;
        else errors.push(s);
      } catch {
        return;
      }
    }
  };
  await Promise.all([0, 1, 2].map(run));
  t.same(errors, [], 'the live nodes answered every command, or said its outcome is unknown');
  t.ok(maybes.count + maybes.fields + maybes.members <= 6, `few outcomes unknown (${JSON.stringify(maybes)})`);
  t.ok(acked >= 500, `at least the two live clients' increments were acknowledged (${acked})`);
  const total = Number(await call(clients[0]!, 'HGET', 'survivor', 'count'));
  unknown += maybes.count;
  t.ok(total >= acked && total <= acked + unknown, `the total ${total} counts every acknowledged increment (${acked}, ${unknown} unknown)`);
  const readFields = async (port: number): Promise<Record<string, string>> => record(await call(await client(t, port), 'HGETALL', 'survivor'));
  const all = await readFields(ports[1]!);
  t.same(
    ackedFields.filter((f) => all[f] === undefined),
    [],
    `every acknowledged field is there (${ackedFields.length})`,
  );
  const members = new Set(sorted(await call(clients[1]!, 'SMEMBERS', 'survivors')));
  t.same(
    ackedMembers.filter((m) => !members.has(m)),
    [],
    `every acknowledged member is there (${ackedMembers.length})`,
  );
  const hlen = await call(clients[0]!, 'HLEN', 'survivor');
  const scard = await call(clients[0]!, 'SCARD', 'survivors');
  victim.spawn();
  await victim.ready();
  await waitForViews(ports, IDS);
  const back = await client(t, victim.port);
  // The killed node may hold a write it took but never acknowledged (the client's connection broke first); once
  // it is back, that write may be read too. So: what the restarted node reads, a live node reads as well, and it
  // is what was read before, plus at most the one write of each kind whose outcome the broken client never saw.
  const agreed = async (...cmd: string[]): Promise<number> => {
    let mine: unknown;
    let theirs: unknown;
    for (let i = 0; i < 50; i++) {
      mine = await call(back, ...cmd);
      theirs = await call(clients[0]!, ...cmd);
      if (mine === theirs) break;
      await sleep(200);
    }
    t.equal(mine, theirs, `the restarted node reads what a live node reads: ${cmd.join(' ')}`);
    return Number(mine);
  };
  const backTotal = await agreed('HGET', 'survivor', 'count');
  t.ok(backTotal >= total && backTotal <= total + 1 + maybes.count, `the restarted node reads the same total (${backTotal}, was ${total})`);
  const backFields = await agreed('HLEN', 'survivor');
  t.ok(backFields >= Number(hlen) && backFields <= Number(hlen) + 1 + maybes.fields, `the same fields (${backFields}, was ${String(hlen)})`);
  const backMembers = await agreed('SCARD', 'survivors');
  t.ok(backMembers >= Number(scard) && backMembers <= Number(scard) + 1 + maybes.members, `and the same members (${backMembers}, was ${String(scard)})`);
  t.type(await call(back, 'HINCRBY', 'survivor', 'count', '1'), 'number');
  t.equal(await call(back, 'SADD', 'survivors', 'after-restart'), 1);
  t.equal(await call(clients[0]!, 'HGET', 'survivor', 'count'), String(backTotal + 1), 'and counts on from it');
  t.equal(await call(clients[1]!, 'SISMEMBER', 'survivors', 'after-restart'), 1);
});
