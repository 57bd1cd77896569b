import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { QkvError } from '../../src/core/errors.js';
import { PeerBatcher, LEGACY_RETRY_MS } from '../../src/coordinator/peer-batch.js';
import type { PeerClient } from '../../src/coordinator/peer-client.js';
import { encodeObject } from '../../src/versioning/codec.js';
import { applyWrite } from '../../src/versioning/object.js';
import { DotIssuer } from '../../src/versioning/actor.js';
import { SimCluster } from '../support/sim-cluster.js';
import { setReq } from './helpers.js';

/** Records every request a node sends, by type. */
function record(sim: SimCluster, id: string): Array<{ peer: string; msg: { type: string; items?: unknown[] } }> {
  const sent: Array<{ peer: string; msg: { type: string; items?: unknown[] } }> = [];
  const rpc = sim.node(id).endpoint.rpc;
  const request = rpc.request.bind(rpc);
  rpc.request = (peer, msg, opts) => {
    sent.push({ peer, msg: msg as { type: string } });
    return request(peer, msg, opts);
  };
  return sent;
}

function version(value: string, actor = 'w~1'): Buffer {
  return encodeObject(applyWrite(undefined, {}, new DotIssuer(actor), { value: Buffer.from(value), tombstone: false, expireAt: 0, ts: 1 }));
}

t.test('writes of one turn go to each peer in one frame and land in one storage batch there', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3, r: 2, w: 3 });
  t.teardown(() => sim.close());
  const sent = record(sim, 'n0');
  const batchesBefore = sim.node('n1').store.stats().batches;
  const keys = Array.from({ length: 40 }, (_, i) => Buffer.from(`batch-${i}`));
  await sim.settle(Promise.all(keys.map((k, i) => sim.node('n0').coord.write(k, setReq(`v${i}`)))));
  const frames = sent.filter((s) => s.msg.type === 'r.batch');
  t.equal(sent.filter((s) => s.msg.type === 'r.merge').length, 0, 'no per-item merges');
  t.equal(frames.length, 2, 'one frame per peer');
  t.equal(frames[0]!.msg.items!.length, 40);
  t.equal(sim.node('n1').store.stats().batches - batchesBefore, 1, 'the replica wrote them in one batch');
  const got = await sim.settle(sim.node('n0').coord.readMany(keys));
  t.same(
    got.map((o) => o?.siblings[0]?.value.toString()),
    keys.map((_, i) => `v${i}`),
  );
});

t.test('one bad item fails alone; a frame that is not a list is refused whole', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3 });
  t.teardown(() => sim.close());
  const coord = sim.node('n1').coord;
  const reply = (await sim.settle(
    coord.handleRequest('n0', {
      type: 'r.batch',
      items: [['m', Buffer.from('good'), version('g'), 0], ['m', Buffer.from('bad'), Buffer.from([9, 9]), 0], ['x'], ['g', [Buffer.from('good'), Buffer.from('none')]]],
    }),
  )) as { results: unknown[][] };
  t.same(reply.results[0], [0], 'the good merge is durable');
  t.equal(reply.results[1]![0], 1);
  t.match(reply.results[1]![2], /bad request/);
  t.match(reply.results[2]![2], /malformed r.batch item/);
  const read = reply.results[3]!;
  t.equal(read[0], 2);
  t.equal((read[2] as unknown[]).length, 2);
  t.equal((read[2] as unknown[])[1], null, 'no copy of a key never written');
  t.same((await coord.readLocal(Buffer.from('good')))?.siblings.map((s) => s.value.toString()), ['g']);
  t.match(await sim.outcome(coord.handleRequest('n0', { type: 'r.batch', items: 'no' })), /^ERR bad request: r.batch needs a list/);
  const old = sim.node('n1').store.stats().batches;
  t.match(await sim.outcome(coord.handleRequest('n0', { type: 'r.batch', items: new Array(5000).fill(['g', []]) })), /at most 4096 items/);
  t.equal(sim.node('n1').store.stats().batches, old);
});

t.test('a peer that does not know r.batch gets one message per item, and writes and reads still work', async (t) => {
  const sim = await SimCluster.start({ nodes: 3, n: 3, r: 3, w: 3 });
  t.teardown(() => sim.close());
  // n2 as an older node: its router refuses the new type before any subsystem sees it.
  const n2 = sim.node('n2');
  const handler = n2.coord.handleRequest.bind(n2.coord);
  let refused = 0;
  n2.endpoint.rpc.onRequest((from, msg) => {
    if ((msg as { type?: string }).type === 'r.batch') {
      refused++;
      throw new QkvError('ERR', "unknown peer request type 'r.batch'", 'unknown-request');
    }
    return handler(from, msg);
  });
  const sent = record(sim, 'n0');
  const key = Buffer.from('mixed');
  await sim.settle(sim.node('n0').coord.write(key, setReq('v')));
  t.same((await sim.settle(sim.node('n0').coord.read(key)))?.siblings.map((s) => s.value.toString()), ['v']);
  t.equal(refused, 1, 'refused once, then the peer is asked the old way');
  t.ok(sent.some((s) => s.peer === 'n2' && s.msg.type === 'r.merge'));
  t.ok(sent.some((s) => s.peer === 'n2' && s.msg.type === 'r.get'));
  t.ok(sent.some((s) => s.peer === 'n1' && s.msg.type === 'r.batch'), 'the other peer still gets frames');
  t.same((await n2.coord.readLocal(key))?.siblings.map((s) => s.value.toString()), ['v']);
});

