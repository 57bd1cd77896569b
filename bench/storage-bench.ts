/**
 * The record store on RocksDB, in process: put throughput with concurrent
 * writers (group commit, sync off and on) and get throughput from the record
 * cache against reads that go to RocksDB.
 *
 *   node --import tsx bench/storage-bench.ts [--puts 200000] [--value-bytes 1024] [--writers 50] [--gets 200000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RealClock } from '../src/core/clock.js';
import { openRecordStore, type RecordStore } from '../src/storage/record-store.js';
import { RocksDbEngine } from '../src/storage/rocksdb-engine.js';
import type { VersionedObject } from '../src/versioning/types.js';

const { values: opts } = parseArgs({
  options: {
    puts: { type: 'string', default: '200000' },
    'value-bytes': { type: 'string', default: '1024' },
    writers: { type: 'string', default: '50' },
    gets: { type: 'string', default: '200000' },
    'hot-keys': { type: 'string', default: '10000' },
  },
});
const puts = Number(opts.puts);
const valueBytes = Number(opts['value-bytes']);
const writers = Number(opts.writers);
const gets = Number(opts.gets);
const hotKeys = Number(opts['hot-keys']);
for (const [name, n] of Object.entries({ puts, valueBytes, writers, gets, hotKeys })) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
}

const MiB = 1024 * 1024;
const clock = new RealClock();
const value = Buffer.alloc(valueBytes, 0x61);

function record(i: number): VersionedObject {
  return { clock: { bench: i + 1 }, siblings: [{ dot: { node: 'bench', counter: i + 1 }, value, ts: i, tombstone: false, expireAt: 0 }] };
}

const keyOf = (i: number): Buffer => Buffer.from(`bench:key:${i}`);

interface Measured {
  readonly opsPerSec: number;
  readonly ms: number;
  /** Process CPU (all threads, user + system) per operation: steadier than ops/s on a busy machine. */
  readonly cpuMicrosPerOp: number;
}

/** Runs `total` operations from `concurrency` loops, each awaiting its own. */
async function drive(total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<Measured> {
  let next = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) await op(i);
    }),
  );
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { opsPerSec: (total / ms) * 1000, ms, cpuMicrosPerOp: (used.user + used.system) / total };
}

async function openStore(dir: string, sync: boolean, cacheBytes: number): Promise<RecordStore> {
  const engine = new RocksDbEngine({ location: dir });
  await engine.open();
  return openRecordStore(engine, { sync, cacheBytes, clock });
}

interface Row {
  readonly what: string;
  readonly run: Measured;
  readonly note: string;
}

async function putRun(sync: boolean): Promise<{ row: Row; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'qkv-bench-'));
  const store = await openStore(dir, sync, 256 * MiB);
  const run = await drive(puts, writers, (i) => store.put(keyOf(i), record(i)));
  const s = store.stats();
  await store.close();
  const note = `${s.batches} batches, ${(s.batchedWrites / s.batches).toFixed(1)} writes/batch, ${(run.ms / 1000).toFixed(1)} s`;
  return { row: { what: `put ${valueBytes} B, ${writers} writers, sync ${sync}`, run, note }, dir };
}

async function getRuns(dir: string): Promise<Row[]> {
  const hot = Math.min(hotKeys, puts);
  const cached = await openStore(dir, false, 256 * MiB);
  await drive(hot, writers, (i) => cached.get(keyOf(i))); // warm the cache
  const hits = cached.stats().cacheHits;
  const hit = await drive(gets, writers, (i) => cached.get(keyOf(i % hot)));
  const hitRate = (cached.stats().cacheHits - hits) / gets;
  await cached.close();

  const uncached = await openStore(dir, false, 0);
  const miss = await drive(gets, writers, (i) => uncached.get(keyOf((i * 7919) % puts)));
  const missCount = uncached.stats().cacheMisses;
  await uncached.close();
  return [
    { what: `get, record cache hit (${hot} hot keys)`, run: hit, note: `hit rate ${(hitRate * 100).toFixed(1)}%` },
    { what: `get, record cache off (RocksDB read)`, run: miss, note: `${missCount} engine reads over ${puts} keys` },
  ];
}

function print(rows: readonly Row[]): void {
  const table = [
    ['operation', 'ops/s', 'CPU us/op', 'notes'],
    ...rows.map((r) => [r.what, Math.round(r.run.opsPerSec).toLocaleString('en-US'), r.run.cpuMicrosPerOp.toFixed(1), r.note]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  for (const row of table) console.log(row.map((cell, c) => (c === 1 || c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  '));
}

console.log(`${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at start`);

const dirs: string[] = [];
try {
  const rows: Row[] = [];
  const fast = await putRun(false);
  dirs.push(fast.dir);
  rows.push(fast.row);
  const durable = await putRun(true);
  dirs.push(durable.dir);
  rows.push(durable.row);
  rows.push(...(await getRuns(fast.dir)));
  print(rows);
} finally {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
}
