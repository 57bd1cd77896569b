import t from 'tap';
import { RING_SIZE } from '../../src/core/hash.js';
import { parseRequest, parseScanReply, parseWriteReply, scanRequest } from '../../src/coordinator/messages.js';
import { encodeObject } from '../../src/versioning/codec.js';
import { SimCluster, siblingValues } from '../support/sim-cluster.js';
import { setReq } from './helpers.js';

const obj = encodeObject({ clock: { n9: 1 }, siblings: [{ dot: { node: 'n9', counter: 1 }, value: Buffer.from('x'), ts: 1, tombstone: false, expireAt: 0 }] });

t.test('a peer speaking garbage gets a bad request error, never a crash', async (t) => {
  const sim = await SimCluster.start({ nodes: 2, n: 2 });
  t.teardown(() => sim.close());
  const c = sim.node('n1').coord;
  const key = Buffer.from('k');
  const cases: Array<[unknown, RegExp]> = [
    [null, /not a typed message/],
    ['r.get', /not a typed message/],
    [[1, 2], /not a typed message/],
    [Buffer.from('x'), /not a typed message/],
    [{ type: 'nope' }, /unknown type 'nope'/],
    [{ type: 'r.get', keys: 'k' }, /keys must be a list/],
    [{ type: 'r.get', keys: ['k'] }, /keys must hold byte strings/],
    [{ type: 'r.merge', key, obj: 'x', epoch: 0 }, /r.merge needs key and obj/],
    [{ type: 'r.merge', key, obj, epoch: -1 }, /r.merge needs an epoch/],
    [{ type: 'r.merge', key, obj: Buffer.from([9, 9]), epoch: 0 }, /bad request: corrupt version data/],
    [{ type: 'c.write', key, value: 'v' }, /c.write needs key and value/],
    [{ type: 'c.write', key, value: key, tombstone: 1 }, /tombstone must be a boolean/],
    [{ type: 'c.write', key, value: key, tombstone: false, expireAt: -1 }, /expireAt must be/],
    [{ type: 'c.write', key, value: key, tombstone: false, expireAt: 0, supersedes: 'all' }, /supersedes must be/],
    [{ type: 'c.write', key, value: key, tombstone: false, expireAt: 0, supersedes: 'local', w: 0, r: 1 }, /w must be a positive integer/],
    [{ type: 'c.write', key, value: key, tombstone: false, expireAt: 0, supersedes: 'context', w: 1, r: 1, context: [1] }, /a clock must be a map/],
    [{ type: 'c.write', key, value: key, tombstone: false, expireAt: 0, supersedes: 'local', w: 1, r: 1, ifClock: { a: -1 } }, /clock entry 'a'/],
    [{ type: 'c.write', key, value: key, tombstone: false, expireAt: 0, supersedes: 'local', w: 1, r: 1, delta: 5 }, /delta must be an integer in decimal/],
    [{ type: 'c.write', key, value: key, tombstone: false, expireAt: 0, supersedes: 'local', w: 1, r: 1, delta: '01' }, /delta must be an integer in decimal/],
    [{ type: 'c.scan', ranges: [[0n, 5n]], limit: 0 }, /limit must be an integer/],
    [{ type: 'c.scan', ranges: [], limit: 1 }, /ranges must be a non-empty list/],
    [{ type: 'c.scan', ranges: [[0n]], limit: 1 }, /a range must be/],
    [{ type: 'c.scan', ranges: [[0n, RING_SIZE + 1n]], limit: 1 }, /a range must be/],
    [{ type: 'c.scan', ranges: [[5n, 1n]], limit: 1 }, /ascending/],
    [{ type: 'c.scan', ranges: [[0n, 5n], [4n, 9n]], limit: 1 }, /ascending/],
    [{ type: 'c.flush', epoch: 1.5 }, /c.flush needs an epoch/],
  ];
  for (const [msg, want] of cases) {
    const out = await sim.outcome(c.handleRequest('n0', msg));
    t.match(out, /^ERR bad request: /, JSON.stringify(msg, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
    t.match(out, want);
  }
  t.ok(sim.node('n1').logs.some((l) => l.level === 'warn' && l.msg === 'bad request from peer' && l.fields?.from === 'n0'));
  // Over the network, the same: the sender gets the error, both nodes keep serving.
  t.match(await sim.outcome(sim.node('n0').endpoint.rpc.request('n1', { type: 'r.get', keys: 7 })), /^ERR bad request: keys must be a list/);
  await sim.settle(sim.node('n0').coord.write(key, setReq('fine')));
  t.same(siblingValues(await sim.settle(sim.node('n1').coord.read(key))), ['fine']);
  // Well-formed edge cases are accepted.
  t.same(parseRequest({ type: 'c.scan', ranges: [[0n, null]], limit: 3 }), { type: 'c.scan', ranges: [[0n, RING_SIZE]], limit: 3 });
  t.same(scanRequest([[1n, RING_SIZE]], 2), { type: 'c.scan', ranges: [[1n, null]], limit: 2 });
  t.same(parseRequest({ type: 'c.write', key, value: key, tombstone: false, expireAt: 0, supersedes: 'local', w: 1, r: 1, ifClock: null }), {
    type: 'c.write',
    key,
    value: key,
    tombstone: false,
    expireAt: 0,
    supersedes: 'local',
    w: 1,
    r: 1,
  });
  t.same(parseScanReply({ keys: [], hashes: [], objs: [] }), { keys: [], hashes: [], objs: [], next: null });
});

t.test('a peer answering garbage counts as a failed replica', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3, r: 3, w: 3 });
  t.teardown(() => sim.close());
  const key = sim.keyWhere((reps) => reps[0] === 'n0');
  sim.node('n2').endpoint.rpc.onRequest(() => ({ garbage: true }));
  t.match(await sim.outcome(sim.node('n0').coord.read(key)), /^UNAVAILABLE [12] of 3 replicas answered, 3 needed$/);
  t.ok(sim.node('n0').logs.some((l) => l.msg === 'replica read failed' && /bad reply from peer: r\.(get|batch)/.test(String(l.fields?.error))));
  t.match(await sim.outcome(sim.node('n0').coord.scan(0n, 10)), /^ERR bad reply from peer: c.scan/);
  t.match(await sim.outcome(sim.node('n0').coord.flushAll()), /^ERR FLUSHALL failed on n2 \(bad reply from peer: c.flush\)/);
  // A write forwarded to a coordinator that answers garbage.
  const lone = await SimCluster.start({ nodes: 2, n: 1, r: 1, w: 1 });
  t.teardown(() => lone.close());
  const remote = lone.keyWhere((reps) => reps[0] === 'n1');
  lone.node('n1').endpoint.rpc.onRequest(() => 'garbage');
  t.match(
    await lone.outcome(lone.node('n0').coord.write(remote, setReq('v'))),
    /^ERR the write was forwarded to n1, which did not answer \(bad reply from peer: c.write\); the write may be present on some replicas$/,
  );
});

