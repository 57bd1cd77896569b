import t from 'tap';
import { isQkvError, QkvError } from '../../src/core/errors.js';
import { SeededRng } from '../../src/core/rng.js';
import { startActor } from '../../src/coordinator/start-actor.js';
import { assembleNode, type AssembledNode, type NodeAssemblyOptions } from '../../src/server/node-assembly.js';
import { requestRouter } from '../../src/server/request-router.js';
import { MemoryEngine } from '../../src/storage/memory-engine.js';
import { openRecordStore } from '../../src/storage/record-store.js';
import { MemoryNetwork } from '../../src/transport/memory-network.js';
import type { PeerAddress } from '../../src/transport/types.js';
import { runUntil, SimClock } from '../sim/scheduler.js';
import { encodeBatch } from '../../src/pubsub/messages.js';
import { Subscriber } from '../../src/pubsub/registry.js';

const OPTIONS: NodeAssemblyOptions = {
  n: 1,
  rack: 'r1',
  dc: 'dc1',
  vnodes: 4,
  seeds: [],
  sync: true,
  hints: { maxPerTarget: 100, maxBytesPerTarget: 1 << 20, rateKeys: 100 },
  tombstoneGraceMs: 1_000,
  gossip: {},
  streaming: { limits: () => ({ maxKeysPerSec: 1_000, maxBytesPerSec: 1 << 20 }), cleanupGraceMs: 1_000, cleanupIntervalMs: 1_000 },
};

async function assembled(clock: SimClock, net: MemoryNetwork, id: string): Promise<{ node: AssembledNode; address: PeerAddress }> {
  const engine = new MemoryEngine();
  await engine.open();
  const store = await openRecordStore(engine, { sync: true, clock, schedule: (run) => queueMicrotask(run) });
  const endpoint = net.attach(id);
  const node = await assembleNode({
    nodeId: id,
    actor: await startActor(store, id, clock.now()),
    store,
    transport: endpoint.rpc,
    datagrams: endpoint.datagram,
    clock,
    rng: new SeededRng(1),
    options: OPTIONS,
    r: () => 1,
    w: () => 1,
    requestTimeoutMs: () => 100,
  });
  return { node, address: endpoint.address };
}

t.test('the router refuses a type no subsystem claims, before any subsystem sees it', async (t) => {
  let coordinatorCalls = 0;
  const route = requestRouter({
    nodeId: 'n0',
    antiEntropy: null,
    streaming: { handles: () => false, handleRequest: async () => t.fail('streaming reached') },
    membership: () => null,
    coordinator: {
      handleRequest: async () => {
        coordinatorCalls++;
        return { ok: true };
      },
    },
  });
  for (const msg of [{ type: 'x.unknown' }, { type: 'r.bogus' }, { type: 42 }, {}, null, 'r.get']) {
    const err = await route('n1', msg).then(
      () => null,
      (e: unknown) => e,
    );
    t.ok(isQkvError(err), `${JSON.stringify(msg)} refused with a QkvError`);
    t.equal((err as QkvError).reason, 'unknown-request', 'typed as an unknown request');
    t.equal((err as QkvError).code, 'ERR');
    t.match((err as QkvError).message, /unknown peer request type/);
  }
  t.equal(coordinatorCalls, 0, 'the coordinator saw none of them');
  t.same(await route('n1', { type: 'r.get', keys: [] }), { ok: true }, 'a coordinator request still reaches it');
  await t.rejects(route('n1', { type: 'm.push-pull' }), { code: 'UNAVAILABLE' }, 'membership requests wait for join');
});

t.test('an assembled node refuses an unknown peer request over the network and never hands it to the coordinator', async (t) => {
  const clock = new SimClock();
  const net = new MemoryNetwork({ clock, rng: new SeededRng(7), minDelayMs: 1, maxDelayMs: 2 });
  const { node, address } = await assembled(clock, net, 'n0');
  const peer = net.attach('n1');
  peer.rpc.setPeerAddress('n0', address);
  let coordinatorCalls = 0;
  const original = node.coordinator.handleRequest.bind(node.coordinator);
  node.coordinator.handleRequest = (from, msg) => {
    coordinatorCalls++;
    return original(from, msg);
  };
  const settle = async <T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> => {
    let out: { value?: T; error?: unknown } | null = null;
    p.then(
      (value) => (out = { value }),
      (error: unknown) => (out = { error }),
    );
    await runUntil(clock, () => out !== null, clock.now() + 1_000);
    return out!;
  };
  const refused = await settle(peer.rpc.request('n0', { type: 'x.unknown', payload: 1 }));
  t.match(refused.error, { code: 'ERR', message: /unknown peer request type 'x\.unknown'/ }, 'the peer hears why');
  t.equal(coordinatorCalls, 0, "the coordinator's handleRequest was not reached");
  const served = await settle(peer.rpc.request('n0', { type: 'r.get', keys: [Buffer.from('k')] }));
  t.notOk(served.error, 'a data-path request is served');
  t.equal(coordinatorCalls, 1, 'and only that one reached the coordinator');
  await node.close();
});

t.test('an assembled node hands a peer\'s published messages to its own subscribers over the in-memory network', async (t) => {
  const clock = new SimClock();
  const net = new MemoryNetwork({ clock, rng: new SeededRng(9), minDelayMs: 1, maxDelayMs: 2 });
  const { node, address } = await assembled(clock, net, 'n0');
  const peer = net.attach('n1');
  peer.rpc.setPeerAddress('n0', address);
  const got: string[] = [];
  node.pubsub.registry.add('channels', new Subscriber((d) => got.push(d.message.toString())), Buffer.from('ch'));
  let out: unknown = null;
  peer.rpc.request('n0', encodeBatch([{ shard: false, channel: Buffer.from('ch'), message: Buffer.from('from n1') }])).then(
    (v) => (out = v),
    (e: unknown) => (out = e),
  );
  await runUntil(clock, () => out !== null, clock.now() + 1_000);
  t.same(out, { receivers: 1 });
  t.same(got, ['from n1']);
  t.equal(node.pubsub.publish(Buffer.from('ch'), Buffer.from('local')), 1, 'a node that has not joined publishes to itself only');
  await node.close();
});

t.test("an assembled node routes 'l.*' to its ACL sync", async (t) => {
  const clock = new SimClock();
  const net = new MemoryNetwork({ clock, rng: new SeededRng(3), minDelayMs: 1, maxDelayMs: 2 });
  const a = await assembled(clock, net, 'a');
  t.teardown(() => a.node.close());
  t.ok(a.node.acl.handles({ type: 'l.version' }));
  t.same(await a.node.handleRequest('b', { type: 'l.version', at: 1, node: 'b' }), {}, 'no ACL store attached yet: nothing to say');
  const route = requestRouter({
    nodeId: 'n0',
    antiEntropy: null,
    streaming: { handles: () => false, handleRequest: async () => null },
    membership: () => null,
    coordinator: { handleRequest: async () => null },
  });
  await t.rejects(route('n1', { type: 'l.state' }), /unknown peer request type 'l.state'/, 'a router without ACL sync refuses them');
});
