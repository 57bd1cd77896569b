import t from 'tap';
import { ERR_NO_RING_CHANGES, adminCommands, statusDocument } from '../../src/commands/admin.js';
import type { ClusterStreamView, ClusterView, CommandContext } from '../../src/commands/types.js';
import { ManualClock } from '../../src/core/clock.js';
import { QkvError } from '../../src/core/errors.js';
import { SeededRng } from '../../src/core/rng.js';
import { ringSummary } from '../../src/handoff/range-summary.js';
import { Ring } from '../../src/ring/ring.js';
import { formatStatus, formatStream, formatStreams, formatBytes, formatDuration, membersFromReply } from '../../src/server/status-cli.js';
import { int, type Reply } from '../../resp/reply.js';
import { MemoryKv } from '../support/memory-kv.js';

const stream: ClusterStreamView = {
  id: 'join',
  kind: 'join',
  direction: 'pull',
  peer: 'n1',
  state: 'running',
  rangesDone: 12,
  rangesTotal: 40,
  keys: 1200,
  bytes: 3_355_443,
  keysTotal: 4800,
  keysPerSec: 400,
  bytesPerSec: 1_153_434,
  etaSeconds: 192,
  refetched: 0,
  startedAt: 0,
  error: null,
};

const ring = Ring.build(
  ['a', 'b', 'c', 'd'].map((id) => ({ id, rack: 'r1', dc: 'dc1', vnodes: 16, state: id === 'd' ? ('joining' as const) : ('normal' as const) })),
);

function base(extra: Partial<ClusterView> = {}): ClusterView {
  return { self: 'a', members: () => [], replicasOf: () => [], hints: () => ({}), repair: () => ({}), ...extra };
}

function context(cluster: ClusterView): CommandContext {
  const clock = new ManualClock();
  return {
    kv: new MemoryKv(clock),
    session: {} as CommandContext['session'],
    server: { cluster } as unknown as CommandContext['server'],
    clock,
    rng: new SeededRng(1),
    table: { lookup: () => undefined, all: () => [] },
    limits: { maxKeyBytes: 256, maxValueBytes: 1024, maxCollectionMembers: 10000 },
  };
}

async function run(cluster: ClusterView, name: string, ...args: string[]): Promise<Reply> {
  const spec = adminCommands.find((s) => s.name === name)!;
  return spec.handler(context(cluster), args.map((a) => Buffer.from(a)));
}

function field(reply: Reply, name: string): Reply | undefined {
  if (reply.t !== 'map') throw new Error('not a map');
  return reply.v.find(([k]) => k.t === 'bulk' && String(k.v) === name)?.[1];
}

t.test('without ring changes wired, each command answers an error', async (t) => {
  for (const [name, args] of [['qkv.ring', []], ['qkv.leave', []], ['qkv.remove', ['b']], ['qkv.streams', []]] as const) {
    await t.rejects(run(base(), name, ...args), new QkvError('ERR', ERR_NO_RING_CHANGES.slice(4)), name);
  }
});

t.test('QKV.RING, QKV.STREAMS, QKV.LEAVE and QKV.REMOVE', async (t) => {
  const removed: string[] = [];
  let left = 0;
  const view = base({
    ring: () => ringSummary(ring, 3),
    streams: () => [stream, { ...stream, id: 'x', peer: null, keysTotal: null, etaSeconds: null, error: 'boom' }],
    leave: () => {
      left++;
    },
    remove: (id) => {
      if (id === 'a') throw new QkvError('ERR', 'cannot remove this node itself; use QKV.LEAVE');
      removed.push(id);
    },
  });
  const r = await run(view, 'qkv.ring');
  t.match(field(r, 'n'), { t: 'int', v: 3 });
  t.equal(field(r, 'pending'), int(1));
  const members = field(r, 'members');
  t.equal(members?.t === 'array' && members.v.length, 4);
  const s = await run(view, 'qkv.streams');
  t.equal(s.t === 'array' && s.v.length, 2);
  if (s.t === 'array') {
    t.match(field(s.v[0]!, 'keys-total'), { t: 'int', v: 4800 });
    t.match(field(s.v[1]!, 'keys-total'), { t: 'null' });
    t.match(field(s.v[1]!, 'error'), { t: 'bulk', v: 'boom' });
  }
  t.match(await run(view, 'qkv.leave'), { t: 'raw' });
  t.equal(left, 1);
  t.match(await run(view, 'qkv.remove', 'b'), { t: 'raw' });
  t.same(removed, ['b']);
  await t.rejects(run(view, 'qkv.remove', 'a'), /use QKV.LEAVE/);
  t.same(statusDocument(view).streams, view.streams!());
  t.notOk('streams' in statusDocument(base()), 'no streams key where a node has none');
});

t.test('member keys and bytes travel through QKV.MEMBERS and the status document', async (t) => {
  const m = { id: 'a', address: 'x:1', peerAddress: 'x:2', status: 'alive' as const, state: 'normal' as const, rack: 'r', dc: 'd', ownership: 1, replicaOwnership: 1, phi: 0.5 };
  const view = base({ members: () => [{ ...m, keys: 10, bytes: 2048 }] });
  t.match(statusDocument(view).members, [{ keys: 10, bytes: 2048 }]);
  const reply = await run(view, 'qkv.members');
  t.ok(reply.t === 'array' && field(reply.v[0]!, 'keys'));
  const parsed = membersFromReply([['id', 'a', 'status', 'alive', 'ownership', '1', 'replicas', '1', 'phi', '0.5', 'keys', '10', 'bytes', '2048']]);
  const text = formatStatus({ self: 'a', streams: [stream] }, parsed, '127.0.0.1:7001');
  t.match(text, /KEYS\s+BYTES/);
  t.match(text, /10\s+2\.0 KB/);
});

t.test('status text: a progress bar with rate and ETA per stream in flight', (t) => {
  t.equal(
    formatStream(stream),
    '  join pull from n1 (running)  [######..................]  25.0%  ranges 12/40  1200/4800 keys  3.2 MB  400 keys/s  1.1 MB/s  ETA 3m12s',
  );
  const push = formatStream({ ...stream, direction: 'push', kind: 'leave', state: 'waiting', keysTotal: null, etaSeconds: null, error: 'n2: TIMEOUT' });
  t.match(push, /leave push to n2|leave push to n1/);
  t.match(push, /\[#######\.+\]  30\.0%/, 'by ranges without an estimate');
  t.match(push, /ETA \?  last error: n2: TIMEOUT/);
  const cleanup = formatStream({ ...stream, id: 'cleanup', kind: 'cleanup', direction: 'delete', peer: null, keys: 600, keysTotal: 2400 });
  t.match(cleanup, /^  cleanup delete \(running\)  \[######\.+\]  25\.0%  ranges 12\/40  600\/2400 keys/, 'a cleanup shows what is left to delete');
  t.same(formatStreams(undefined), []);
  t.same(formatStreams([{ ...stream, state: 'done' }, { nonsense: 1 }]), [], 'finished streams are not shown');
  const text = formatStatus({ self: 'a', hints: {}, repair: {}, streams: [stream] }, [], 'h:1');
  t.match(text, /streams:\n  join pull from n1/);
  t.notMatch(formatStatus({ self: 'a' }, [], 'h:1'), /streams:/);
  t.equal(formatBytes(512), '512 B');
  t.equal(formatBytes(5 * 1024 ** 4 * 1024), '5120.0 TB');
  t.equal(formatDuration(42), '42s');
  t.equal(formatDuration(7322), '2h02m');
  t.end();
});