t.test('replies with wrong shapes are refused', async (t) => {
  const lone = await SimCluster.start({ nodes: 2, n: 1, r: 1, w: 1 });
  t.teardown(() => lone.close());
  const remote = lone.keyWhere((reps) => reps[0] === 'n1');
  const replies: unknown[] = [
    { epoch: 0, objs: [] },
    { epoch: 0, objs: ['x'] },
    { epoch: -1, objs: [null] },
  ];
  for (const reply of replies) {
    lone.node('n1').endpoint.rpc.onRequest(() => reply);
    t.equal(await lone.outcome(lone.node('n0').coord.read(remote)), 'UNAVAILABLE 0 of 1 replicas answered, 1 needed');
  }
  const scans: unknown[] = [
    'x',
    { keys: 1, hashes: [], objs: [] },
    { keys: [], hashes: [1n], objs: [] },
    { keys: [], hashes: [], objs: [], next: -1n },
    { keys: ['k'], hashes: [1n], objs: [obj] },
    { keys: [Buffer.from('k')], hashes: ['x'], objs: [obj] },
  ];
  for (const reply of scans) {
    lone.node('n1').endpoint.rpc.onRequest(() => reply);
    t.match(await lone.outcome(lone.node('n0').coord.scan(0n, 10)), /^ERR bad reply from peer: c.scan/);
  }
  lone.node('n1').endpoint.rpc.onRequest(() => ({ error: { code: 'CONFLICT', message: 'relayed' } }));
  t.equal(await lone.outcome(lone.node('n0').coord.write(remote, setReq('v'))), 'CONFLICT relayed');
  lone.node('n1').endpoint.rpc.onRequest(() => ({ error: { code: 7 } }));
  t.match(await lone.outcome(lone.node('n0').coord.write(remote, setReq('v'))), /bad reply from peer: c.write/);
});

t.test('a refused write carries its typed reason; an unknown reason is dropped, leaving the refusal final', async (t) => {
  t.same(parseWriteReply({ error: { code: 'UNAVAILABLE', message: 'disk', reason: 'storage' } }), {
    error: { code: 'UNAVAILABLE', message: 'disk', reason: 'storage' },
  });
  t.same(parseWriteReply({ error: { code: 'TRYAGAIN', message: 'forming', reason: 'forming' } }), { error: { code: 'TRYAGAIN', message: 'forming', reason: 'forming' } });
  t.same(parseWriteReply({ error: { code: 'UNAVAILABLE', message: 'x', reason: 'gremlins' } }), { error: { code: 'UNAVAILABLE', message: 'x' } });
  t.same(parseWriteReply({ error: { code: 'UNAVAILABLE', message: 'x' } }), { error: { code: 'UNAVAILABLE', message: 'x' } });
});
