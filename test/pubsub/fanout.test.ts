import t from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { PeerFanout } from '../../src/pubsub/fanout.js';
import { PubSubHub } from '../../src/pubsub/hub.js';
import { encodeBatch, isPubSubMessage, MAX_BATCH_MESSAGES, parseBatch, PUBLISH_BATCH, type PublishBatch } from '../../src/pubsub/messages.js';
import { Subscriber } from '../../src/pubsub/registry.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A transport whose requests wait until the test settles them, one list per peer. */
function heldTransport() {
  const pending = new Map<string, Array<{ msg: PublishBatch; resolve: () => void; reject: (e: unknown) => void }>>();
  return {
    pending,
    request(peer: string, msg: unknown): Promise<unknown> {
      return new Promise((resolve, reject) => {
        const list = pending.get(peer) ?? [];
        list.push({ msg: msg as PublishBatch, resolve: () => resolve({ receivers: 0 }), reject });
        pending.set(peer, list);
      });
    },
    take(peer: string) {
      const list = pending.get(peer) ?? [];
      return list.shift();
    },
  };
}

const texts = (batch: PublishBatch): string[] => batch.msgs.map(([, , m]) => m.toString('latin1'));
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

t.test('one request in flight per peer; what waits goes next, in publish order', async (t) => {
  const net = heldTransport();
  const fanout = new PeerFanout({ transport: net, peers: () => ['b', 'c'] });
  fanout.send({ shard: false, channel: b('ch'), message: b('1') });
  fanout.send({ shard: false, channel: b('ch'), message: b('2') });
  fanout.send({ shard: true, channel: b('ch'), message: b('3') });
  t.equal(net.pending.get('b')!.length, 1, 'the first message goes alone; the rest wait for its answer');
  t.equal(fanout.queuedMessages(), 4);
  const first = net.take('b')!;
  t.same(texts(first.msg), ['1']);
  first.resolve();
  await tick();
  const second = net.take('b')!;
  t.same(texts(second.msg), ['2', '3'], 'the waiting messages go as one batch, in order');
  t.same(second.msg.msgs.map(([shard]) => shard), [0, 1]);
  second.resolve();
  await tick();
  t.equal(net.pending.get('b')!.length, 0);
  t.same(texts(net.take('c')!.msg), ['1']);
});

t.test('a failed batch is dropped, not sent again (at most once), and the queue goes on', async (t) => {
  const net = heldTransport();
  const drops: Array<[string, number, string]> = [];
  const fanout = new PeerFanout({ transport: net, peers: () => ['b'], onDropped: (p, n, why) => drops.push([p, n, why]) });
  fanout.send({ shard: false, channel: b('ch'), message: b('1') });
  fanout.send({ shard: false, channel: b('ch'), message: b('2') });
  net.take('b')!.reject(new QkvError('UNAVAILABLE', 'b is down'));
  await tick();
  const second = net.take('b')!;
  t.same(texts(second.msg), ['2']);
  second.resolve();
  await tick();
  t.same(drops, [['b', 1, 'b is down']]);
  t.equal(fanout.dropped, 1);
  fanout.send({ shard: false, channel: b('ch'), message: b('3') });
  net.take('b')!.reject('plain');
  await tick();
  t.same(drops[1], ['b', 1, 'plain']);
});

t.test('a peer too far behind loses new messages instead of growing memory; batches are bounded in bytes', async (t) => {
  const net = heldTransport();
  const fanout = new PeerFanout({ transport: net, peers: () => ['b'], maxQueuedBytes: 1000, maxBatchBytes: 300 });
  const big = Buffer.alloc(200, 'x');
  for (let i = 0; i < 10; i++) fanout.send({ shard: false, channel: b('c'), message: big });
  t.equal(fanout.dropped, 6, 'four messages of about 265 bytes fit in 1000');
  net.take('b')!.resolve();
  await tick();
  t.equal(net.take('b')!.msg.msgs.length, 1, 'one message per batch when two would pass 300 bytes');
});

t.test('a batch carries at most MAX_BATCH_MESSAGES', async (t) => {
  const net = heldTransport();
  const fanout = new PeerFanout({ transport: net, peers: () => ['b'] });
  for (let i = 0; i < MAX_BATCH_MESSAGES + 10; i++) fanout.send({ shard: false, channel: b('c'), message: b(String(i)) });
  net.take('b')!.resolve();
  await tick();
  t.equal(net.take('b')!.msg.msgs.length, MAX_BATCH_MESSAGES);
});

t.test('peer batches are validated', async (t) => {
  t.equal(isPubSubMessage({ type: PUBLISH_BATCH }), true);
  t.equal(isPubSubMessage({ type: 'r.get' }), false);
  t.equal(isPubSubMessage(null), false);
  t.same(parseBatch(encodeBatch([{ shard: true, channel: b('c'), message: b('m') }])), [{ shard: true, channel: b('c'), message: b('m') }]);
  t.throws(() => parseBatch({ type: PUBLISH_BATCH }), { message: /bad request: p.publish needs a list/ });
  t.throws(() => parseBatch({ type: PUBLISH_BATCH, msgs: new Array(MAX_BATCH_MESSAGES + 1).fill([0, b('c'), b('m')]) }), { message: /at most/ });
  t.throws(() => parseBatch({ type: PUBLISH_BATCH, msgs: [[2, b('c'), b('m')]] }), { message: /\[0\|1, channel, message\]/ });
  t.throws(() => parseBatch({ type: PUBLISH_BATCH, msgs: [[0, 'c', b('m')]] }), { message: /\[0\|1, channel, message\]/ });
  t.throws(() => parseBatch({ type: PUBLISH_BATCH, msgs: ['x'] }), { message: /\[0\|1, channel, message\]/ });
});

t.test('the hub delivers here, sends on, and delivers what peers send without sending it on', async (t) => {
  const sent: unknown[] = [];
  const fanout = new PeerFanout({ transport: { request: (_p, m) => (sent.push(m), Promise.resolve({})) }, peers: () => ['b'] });
  const hub = new PubSubHub(fanout);
  const got: string[] = [];
  const sub = new Subscriber((d) => got.push(`${d.kind} ${d.message.toString('latin1')}`));
  hub.registry.add('channels', sub, b('c'));
  hub.registry.add('shardChannels', sub, b('s'));
  t.equal(hub.publish(b('c'), b('1')), 1);
  t.equal(hub.publishShard(b('s'), b('2')), 1);
  t.same(hub.handleRequest('b', encodeBatch([{ shard: false, channel: b('c'), message: b('3') }, { shard: true, channel: b('s'), message: b('4') }])), { receivers: 2 });
  t.same(got, ['message 1', 'smessage 2', 'message 3', 'smessage 4']);
  await tick();
  t.equal(sent.length, 2, 'the peer batch is not sent on');
  const alone = new PubSubHub();
  t.equal(alone.publish(b('c'), b('x')), 0, 'a single node has no fan-out');
  t.equal(alone.publishShard(b('c'), b('x')), 0);
});
