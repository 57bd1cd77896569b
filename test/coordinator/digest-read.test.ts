import t from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { SimCluster } from '../support/sim-cluster.js';
import { setReq } from './helpers.js';

type Sent = Array<{ peer: string; items: unknown[][] }>;

/** Records the read items (r.batch 'g' and 'd') a node sends, by peer. */
function recordReads(sim: SimCluster, id: string): Sent {
  const sent: Sent = [];
  const rpc = sim.node(id).endpoint.rpc;
  const request = rpc.request.bind(rpc);
  rpc.request = (peer, msg, opts) => {
    const m = msg as { type: string; items?: unknown[][] };
    if (m.type === 'r.batch') {
      const reads = m.items!.filter((it) => it[0] === 'g' || it[0] === 'd');
      if (reads.length > 0) sent.push({ peer, items: reads });
    }
    return request(peer, msg, opts);
  };
  return sent;
}

/** Records the read results a node answers with. */
function recordAnswers(sim: SimCluster, id: string): unknown[][] {
  const out: unknown[][] = [];
  const coord = sim.node(id).coord;
  const handle = coord.handleRequest.bind(coord);
  sim.node(id).endpoint.rpc.onRequest(async (from, msg) => {
    const reply = (await handle(from, msg)) as { results?: unknown[][] };
    for (const r of reply.results ?? []) if (r[0] === 2) out.push(r[2] as unknown[]);
    return reply;
  });
  return out;
}

const values = (o: { readonly siblings: ReadonlyArray<{ readonly value: Buffer }> } | undefined): string[] => (o?.siblings ?? []).map((s) => s.value.toString()).sort();

t.test('a read asks R-1 peers for a digest; a peer whose copy matches sends no bytes', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3, r: 2, w: 3 });
  t.teardown(() => sim.close());
  sim.settings.timeoutMs = 1000;
  const key = Buffer.from('digest-me');
  await sim.settle(sim.node('n0').coord.write(key, setReq('v')));
  const sent = recordReads(sim, 'n0');
  const answers = [recordAnswers(sim, 'n1'), recordAnswers(sim, 'n2')];
  t.same(values(await sim.settle(sim.node('n0').coord.read(key))), ['v']);
  t.equal(sent.length, 1, 'one peer asked');
  t.equal(sent[0]!.items[0]![0], 'd', 'for a digest');
  await sim.idle(20);
  t.equal(sent.length, 1, 'the third replica was never asked');
  t.same(answers.flat(), [[true]], 'the peer answered "the same", without the value');
});

t.test('a peer whose copy differs sends it, the newer version wins, and the stale copy is repaired', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3, r: 2, w: 2 });
  t.teardown(() => sim.close());
  sim.settings.timeoutMs = 1000;
  const key = Buffer.from('stale-here');
  // n0 misses the second write.
  await sim.settle(sim.node('n1').coord.write(key, setReq('old')));
  await sim.idle(10);
  sim.net.isolate('n0');
  await sim.settle(sim.node('n1').coord.write(key, setReq('new')));
  await sim.idle(10);
  sim.net.heal();
  t.same(values(await sim.node('n0').coord.readLocal(key)), ['old']);
  const got = await sim.settle(sim.node('n0').coord.read(key));
  t.same(values(got), ['new']);
  await sim.idle(10);
  t.same(values(await sim.node('n0').coord.readLocal(key)), ['new'], 'n0 was repaired');
});

t.test('a key this node never had matches a peer that has none either', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3, r: 2, w: 2 });
  t.teardown(() => sim.close());
  sim.settings.timeoutMs = 1000;
  t.equal(await sim.settle(sim.node('n0').coord.read(Buffer.from('never'))), undefined);
  // n0 lacks a key its peers hold: it gets their copy.
  const key = Buffer.from('missing-here');
  sim.net.isolate('n0');
  await sim.settle(sim.node('n1').coord.write(key, setReq('x')));
  await sim.idle(10);
  sim.net.heal();
  t.same(values(await sim.settle(sim.node('n0').coord.read(key))), ['x']);
});

t.test('a slow or failing peer makes the read ask the remaining replica (speculative retry)', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3, r: 2, w: 3 });
  t.teardown(() => sim.close());
  sim.settings.timeoutMs = 1000;
  const key = Buffer.from('slow-peer');
  await sim.settle(sim.node('n0').coord.write(key, setReq('v')));
  const sent = recordReads(sim, 'n0');
  // Whichever peer is asked first stalls: its answer never comes.
  const stall = (id: string): void => sim.node(id).endpoint.rpc.onRequest(() => new Promise(() => undefined));
  stall('n1');
  stall('n2');
  const slow = sim.node('n0').coord.read(key);
  await sim.idle(2);
  t.equal(sent.length, 1, 'one peer asked at first');
  const res = await sim.outcome(slow);
  t.equal(sent.length, 2, 'the other asked after the speculative delay');
  t.match(res, /^TIMEOUT 1 of 3 replicas answered/);

  // A peer that fails outright is replaced at once.
  const sim2 = await SimCluster.start({ nodes: 3, n: 3, r: 2, w: 3 });
  t.teardown(() => sim2.close());
  sim2.settings.timeoutMs = 1000;
  await sim2.settle(sim2.node('n0').coord.write(key, setReq('v')));
  const failing = (id: string): void =>
    sim2.node(id).endpoint.rpc.onRequest(() => {
      throw new QkvError('UNAVAILABLE', 'disk trouble');
    });
  failing('n1');
  const sent2 = recordReads(sim2, 'n0');
  t.same(values(await sim2.settle(sim2.node('n0').coord.read(key))), ['v']);
  t.ok(sent2.length >= 1 && sent2.length <= 2);
});

t.test('an entry node that is not a replica reads whole copies from R replicas', async (t) => {
  const sim = await SimCluster.start({ nodes: 4, n: 3, r: 2, w: 3 });
  t.teardown(() => sim.close());
  sim.settings.timeoutMs = 1000;
  const key = sim.keyWhere((reps) => !reps.includes('n0'));
  await sim.settle(sim.node('n1').coord.write(key, setReq('v')));
  const sent = recordReads(sim, 'n0');
  t.same(values(await sim.settle(sim.node('n0').coord.read(key))), ['v']);
  t.equal(sent.length, 2);
  t.ok(sent.every((s) => s.items.every((it) => it[0] === 'g')));
});

t.test('when this node\'s own read is slow, the others are asked for whole copies after the speculative delay', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3, r: 2, w: 3 });
  t.teardown(() => sim.close());
  sim.settings.timeoutMs = 1000;
  const key = Buffer.from('busy-disk');
  await sim.settle(sim.node('n0').coord.write(key, setReq('v')));
  const sent = recordReads(sim, 'n0');
  const replica = sim.node('n0').coord.replica;
  replica.get = () => new Promise(() => undefined);
  t.same(values(await sim.settle(sim.node('n0').coord.read(key))), ['v']);
  t.equal(sent.length, 2, 'both peers asked');
  t.ok(sent.every((s) => s.items.every((it) => it[0] === 'g')), 'for whole copies');
});
