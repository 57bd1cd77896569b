import t from 'tap';
import type { WriteAcks } from '../../src/coordinator/api.js';
import { byPhi, type DataPath } from '../../src/coordinator/data-path.js';
import { parseWriteReply } from '../../src/coordinator/messages.js';
import { HINT_DEFAULTS } from '../../src/config/cluster-options.js';
import { keyHash } from '../../src/core/hash.js';
import { HintDelivery } from '../../src/handoff/hint-delivery.js';
import { Ring } from '../../src/ring/ring.js';
import { encodeObject } from '../../src/versioning/codec.js';
import { SimCluster, siblingValues } from '../support/sim-cluster.js';
import { setReq } from './helpers.js';

const obj = encodeObject({ clock: { n9: 1 }, siblings: [{ dot: { node: 'n9', counter: 1 }, value: Buffer.from('x'), ts: 1, tombstone: false, expireAt: 0 }] });

async function sloppySim(nodes = 5, w = 2) {
  return SimCluster.start({ nodes, n: 3, r: 2, w, hints: true, sloppyQuorum: true });
}

/** Targets and keys of the hints a node holds. */
async function hintsOn(sim: SimCluster, id: string): Promise<string[]> {
  const store = sim.node(id).hints!;
  const out: string[] = [];
  for (const target of store.targets()) for (const h of await store.peek(target, 1000)) out.push(`${target}:${h.key.toString()}`);
  return out.sort();
}

function fallbacksOf(sim: SimCluster, key: Buffer): string[] {
  return sim.ring.fallbacks(keyHash(key), 3, () => true);
}

t.test('stand-ins beyond the first N keep hints for unreachable home replicas and count toward W', async (t) => {
  const sim = await sloppySim();
  t.teardown(() => sim.close());
  const key = Buffer.from('sloppy');
  const [a, b, c] = sim.replicasOf(key) as [string, string, string];
  const [d, e] = fallbacksOf(sim, key) as [string, string];
  sim.net.isolate(b);
  sim.net.isolate(c);
  let acks: WriteAcks | undefined;
  const stored = await sim.settle(sim.node(a).coord.write(key, setReq('v'), { onAcks: (x) => (acks = x) }));
  t.same(siblingValues(stored), ['v']);
  t.same(acks, { home: 1, total: 2 }, 'one home replica and one stand-in acknowledged (W=2)');
  await sim.idle(5);
  t.same([...(await hintsOn(sim, d)), ...(await hintsOn(sim, e))].sort(), [`${b}:sloppy`, `${c}:sloppy`], 'each down replica has one stand-in');
  t.equal(await sim.node(d).coord.readLocal(key), undefined, 'a hint is not data');
  t.same(await hintsOn(sim, a), [], 'the coordinator keeps no hint when stand-ins took them');

  // PW: at least 2 home replicas must acknowledge; only one is reachable.
  t.equal(await sim.outcome(sim.node(a).coord.write(key, setReq('w'), { w: 3, pw: 2 })), 'UNAVAILABLE 1 of 3 home replicas reachable, 2 needed; nothing was written');
  t.equal(await sim.outcome(sim.node(a).coord.write(key, setReq('w'), { pw: 2 })), 'UNAVAILABLE 1 of 3 replicas reachable, 2 needed; nothing was written', 'PW = W: stand-ins cannot count');
  t.equal(await sim.outcome(sim.node(a).coord.write(key, setReq('w'), { pw: 4 })), 'ERR PW must be an integer between 0 and 3');
  // W=3 with two stand-ins: three acknowledgements, one of them home.
  const entry = sim.nodes.find((x) => ![a, b, c].includes(x.id))!;
  let forwarded: WriteAcks | undefined;
  await sim.settle(entry.coord.write(key, setReq('x'), { w: 3, onAcks: (x) => (forwarded = x) }));
  t.same(forwarded, { home: 1, total: 3 }, 'acknowledgements travel back from a forwarded write');
  sim.net.isolate(d);
  sim.net.isolate(e);
  t.equal(
    await sim.outcome(sim.node(a).coord.write(key, setReq('y'), { w: 2 })),
    'UNAVAILABLE 1 of 3 replicas reachable, 2 needed; nothing was written',
    'no stand-in left',
  );
});