/** A PeerClient stand-in that answers every frame with `answer`. */
function fakePeers(answer: (msg: { type: string; items: unknown[][] }) => unknown): { client: PeerClient; frames: Array<{ type: string; items: unknown[][] }> } {
  const frames: Array<{ type: string; items: unknown[][] }> = [];
  const client = {
    call: (_peer: string, msg: { type: string; items: unknown[][] }) => {
      frames.push(msg);
      try {
        return Promise.resolve(answer(msg));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    },
  } as unknown as PeerClient;
  return { client, frames };
}

const okAll = (msg: { type: string; items: unknown[][] }): unknown => ({ results: (msg.items ?? []).map(() => [0]) });

t.test('frames are cut at their item and byte caps', async (t) => {
  const { client, frames } = fakePeers(okAll);
  const schedule: Array<() => void> = [];
  const b = new PeerBatcher(client, new ManualClock(), { schedule: (run) => schedule.push(run), maxItems: 3, maxBytes: 100 });
  const acks: Array<Error | null> = [];
  for (let i = 0; i < 7; i++) b.merge('p', Buffer.from(`k${i}`), Buffer.alloc(10), 0, 100, (e) => acks.push(e));
  b.merge('p', Buffer.from('big'), Buffer.alloc(90), 0, 100, (e) => acks.push(e));
  for (const run of schedule) run();
  await new Promise((r) => setImmediate(r));
  t.same(
    frames.map((f) => f.items.length),
    [3, 3, 1, 1],
    'three items a frame, and a large item starts a new one',
  );
  t.equal(b.frames, 4);
  t.same(acks, new Array(8).fill(null));
});

t.test('a lost frame fails each item; a bad reply fails each item; a refused frame is sent again item by item', async (t) => {
  const clock = new ManualClock();
  let mode: 'lost' | 'garbage' | 'refuse' = 'lost';
  const { client, frames } = fakePeers((msg) => {
    if (msg.type === 'r.merge') return { ok: true };
    if (msg.type === 'r.get') return { epoch: 0, objs: [null] };
    if (mode === 'lost') throw new QkvError('TIMEOUT', 'no reply');
    if (mode === 'garbage') return { results: 'x' };
    throw new QkvError('ERR', 'unknown peer request type');
  });
  const b = new PeerBatcher(client, clock, { schedule: (run) => queueMicrotask(run) });
  const outcome = async (): Promise<string[]> => {
    const out: string[] = [];
    await new Promise<void>((resolve) => {
      let left = 2;
      const done = (e: Error | null): void => {
        out.push(e ? e.message : 'ok');
        if (--left === 0) resolve();
      };
      b.merge('p', Buffer.from('a'), Buffer.alloc(1), 0, 100, done);
      b.get('p', [Buffer.from('a')], 100).then(
        () => done(null),
        (e: Error) => done(e),
      );
    });
    return out.sort();
  };
  t.same(await outcome(), ['no reply', 'no reply']);
  mode = 'garbage';
  t.same(await outcome(), ['bad reply from peer: r.batch results', 'bad reply from peer: r.batch results']);
  mode = 'refuse';
  frames.length = 0;
  t.same(await outcome(), ['ok', 'ok']);
  t.same(
    frames.map((f) => f.type),
    ['r.batch', 'r.merge', 'r.get'],
  );
  frames.length = 0;
  t.same(await outcome(), ['ok', 'ok']);
  t.same(frames.map((f) => f.type).sort(), ['r.get', 'r.merge'], 'the peer gets single messages for a while');
  clock.advance(LEGACY_RETRY_MS);
  frames.length = 0;
  await outcome();
  t.equal(frames[0]!.type, 'r.batch', 'then frames are tried again');
});

t.test('a read the reply had no room for goes first in the next frame', async (t) => {
  let round = 0;
  const { client, frames } = fakePeers((msg) => {
    round++;
    // The first frame answers only its first read; later frames answer everything.
    return { results: msg.items.map((it, i) => (round === 1 && i > 0 ? [2, 0, []] : [2, 0, (it[1] as Buffer[]).map(() => null)])) };
  });
  const b = new PeerBatcher(client, new ManualClock(), { schedule: (run) => queueMicrotask(run) });
  const got = await Promise.all([b.get('p', [Buffer.from('a')], 100), b.get('p', [Buffer.from('b')], 100)]);
  t.same(
    got.map((g) => g.objs),
    [[null], [null]],
  );
  t.equal(frames.length, 2);
  t.same(frames[1]!.items[0]![1], [Buffer.from('b')]);
});
