import t from 'tap';
import { readFileSync } from 'node:fs';
import { startNode, type NodeProcess } from '../support/node-process.js';
import { PipelinedClient } from '../support/pipelined-resp.js';
import type { RespValue } from '../../src/server/resp-client.js';

// A node with a small --maxmemory takes far more data than fits: its RSS stays
// within the budget plus the fixed overhead, and every key is still readable
// (from RocksDB once the record cache has let it go).

const MiB = 1024 * 1024;
const VALUE = 6000;
/** Keys per phase: each phase writes 60 MB, about twice the 32 MB budget, in few large values to keep the run short. */
const PHASE = 10_000;
/**
 * What a node may add under load beyond its budget and its own idle size: V8's
 * young generation and GC slack, RocksDB's threads, and glibc's heap, which keeps
 * freed pages (peaks seen 150-165 MiB above idle). Bounded, not tight: the test's
 * point is that RSS stops growing with the data (check 3), not a tuned figure.
 */
const OVERHEAD_BOUND = 192 * MiB;

function rss(node: NodeProcess): number {
  const status = readFileSync(`/proc/${node.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

const value = (i: number): string => String(i % 10).repeat(VALUE - 8) + String(i).padStart(8, '0');

function infoFields(text: string): Map<string, string> {
  return new Map(
    text
      .split('\r\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)] as [string, string]),
  );
}

async function write(c: PipelinedClient, from: number, to: number): Promise<number> {
  let failed = 0;
  for (let start = from; start < to; start += 500) {
    const batch: Array<Promise<unknown>> = [];
    for (let i = start; i < Math.min(to, start + 500); i++) batch.push(c.send('SET', `k:${i}`, value(i)));
    failed += (await Promise.all(batch)).filter((r) => r !== 'OK').length;
  }
  return failed;
}

t.test('more data than --maxmemory: RSS stops growing with the data and every key reads back', async (t) => {
  const node = await startNode({ t, args: ['--maxmemory', '32mb'] });
  const c = await PipelinedClient.connect(node.port);
  t.teardown(() => c.close());
  const idle = rss(node);
  let peak = idle;
  const watch = setInterval(() => (peak = Math.max(peak, rss(node))), 100);
  t.teardown(() => clearInterval(watch));
  t.equal(await write(c, 0, PHASE), 0, 'the first 60 MB written');
  const afterFirst = rss(node);
  t.equal(await write(c, PHASE, 2 * PHASE), 0, 'another 60 MB written');
  const afterSecond = rss(node);
  t.ok(afterSecond - afterFirst < 40 * MiB, `twice the data, RSS ${(afterFirst / MiB).toFixed(0)} -> ${(afterSecond / MiB).toFixed(0)} MiB`);
  const info = infoFields(String(await c.send('INFO', 'memory')));
  t.equal(info.get('maxmemory'), String(32 * MiB));
  t.ok(Number(info.get('record_cache_bytes')) <= Number(info.get('record_cache_max_bytes')), 'the record cache within its share');
  t.equal(info.get('record_cache_max_bytes'), String(32 * MiB - 4 * MiB - 4 * MiB - 4 * MiB), 'its share of 32mb');
  t.ok(Number(info.get('rocksdb_memtables_bytes')) <= 4 * MiB + MiB, 'memtables within theirs');
  let wrong = 0;
  for (let start = 0; start < 2 * PHASE; start += 500) {
    const keys: string[] = [];
    for (let i = start; i < start + 500; i++) keys.push(`k:${i}`);
    const got = (await c.send('MGET', ...keys)) as RespValue[];
    got.forEach((v, j) => {
      if (String(v) !== value(start + j)) wrong++;
    });
  }
  t.equal(wrong, 0, `all ${2 * PHASE} keys read back`);
  peak = Math.max(peak, rss(node));
  t.ok(peak - idle < 32 * MiB + OVERHEAD_BOUND, `peak RSS ${(peak / MiB).toFixed(0)} MiB, ${(idle / MiB).toFixed(0)} MiB idle`);
});

t.test('CONFIG SET maxmemory resizes the record cache at once', async (t) => {
  const node = await startNode({ t, args: ['--maxmemory', '256mb'] });
  const c = await PipelinedClient.connect(node.port);
  t.teardown(() => c.close());
  const sets: Array<Promise<unknown>> = [];
  for (let i = 0; i < 8_000; i++) sets.push(c.send('SET', `k:${i}`, value(i)));
  await Promise.all(sets);
  const before = infoFields(String(await c.send('INFO', 'memory')));
  t.ok(Number(before.get('record_cache_bytes')) > 32 * MiB, `the cache holds ${before.get('record_cache_bytes')} bytes`);
  t.equal(await c.send('CONFIG', 'SET', 'maxmemory', '64mb'), 'OK');
  t.same(await c.send('CONFIG', 'GET', 'maxmemory'), ['maxmemory', String(64 * MiB)]);
  const after = infoFields(String(await c.send('INFO', 'memory')));
  t.equal(after.get('record_cache_max_bytes'), String(40 * MiB));
  t.ok(Number(after.get('record_cache_bytes')) <= 40 * MiB, 'shrunk to its new share');
  t.equal(after.get('maxmemory_clients'), String(8 * MiB), 'the client bound follows');
  t.equal(after.get('rocksdb_resize_needs_restart'), '1', 'RocksDB keeps its sizes until a restart');
  t.equal(after.get('rocksdb_block_cache_max_bytes'), String(32 * MiB));
  t.equal(String(await c.send('GET', 'k:7')), value(7), 'data still there');
});
