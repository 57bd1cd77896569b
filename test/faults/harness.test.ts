import t from 'tap';
import { FaultCluster, RespReplyError } from '../support/fault-cluster.js';
import { startNode } from '../support/node-process.js';

// The fault harness against real processes: partitions seen by membership,
// one-way drops, clock offsets, pause, wipe, and a node without --debug refusing.

const cluster = await FaultCluster.start({ t, nodes: 3 });

t.test('a symmetric partition splits the membership views; heal joins them', async (t) => {
  await cluster.partition([['node1'], ['node2', 'node3']]);
  await cluster.waitForMembers((id) => (id === 'node1' ? ['node1'] : ['node2', 'node3']));
  const w = await cluster.call('node1', 'QSET', 'h:minority', 'x').catch((e: unknown) => e);
  t.ok(w instanceof RespReplyError && /^(UNAVAILABLE|TIMEOUT)/.test(w.reply), `the minority cannot reach W=2: ${String(w)}`);
  t.match(await cluster.call('node2', 'SET', 'h:majority', 'y'), 'OK', 'the majority can');
  const status = JSON.parse(String(await cluster.debug('node2', 'STATUS'))) as { partitioned: string[] };
  t.same(status.partitioned, ['node1']);
  await cluster.heal();
  await cluster.waitForMembers();
  t.equal(await cluster.call('node1', 'GET', 'h:majority'), 'y');
});

t.test('a one-way drop: node1 sends nothing to node2, node2 still reaches node1', async (t) => {
  await cluster.partitionOneWay(['node1'], ['node2']);
  const s1 = JSON.parse(String(await cluster.debug('node1', 'STATUS'))) as { outgoingOnly: string[] };
  const s2 = JSON.parse(String(await cluster.debug('node2', 'STATUS'))) as { outgoingOnly: string[]; partitioned: string[] };
  t.same([s1.outgoingOnly, s2.outgoingOnly, s2.partitioned], [['node2'], [], []]);
  // Requests node1 sends to node2 are lost; node2's requests to node1 (and their replies) still pass.
  t.equal(await cluster.call('node2', 'QSET', 'h:oneway', 'a', 'W', '3').then(() => 'ok'), 'ok', 'node2 coordinates a W=3 write');
  const w = await cluster.call('node1', 'QSET', 'h:oneway2', 'b', 'W', '3').catch((e: unknown) => e);
  t.ok(w instanceof RespReplyError && /^(TIMEOUT|UNAVAILABLE)/.test(w.reply), `node1 cannot: ${String(w)}`);
  await cluster.heal();
  await cluster.waitForQuorum();
});

t.test('a clock offset moves TIME on that node only, and survives a restart', async (t) => {
  const time = async (id: string): Promise<number> => Number(((await cluster.call(id, 'TIME')) as string[])[0]);
  await cluster.clockOffset('node3', -60_000);
  const skew = (await time('node1')) - (await time('node3'));
  t.ok(skew >= 59 && skew <= 61, `node3 is 60 s behind (${skew})`);
  await cluster.kill('node3');
  await cluster.restart('node3');
  const again = (await time('node1')) - (await time('node3'));
  t.ok(again >= 59 && again <= 61, 're-applied after the restart');
  await cluster.clockOffset('node3', 0);
  await cluster.waitForMembers();
  await cluster.waitForQuorum();
});

t.test('a paused node stops answering and is seen dead; resumed, it is back', async (t) => {
  cluster.pause('node2');
  await cluster.waitForMembers(() => ['node1', 'node3']);
  await cluster.resume('node2');
  await cluster.waitForMembers();
  t.equal(await cluster.call('node2', 'PING'), 'PONG');
});

t.test('a wiped node comes back under the same id and is rebuilt (anti-entropy, or reads at R=N)', async (t) => {
  t.equal(await cluster.call('node1', 'SET', 'h:wiped', 'keep'), 'OK');
  await cluster.wipe('node3');
  await cluster.waitForMembers();
  await cluster.waitForQuorum();
  // Anti-entropy may already have repaired it (a returning peer is compared first): empty or restored, never anything else.
  const local = (await cluster.call('node3', 'QLOCAL', 'h:wiped')) as [string | null, string[]];
  t.ok(local[1].length === 0 || (local[1].length === 1 && local[1][0] === 'keep'), 'node3 holds nothing or the repaired value');
  t.same(((await cluster.call('node1', 'QGET', 'h:wiped', 'R', '3')) as [string, string[]])[1], ['keep']);
  for (let i = 0; i < 50; i++) {
    const l = (await cluster.call('node3', 'QLOCAL', 'h:wiped')) as [string | null, string[]];
    if (l[1].length > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.same(((await cluster.call('node3', 'QLOCAL', 'h:wiped')) as [string | null, string[]])[1], ['keep'], 'repair restored it');
  const self = JSON.parse(String(await cluster.call('node3', 'QKV.STATUS'))) as { self: string };
  t.equal(self.self, 'node3');
});

t.test('a node without --debug refuses QKV.DEBUG', async (t) => {
  const plain = await startNode({ t });
  const { RespClient } = await import('../../src/server/resp-client.js');
  const c = await RespClient.connect({ host: '127.0.0.1', port: plain.port });
  t.teardown(() => c.close());
  const e = await c.call('QKV.DEBUG', 'PARTITION', 'node2').catch((err: unknown) => err);
  t.ok(e instanceof RespReplyError);
  t.equal((e as RespReplyError).reply, 'ERR debug commands are disabled; start the node with --debug');
});
