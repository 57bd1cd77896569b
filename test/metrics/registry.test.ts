import t from 'tap';
import { register as globalRegistry } from 'prom-client';
import { LATENCY_BUCKETS, METRICS, METRIC_PREFIX } from '../../src/metrics/names.js';
import { MAX_COMMAND_LABELS, NodeMetrics, OTHER_LABEL } from '../../src/metrics/registry.js';

/** The sample lines of a rendering (no # HELP / # TYPE). */
function samples(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

/** The value of the one sample named name whose labels include every given pair. */
function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = samples(text).find((l) => (l.startsWith(name + '{') || l.startsWith(name + ' ')) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

t.test('every named metric is rendered with its help text and the node label', async (t) => {
  const m = new NodeMetrics({ nodeId: 'node-a', processMetrics: false });
  const text = await m.render();
  for (const d of Object.values(METRICS)) {
    t.ok(d.name.startsWith(METRIC_PREFIX), `${d.name} has the prefix`);
    t.ok(text.includes(`# HELP ${d.name} ${d.help}`), `${d.name} has help`);
  }
  t.ok(text.includes('# TYPE quorumkv_commands_total counter'));
  t.ok(text.includes('# TYPE quorumkv_command_duration_seconds histogram'));
  t.ok(text.includes('# TYPE quorumkv_connected_clients gauge'));
  t.equal(valueOf(text, 'quorumkv_connections_accepted_total', { node: 'node-a' }), 0);
  t.equal(m.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  t.equal(m.nodeId, 'node-a');
  t.notOk(text.includes('process_cpu'), 'no process metrics when turned off');
});

t.test('process metrics are on by default, with the prefix', async (t) => {
  const m = new NodeMetrics({ nodeId: 'p' });
  const text = await m.render();
  t.ok(valueOf(text, 'quorumkv_process_cpu_user_seconds_total', { node: 'p' }) !== undefined);
  t.ok(text.includes('quorumkv_nodejs_heap_size_used_bytes'));
  t.notOk(/^process_cpu/m.test(text), 'nothing without the prefix');
});

t.test('commands: counts and latency by command and result', async (t) => {
  const m = new NodeMetrics({ nodeId: 'n', processMetrics: false });
  m.observeCommand('GET', 'ok', 0.0002);
  m.observeCommand('get', 'ok', 0.002);
  m.observeCommand('set', 'error', 7);
  const text = await m.render();
  t.equal(valueOf(text, 'quorumkv_commands_total', { command: 'get', result: 'ok' }), 2);
  t.equal(valueOf(text, 'quorumkv_commands_total', { command: 'set', result: 'error' }), 1);
  t.equal(valueOf(text, 'quorumkv_command_duration_seconds_count', { command: 'get' }), 2);
  t.equal(valueOf(text, 'quorumkv_command_duration_seconds_bucket', { command: 'get', le: '0.00025' }), 1);
  t.equal(valueOf(text, 'quorumkv_command_duration_seconds_bucket', { command: 'get', le: '0.0025' }), 2);
  t.equal(valueOf(text, 'quorumkv_command_duration_seconds_bucket', { command: 'set', le: '5' }), 0);
  t.equal(valueOf(text, 'quorumkv_command_duration_seconds_bucket', { command: 'set', le: '+Inf' }), 1);
  t.ok(text.includes('le="0.00005"'), 'the first bucket is 50us');
  t.equal(LATENCY_BUCKETS[0], 0.00005);
  t.equal(LATENCY_BUCKETS.at(-1), 5);
});

t.test('command labels stay bounded whatever clients send', async (t) => {
  const m = new NodeMetrics({ nodeId: 'n', processMetrics: false });
  for (let i = 0; i < MAX_COMMAND_LABELS + 50; i++) m.observeCommand(`cmd${i}`, 'error', 0.001);
  m.observeCommand('cmd0', 'ok', 0.001);
  m.observeCommand('x'.repeat(200), 'ok', 0.001);
  const text = await m.render();
  const names = new Set(samples(text).flatMap((l) => /^quorumkv_commands_total\{command="([^"]*)"/.exec(l)?.[1] ?? []));
  t.equal(names.size, MAX_COMMAND_LABELS + 1, 'the cap plus "other"');
  t.equal(valueOf(text, 'quorumkv_commands_total', { command: OTHER_LABEL, result: 'error' }), 50);
  t.equal(valueOf(text, 'quorumkv_commands_total', { command: OTHER_LABEL, result: 'ok' }), 1, 'a new long name past the cap');
  t.equal(valueOf(text, 'quorumkv_commands_total', { command: 'cmd0', result: 'ok' }), 1, 'known names keep counting');

  const small = new NodeMetrics({ nodeId: 'n', processMetrics: false });
  small.observeCommand('y'.repeat(200), 'ok', 0.001);
  t.ok((await small.render()).includes(`command="${'y'.repeat(64)}"`), 'long names are cut to 64 characters');
});

t.test('connections, bytes and protocol errors', async (t) => {
  const m = new NodeMetrics({ nodeId: 'n', processMetrics: false });
  m.connectionsAccepted.inc(3);
  m.connectionRejected('maxclients');
  m.connectionRejected('protected');
  m.connectionRejected('protected');
  m.bytesRead.inc(100);
  m.bytesWritten.inc(250);
  m.protocolErrors.inc();
  m.connectedClients.inc(2);
  m.connectedClients.dec();
  let text = await m.render();
  t.equal(valueOf(text, 'quorumkv_connections_accepted_total'), 3);
  t.equal(valueOf(text, 'quorumkv_connections_rejected_total', { reason: 'maxclients' }), 1);
  t.equal(valueOf(text, 'quorumkv_connections_rejected_total', { reason: 'protected' }), 2);
  t.equal(valueOf(text, 'quorumkv_client_read_bytes_total'), 100);
  t.equal(valueOf(text, 'quorumkv_client_written_bytes_total'), 250);
  t.equal(valueOf(text, 'quorumkv_protocol_errors_total'), 1);
  t.equal(valueOf(text, 'quorumkv_connected_clients'), 1, 'inc/dec without a source');
  let clients = 7;
  m.setConnectedClientsSource(() => clients);
  text = await m.render();
  t.equal(valueOf(text, 'quorumkv_connected_clients'), 7, 'read at scrape time');
  clients = 4;
  t.equal(valueOf(await m.render(), 'quorumkv_connected_clients'), 4);
});

t.test('storage: batches, errors, cache, keys source, expiry', async (t) => {
  const m = new NodeMetrics({ nodeId: 'n', processMetrics: false });
  m.observeBatch(10, 0.001);
  m.observeBatch(5, 0.02);
  m.storageWriteErrors.inc();
  m.cacheHits.inc(9);
  m.cacheMisses.inc();
  m.expiredKeys.inc(4);
  let keys = 123;
  m.setKeysSource(() => {
    if (keys < 0) throw new Error('engine closed');
    return keys;
  });
  let text = await m.render();
  t.equal(valueOf(text, 'quorumkv_storage_batches_total'), 2);
  t.equal(valueOf(text, 'quorumkv_storage_batched_writes_total'), 15);
  t.equal(valueOf(text, 'quorumkv_storage_batch_duration_seconds_count'), 2);
  t.equal(valueOf(text, 'quorumkv_storage_batch_duration_seconds_bucket', { le: '0.001' }), 1);
  t.equal(valueOf(text, 'quorumkv_storage_write_errors_total'), 1);
  t.equal(valueOf(text, 'quorumkv_cache_hits_total'), 9);
  t.equal(valueOf(text, 'quorumkv_cache_misses_total'), 1);
  t.equal(valueOf(text, 'quorumkv_expired_keys_total'), 4);
  t.equal(valueOf(text, 'quorumkv_keys'), 123);
  keys = -1;
  text = await m.render();
  t.equal(valueOf(text, 'quorumkv_keys'), 123, 'a failing source keeps the last value and the scrape works');
});

t.test('peers and quorums', async (t) => {
  const m = new NodeMetrics({ nodeId: 'n', processMetrics: false });
  m.observePeerRpc('n2', 0.003);
  m.observePeerRpc('n3', 0.5);
  m.peerError('n2', 'timeout');
  m.peerError('n2', 'timeout');
  m.peerError('n2', 'refused');
  m.peerError('n3', 'closed');
  m.peerInflightChange('n2', 1);
  m.peerInflightChange('n2', 1);
  m.peerInflightChange('n2', -1);
  m.quorumOperation('read', 'ok');
  m.quorumOperation('write', 'unavailable');
  m.readRepairs.inc(2);
  let text = await m.render();
  t.equal(valueOf(text, 'quorumkv_peer_rpc_duration_seconds_count', { peer: 'n2' }), 1);
  t.equal(valueOf(text, 'quorumkv_peer_rpc_duration_seconds_bucket', { peer: 'n3', le: '0.25' }), 0);
  t.equal(valueOf(text, 'quorumkv_peer_errors_total', { peer: 'n2', kind: 'timeout' }), 2);
  t.equal(valueOf(text, 'quorumkv_peer_errors_total', { peer: 'n2', kind: 'refused' }), 1);
  t.equal(valueOf(text, 'quorumkv_peer_inflight_requests', { peer: 'n2' }), 1);
  t.equal(valueOf(text, 'quorumkv_quorum_operations_total', { type: 'read', outcome: 'ok' }), 1);
  t.equal(valueOf(text, 'quorumkv_quorum_operations_total', { type: 'write', outcome: 'unavailable' }), 1);
  t.equal(valueOf(text, 'quorumkv_read_repairs_total'), 2);

  m.forgetPeer('n2');
  m.forgetPeer('never-seen');
  text = await m.render();
  t.notOk(text.includes('peer="n2"'), 'a departed peer leaves no series');
  t.equal(valueOf(text, 'quorumkv_peer_errors_total', { peer: 'n3', kind: 'closed' }), 1, 'other peers stay');
});

t.test('two nodes in one process keep separate registries, and the global one stays empty', async (t) => {
  const a = new NodeMetrics({ nodeId: 'a' });
  const b = new NodeMetrics({ nodeId: 'b' });
  a.observeCommand('get', 'ok', 0.001);
  a.observeCommand('get', 'ok', 0.001);
  b.observeCommand('get', 'ok', 0.001);
  const [ta, tb] = await Promise.all([a.render(), b.render()]);
  t.equal(valueOf(ta, 'quorumkv_commands_total', { command: 'get', node: 'a' }), 2);
  t.equal(valueOf(tb, 'quorumkv_commands_total', { command: 'get', node: 'b' }), 1);
  t.notOk(tb.includes('node="a"'));
  t.notOk((await globalRegistry.metrics()).includes('quorumkv_'));
});
