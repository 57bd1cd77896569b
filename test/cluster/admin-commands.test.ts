import t from 'tap';
import { ERR_NO_CLUSTER, adminCommands, statusDocument } from '../../src/commands/admin.js';
import { allCommands } from '../../src/commands/index.js';
import type { ClusterMemberView, ClusterView, CommandContext } from '../../src/commands/types.js';
import { ManualClock } from '../../src/core/clock.js';
import { QkvError } from '../../src/core/errors.js';
import { SeededRng } from '../../src/core/rng.js';
import type { Reply } from '../../resp/reply.js';
import { MemoryKv } from '../support/memory-kv.js';

const members: ClusterMemberView[] = [
  {
    id: 'a',
    address: '127.0.0.1:7001',
    peerAddress: '127.0.0.1:17001',
    status: 'alive',
    state: 'normal',
    rack: 'r1',
    dc: 'dc1',
    ownership: 0.333333333,
    replicaOwnership: 1,
    phi: null,
  },
  {
    id: 'b',
    address: '127.0.0.1:7002',
    peerAddress: '127.0.0.1:17002',
    status: 'dead',
    state: 'leaving',
    rack: 'r2',
    dc: 'dc2',
    ownership: 0.666666667,
    replicaOwnership: 0.5,
    phi: 8.25,
  },
];

const view: ClusterView = {
  self: 'a',
  members: () => members,
  replicasOf: (key) => (key.toString() === 'k' ? ['b', 'a'] : ['a']),
  hints: () => ({ b: 3 }),
  repair: () => ({}),
};

function context(cluster?: ClusterView): CommandContext {
  const clock = new ManualClock();
  return {
    kv: new MemoryKv(clock),
    session: {} as CommandContext['session'],
    server: {
      nodeId: 'a',
      version: '7.0.0',
      startedAt: 0,
      tcpPort: 7001,
      requirePass: () => null,
      clients: () => [],
      killClient: () => false,
      config: () => [],
      configSet: () => undefined,
      info: () => [],
      ...(cluster ? { cluster } : {}),
    },
    clock,
    rng: new SeededRng(1),
    table: { lookup: () => undefined, all: () => [] },
    limits: { maxKeyBytes: 256, maxValueBytes: 1024, maxCollectionMembers: 10000 },
  };
}

async function run(ctx: CommandContext, name: string, ...args: string[]): Promise<Reply> {
  const spec = adminCommands.find((s) => s.name === name);
  if (!spec) throw new Error(`no ${name}`);
  return spec.handler(ctx, args.map((a) => Buffer.from(a)));
}

t.test('QKV.STATUS is the documented JSON document', async (t) => {
  const reply = await run(context(view), 'qkv.status');
  t.equal(reply.t, 'bulk');
  const doc = JSON.parse(String((reply as { v: string }).v)) as unknown;
  t.same(doc, {
    self: 'a',
    members: [
      { id: 'a', address: '127.0.0.1:7001', status: 'alive', state: 'normal', rack: 'r1', dc: 'dc1', ownership: 0.333333, phi: null },
      { id: 'b', address: '127.0.0.1:7002', status: 'dead', state: 'leaving', rack: 'r2', dc: 'dc2', ownership: 0.666667, phi: 8.25 },
    ],
    hints: { b: 3 },
    repair: {},
  });
  t.same(statusDocument(view), doc);
});

t.test('QKV.MEMBERS gives one map per member', async (t) => {
  const reply = await run(context(view), 'qkv.members');
  t.equal(reply.t, 'array');
  const maps = (reply as unknown as { v: Reply[] }).v;
  t.equal(maps.length, 2);
  const fields = (m: Reply): Record<string, unknown> =>
    Object.fromEntries((m as unknown as { v: Array<[Reply, Reply]> }).v.map(([k, v]) => [(k as { v: string }).v, 'v' in v ? v.v : null]));
  t.same(fields(maps[0]!), {
    id: 'a',
    address: '127.0.0.1:7001',
    peer: '127.0.0.1:17001',
    status: 'alive',
    state: 'normal',
    rack: 'r1',
    dc: 'dc1',
    ownership: 0.333333,
    replicas: 1,
    phi: null,
  });
  t.equal(fields(maps[1]!).phi, 8.25);
});

t.test('QKV.REPLICAS lists a key\'s replicas in preference order', async (t) => {
  t.same(await run(context(view), 'qkv.replicas', 'k'), { t: 'array', v: [{ t: 'bulk', v: 'b' }, { t: 'bulk', v: 'a' }] });
});

t.test('QKV.REPLICAS WITHDC pairs each replica with its DC; QKV.STATUS shows the replicas per DC when set', async (t) => {
  const pair = (id: string, dc: string) => ({ t: 'array', v: [{ t: 'bulk', v: id }, { t: 'bulk', v: dc }] });
  t.same(await run(context(view), 'qkv.replicas', 'k', 'withdc'), { t: 'array', v: [pair('b', 'dc2'), pair('a', 'dc1')] });
  const unknown: ClusterView = { ...view, replicasOf: () => ['zz'] };
  t.same(await run(context(unknown), 'qkv.replicas', 'k', 'WITHDC'), { t: 'array', v: [pair('zz', '')] }, 'a replica no longer a member');
  await t.rejects(async () => run(context(view), 'qkv.replicas', 'k', 'withrack'), new QkvError('ERR', 'syntax error'));
  await t.rejects(async () => run(context(view), 'qkv.replicas', 'k', 'withdc', 'x'), new QkvError('ERR', 'syntax error'));
  const perDc: ClusterView = { ...view, replicasPerDc: () => [{ dc: 'dc1', count: 2 }, { dc: 'dc2', count: 1 }] };
  t.same((statusDocument(perDc) as { replicasPerDc: unknown }).replicasPerDc, [{ dc: 'dc1', count: 2 }, { dc: 'dc2', count: 1 }]);
  t.notOk('replicasPerDc' in statusDocument({ ...view, replicasPerDc: () => undefined }), 'absent when not set');
});

t.test('without a cluster view the commands say so', async (t) => {
  for (const name of ['qkv.members', 'qkv.status']) {
    await t.rejects(async () => run(context(), name), new QkvError('ERR', ERR_NO_CLUSTER.slice(4)));
  }
});

t.test('the admin commands are in the command table with their arity and key positions', async (t) => {
  const names = allCommands.flat().map((s) => s.name);
  for (const name of ['qkv.members', 'qkv.status', 'qkv.replicas']) t.ok(names.includes(name), name);
  const replicas = adminCommands.find((s) => s.name === 'qkv.replicas')!;
  t.same([replicas.arity, replicas.firstKey, replicas.lastKey, replicas.step], [-2, 1, 1, 1], 'QKV.REPLICAS key [WITHDC]');
  for (const spec of adminCommands) t.ok(spec.summary.length > 0 && spec.categories.includes('admin'), spec.name);
});
