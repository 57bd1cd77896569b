import t from 'tap';
import { Registry } from 'prom-client';
import { ClusterMetrics } from '../../src/metrics/cluster-metrics.js';
import { CLUSTER_METRICS } from '../../src/metrics/cluster-names.js';

function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .find((l) => (l.startsWith(name + '{') || l.startsWith(name + ' ')) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

t.test('every cluster metric is registered with its help text', async (t) => {
  const registry = new Registry();
  new ClusterMetrics(registry);
  const text = await registry.metrics();
  for (const d of Object.values(CLUSTER_METRICS)) t.ok(text.includes(`# HELP ${d.name} ${d.help}`), d.name);
});

t.test('counters count and sources are read at scrape time', async (t) => {
  const registry = new Registry();
  const m = new ClusterMetrics(registry);
  m.gossipMessage('sent', 'ping', 120);
  m.gossipMessage('sent', 'ping', 80);
  m.gossipMessage('received', 'ack', 50);
  m.gossipDropped('auth');
  m.suspicion();
  m.refutation();
  m.death();
  m.hintsStored(3);
  m.hintsDelivered(2);
  m.hintsDropped(0);
  m.hintsDropped();
  m.hintsRefused('count_bound', 4);
  m.hintsRefused('storage_error');
  m.antiEntropyExchange('repaired');
  m.antiEntropyRepaired(10, 1000);
  m.tombstonesPurged(4);
  m.purgeRefused('within-grace', 2);
  m.streamed('in', 5, 500);
  let text = await registry.metrics();
  t.equal(valueOf(text, 'quorumkv_gossip_messages_total', { direction: 'sent', type: 'ping' }), 2);
  t.equal(valueOf(text, 'quorumkv_gossip_bytes_total', { direction: 'sent' }), 200);
  t.equal(valueOf(text, 'quorumkv_gossip_dropped_total', { reason: 'auth' }), 1);
  t.equal(valueOf(text, 'quorumkv_gossip_suspicions_total'), 1);
  t.equal(valueOf(text, 'quorumkv_gossip_refutations_total'), 1);
  t.equal(valueOf(text, 'quorumkv_gossip_deaths_total'), 1);
  t.equal(valueOf(text, 'quorumkv_hints_stored_total'), 3);
  t.equal(valueOf(text, 'quorumkv_hints_delivered_total'), 2);
  t.equal(valueOf(text, 'quorumkv_hints_dropped_total'), 1);
  t.equal(valueOf(text, 'quorumkv_hints_refused_total', { reason: 'count_bound' }), 4);
  t.equal(valueOf(text, 'quorumkv_hints_refused_total', { reason: 'storage_error' }), 1);
  t.equal(valueOf(text, 'quorumkv_antientropy_exchanges_total', { result: 'repaired' }), 1);
  t.equal(valueOf(text, 'quorumkv_antientropy_keys_repaired_total'), 10);
  t.equal(valueOf(text, 'quorumkv_antientropy_bytes_repaired_total'), 1000);
  t.equal(valueOf(text, 'quorumkv_tombstones_purged_total'), 4);
  t.equal(valueOf(text, 'quorumkv_purges_refused_total', { reason: 'within_grace' }), 2);
  t.equal(valueOf(text, 'quorumkv_stream_keys_total', { direction: 'in' }), 5);
  t.equal(valueOf(text, 'quorumkv_stream_bytes_total', { direction: 'in' }), 500);
  t.equal(valueOf(text, 'quorumkv_members'), undefined, 'no source, no samples');

  let pending: Record<string, number> = { a: 3, b: 1 };
  m.setMembersSource(() => ({ alive: 2, dead: 1 }));
  m.setHintsSource(() => pending);
  m.setHintBytesSource(() => ({ a: 300 }));
  m.setRebuildSource(() => 42);
  m.setStreamSource(() => ({ remainingKeys: 7, etaSeconds: 1.5 }));
  text = await registry.metrics();
  t.equal(valueOf(text, 'quorumkv_members', { status: 'alive' }), 2);
  t.equal(valueOf(text, 'quorumkv_members', { status: 'dead' }), 1);
  t.equal(valueOf(text, 'quorumkv_hints_pending', { target: 'a' }), 3);
  t.equal(valueOf(text, 'quorumkv_hints_pending_bytes', { target: 'a' }), 300);
  t.equal(valueOf(text, 'quorumkv_antientropy_rebuild_remaining_keys'), 42);
  t.equal(valueOf(text, 'quorumkv_stream_remaining_keys'), 7);
  t.equal(valueOf(text, 'quorumkv_stream_eta_seconds'), 1.5);
  pending = { b: 2 };
  text = await registry.metrics();
  t.equal(valueOf(text, 'quorumkv_hints_pending', { target: 'a' }), undefined, 'a delivered target disappears');
  t.equal(valueOf(text, 'quorumkv_hints_pending', { target: 'b' }), 2);
});

t.test('label values stay bounded', async (t) => {
  const registry = new Registry();
  const m = new ClusterMetrics(registry);
  for (let i = 0; i < 100; i++) m.gossipDropped(`reason-${i}`);
  m.gossipMessage('sent', 'x'.repeat(100), 1);
  const many: Record<string, number> = {};
  for (let i = 0; i < 1100; i++) many[`n${i}`] = 1;
  m.setHintsSource(() => many);
  const text = await registry.metrics();
  t.equal(valueOf(text, 'quorumkv_gossip_dropped_total', { reason: 'other' }), 36);
  t.equal(valueOf(text, 'quorumkv_hints_pending', { target: 'other' }), 76);
});