t.test('after the home replica returns, delivery hands the stand-in hints back and it serves them', async (t) => {
  const sim = await sloppySim();
  t.teardown(() => sim.close());
  const key = Buffer.from('comes-back');
  const [a, b] = sim.replicasOf(key) as [string, string];
  const [d] = fallbacksOf(sim, key) as [string];
  sim.net.isolate(b);
  await sim.settle(sim.node(a).coord.write(key, setReq('v'), { w: 3 }));
  await sim.idle(5);
  t.same(await hintsOn(sim, d), [`${b}:comes-back`]);
  const delivery = new HintDelivery({
    store: sim.node(d).hints!,
    transport: sim.node(d).endpoint.rpc,
    isReachable: (id) => sim.viewOf(d).isReachable(id),
    clock: sim.clock,
    maxKeysPerSec: HINT_DEFAULTS.rateKeys,
  });
  delivery.start();
  t.teardown(() => delivery.close());
  await sim.idle(1000);
  t.equal(await sim.node(b).coord.readLocal(key), undefined, 'nothing while it is away');
  sim.net.restore(b);
  await sim.idle(600);
  t.same(siblingValues(await sim.node(b).coord.readLocal(key)), ['v'], 'the owner merged the hint into its data');
  t.same(await hintsOn(sim, d), []);
  t.same(delivery.status()[b], { pending: 0, bytes: 0, delivered: 1, dropped: 0, refused: 0, rate: 0 });
});

t.test('with the sloppy quorum off only home replicas count; the coordinator keeps hints for the unreachable ones', async (t) => {
  const sim = await sloppySim();
  t.teardown(() => sim.close());
  sim.settings.sloppyQuorum = false;
  const key = Buffer.from('strict');
  const [a, b, c] = sim.replicasOf(key) as [string, string, string];
  sim.net.isolate(b);
  t.equal(await sim.outcome(sim.node(a).coord.write(key, setReq('v'), { w: 3 })), 'UNAVAILABLE 2 of 3 replicas reachable, 3 needed; nothing was written');
  let acks: WriteAcks | undefined;
  await sim.settle(sim.node(a).coord.write(key, setReq('v'), { onAcks: (x) => (acks = x) }));
  t.same(acks, { home: 2, total: 2 });
  await sim.idle(5);
  t.same(await hintsOn(sim, a), [`${b}:strict`], 'the coordinator keeps the down replica its hint');
  for (const node of sim.nodes) if (node.id !== a) t.same(await hintsOn(sim, node.id), [], `no hint on ${node.id}`);
  // PW 0 turns it on for one request.
  await sim.settle(sim.node(a).coord.write(key, setReq('w'), { w: 3, pw: 0, onAcks: (x) => (acks = x) }));
  t.same(acks, { home: 2, total: 3 });
  void c;
});

t.test('with no node beyond the first N, the coordinator keeps the hint and it does not count', async (t) => {
  const sim = await sloppySim(3);
  t.teardown(() => sim.close());
  const key = Buffer.from('three');
  const [a, b] = sim.replicasOf(key) as [string, string];
  sim.net.isolate(b);
  let acks: WriteAcks | undefined;
  await sim.settle(sim.node(a).coord.write(key, setReq('v'), { onAcks: (x) => (acks = x) }));
  t.same(acks, { home: 2, total: 2 });
  t.equal(await sim.outcome(sim.node(a).coord.write(key, setReq('v'), { w: 3 })), 'UNAVAILABLE 2 of 3 replicas reachable, 3 needed; nothing was written');
  await sim.idle(5);
  t.same(await hintsOn(sim, a), [`${b}:three`]);
});

