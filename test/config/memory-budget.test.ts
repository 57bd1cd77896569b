import t from 'tap';
import { DEFAULT_MAXMEMORY, MEMTABLES, MIN_MAXMEMORY, memoryPlan } from '../../src/config/memory-budget.js';

const MiB = 1024 * 1024;
const plan = (maxmemory: number, over: Partial<{ cacheMb: number; rocksdbCacheMb: number; maxmemoryClients: number }> = {}) =>
  memoryPlan({ maxmemory, cacheMb: over.cacheMb ?? null, rocksdbCacheMb: over.rocksdbCacheMb ?? null, maxmemoryClients: over.maxmemoryClients ?? 0 });
const total = (p: ReturnType<typeof plan>): number => p.recordCache + p.blockCache + MEMTABLES * p.writeBuffer + p.clients;

t.test('the default budget is split in full: an eighth each to clients, block cache and memtables, the rest to the record cache', async (t) => {
  const p = plan(DEFAULT_MAXMEMORY);
  t.same(p, { maxmemory: 256 * MiB, recordCache: 160 * MiB, blockCache: 32 * MiB, writeBuffer: 16 * MiB, clients: 32 * MiB });
  t.equal(total(p), DEFAULT_MAXMEMORY);
});

t.test('every budget from the smallest up is split within itself', async (t) => {
  for (const m of [MIN_MAXMEMORY, 100_000_000, 1024 * MiB, 8 * 1024 * MiB, 64 * 1024 * MiB]) {
    const p = plan(m);
    t.ok(total(p) <= m, `${m}: parts add up to ${total(p)}`);
    t.ok(p.recordCache >= m / 2, 'the record cache gets the largest part');
    t.ok(p.writeBuffer <= 64 * MiB && p.writeBuffer >= MiB, 'memtables stay between 1 and 64 MiB');
  }
});

t.test('explicit sizes take their part out of the budget; the record cache gets what is left', async (t) => {
  const p = plan(256 * MiB, { rocksdbCacheMb: 64, maxmemoryClients: 16 * MiB });
  t.equal(p.blockCache, 64 * MiB);
  t.equal(p.clients, 16 * MiB);
  t.equal(p.recordCache, 256 * MiB - 64 * MiB - 16 * MiB - 32 * MiB);
  t.equal(plan(256 * MiB, { cacheMb: 0 }).recordCache, 0, '--cache-mb 0 turns the cache off');
  t.equal(plan(256 * MiB, { cacheMb: 10 }).recordCache, 10 * MiB);
  t.equal(plan(MIN_MAXMEMORY, { rocksdbCacheMb: 1024 }).recordCache, 0, 'never below zero');
});