t.test('a home replica that fails during the write gets a stand-in; a refusing stand-in is replaced, a failing one leaves the hint with the coordinator', async (t) => {
  const sim = await sloppySim(5, 3);
  t.teardown(() => sim.close());
  const key = Buffer.from('fails-late');
  const [a, b, c] = sim.replicasOf(key) as [string, string, string];
  const [d, e] = fallbacksOf(sim, key) as [string, string];
  sim.node(b).engine.failNextWrites(1);
  let acks: WriteAcks | undefined;
  await sim.settle(sim.node(a).coord.write(key, setReq('v'), { onAcks: (x) => (acks = x) }));
  t.same(acks, { home: 2, total: 3 }, 'W=3 met with the stand-in');
  await sim.idle(5);
  t.same(await hintsOn(sim, d), [`${b}:fails-late`]);
  t.ok(sim.node(a).logs.some((l) => l.msg === 'replica write failed' && l.fields?.node === b));

  // c is down; its stand-in d cannot store the hint (its disk fails): d refuses it, and the next stand-in takes it.
  sim.net.isolate(c);
  sim.node(d).engine.failNextWrites(1);
  await sim.settle(sim.node(a).coord.write(key, setReq('w'), { onAcks: (x) => (acks = x) }));
  t.same(acks, { home: 2, total: 3 });
  await sim.idle(5);
  t.same(await hintsOn(sim, e), [`${c}:fails-late`]);
  t.ok(sim.node(a).logs.some((l) => l.msg === 'stand-in refused the hint' && l.fields?.node === d));

  // A stand-in that fails (here: nothing listens) is not a refusal: the coordinator keeps the hint, and W=3 is out of reach.
  await sim.node(d).endpoint.close();
  const out = await sim.outcome(sim.node(a).coord.write(key, setReq('x')));
  t.match(out, /^UNAVAILABLE [12] of 3 replicas acknowledged, 3 needed; the write may be present on some replicas$/);
  await sim.idle(5);
  t.same(await hintsOn(sim, a), [`${c}:fails-late`]);
  t.ok(sim.node(a).logs.some((l) => l.msg === 'stand-in write failed' && l.fields?.node === d));
});

t.test('PW refuses an acknowledgement made of stand-ins; timeouts say which count fell short', async (t) => {
  const sim = await SimCluster.start({ nodes: 5, n: 3, r: 2, w: 2, hints: true, sloppyQuorum: true, timeoutMs: 50 });
  t.teardown(() => sim.close());
  const key = Buffer.from('pw-late');
  const [a, b, c] = sim.replicasOf(key) as [string, string, string];
  // b is believed up but its disk fails: it answers with an error, and its stand-in acknowledges instead.
  sim.node(b).engine.failNextWrites(1);
  sim.net.isolate(c);
  const out = await sim.outcome(sim.node(a).coord.write(key, setReq('v'), { w: 3, pw: 2 }));
  t.equal(out, 'UNAVAILABLE 1 of 3 home replicas acknowledged, 2 needed; the write may be present on some replicas');
  // c believed up but silent: the home count times out.
  sim.believe(a, c, true);
  const late = await sim.outcome(sim.node(a).coord.write(key, setReq('w'), { pw: 3 }));
  t.equal(late, 'TIMEOUT 2 of 3 home replicas acknowledged within 50 ms, 3 needed; the write may be present on some replicas');
  sim.believe(a, b, true);
  sim.net.isolate(b);
  const short = await sim.outcome(sim.node(a).coord.write(key, setReq('x'), { w: 3 }));
  t.equal(short, 'TIMEOUT 1 of 3 replicas acknowledged within 50 ms, 3 needed; the write may be present on some replicas');
});

t.test('while a member joins, writes also reach the pending owners; W counts the current ones', async (t) => {
  const sim = await sloppySim(5);
  t.teardown(() => sim.close());
  const joining = Ring.build(sim.ring.members.map((m) => (m.id === 'n4' ? { ...m, state: 'joining' as const } : m)));
  (sim as { ring: Ring }).ring = joining;
  const key = sim.keyWhere((reps) => !reps.includes('n4') && joining.writeTargets(keyHash(Buffer.from('x')), 3).length >= 3, 'p');
  let target = key;
  for (let i = 0; i < 10_000; i++) {
    const k = Buffer.from(`pending${i}`);
    if (joining.writeTargets(keyHash(k), 3).includes('n4')) {
      target = k;
      break;
    }
  }
  const [a] = sim.replicasOf(target) as [string];
  let acks: WriteAcks | undefined;
  await sim.settle(sim.node(a).coord.write(target, setReq('v'), { w: 3, onAcks: (x) => (acks = x) }));
  t.same(acks, { home: 3, total: 3 });
  await sim.idle(5);
  t.same(siblingValues(await sim.node('n4').coord.readLocal(target)), ['v'], 'the joining owner has it');
  // Its failure is logged, not counted.
  sim.believe(a, 'n4', true);
  sim.net.isolate('n4');
  await sim.settle(sim.node(a).coord.write(target, setReq('w'), { w: 3 }));
  await sim.idle(200);
  t.ok(sim.node(a).logs.some((l) => l.msg === 'write to a pending owner failed' && l.fields?.node === 'n4'));
  sim.forgetBeliefs();
  await sim.settle(sim.node(a).coord.write(target, setReq('x'), { w: 3 }));
  t.ok(sim.node(a).logs.some((l) => l.msg === 'pending owners unreachable, left to range streaming'));
  void key;
});

t.test('a stand-in refuses hints it cannot keep or that make no sense', async (t) => {
  const sim = await SimCluster.start({ nodes: 2, n: 1, r: 1, w: 1, hints: false });
  t.teardown(() => sim.close());
  const c = sim.node('n1').coord;
  const key = Buffer.from('k');
  await t.rejects(c.handleRequest('n0', { type: 'h.store', key, obj, epoch: 0, owner: 'n0' }), /n1 keeps no hints/);
  for (const [msg, re] of [
    [{ type: 'h.store', key, obj: 'x', epoch: 0, owner: 'n0' }, /h.store needs key and obj/],
    [{ type: 'h.store', key, obj, epoch: -1, owner: 'n0' }, /h.store needs an epoch/],
    [{ type: 'h.store', key, obj, epoch: 0, owner: 'bad id!' }, /h.store needs an owner/],
    [{ type: 'c.write', key, value: key, tombstone: false, expireAt: 0, supersedes: 'local', w: 1, r: 1, pw: -1 }, /pw must be a non-negative integer/],
  ] as const) {
    await t.rejects(c.handleRequest('n0', msg), re);
  }
  const withHints = await SimCluster.start({ nodes: 2, n: 1, r: 1, w: 1, hints: true });
  t.teardown(() => withHints.close());
  const h = withHints.node('n1').coord;
  await t.rejects(h.handleRequest('n0', { type: 'h.store', key, obj, epoch: 0, owner: 'n1' }), /a hint for its own holder/);
  await t.rejects(h.handleRequest('n0', { type: 'h.store', key, obj: Buffer.from([9]), epoch: 0, owner: 'n0' }), /bad request/);
  t.same(await h.handleRequest('n0', { type: 'h.store', key, obj, epoch: 0, owner: 'n0' }), { ok: true });
  t.equal(withHints.node('n1').hints!.pendingOf('n0').count, 1);
  t.same(parseWriteReply({ obj, home: 1, total: 2 }), { obj, home: 1, total: 2 });
  t.same(parseWriteReply({ obj, home: -1, total: 2 }), { obj });
});

t.test('reads order replicas by phi, lowest first, stable, with this node counted healthy', async (t) => {
  const phis: Record<string, number> = { a: 3, b: 1, c: 1, d: NaN, e: Infinity };
  const dp = { self: 'me', members: { ring: () => undefined, isReachable: () => true, phi: (id: string) => phis[id]! } } as unknown as DataPath;
  t.same(byPhi(dp, ['a', 'e', 'b', 'me', 'd', 'c']), ['me', 'b', 'c', 'a', 'e', 'd']);
  const plain = { self: 'me', members: { ring: () => undefined, isReachable: () => true } } as unknown as DataPath;
  t.same(byPhi(plain, ['b', 'a']), ['b', 'a']);
});
