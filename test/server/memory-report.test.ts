import t from 'tap';
import { Registry } from 'prom-client';
import { memoryPlan } from '../../src/config/memory-budget.js';
import { registerMemoryMetrics } from '../../src/metrics/memory-metrics.js';
import { MemoryGovernor } from '../../src/server/memory-governor.js';
import { human, memoryInfo, memoryReport, type MemorySources } from '../../src/server/memory-report.js';

const MiB = 1024 * 1024;
const budget = (maxmemory: number) => memoryPlan({ maxmemory, cacheMb: null, rocksdbCacheMb: null, maxmemoryClients: 0 });

function sources(over: Partial<MemorySources> = {}): MemorySources {
  return {
    plan: () => budget(256 * MiB),
    opened: budget(256 * MiB),
    recordCache: () => ({ bytes: 10 * MiB, limit: 160 * MiB, entries: 1234 }),
    rocks: () => ({ memtables: 3 * MiB, blockCache: 2 * MiB, tableReaders: MiB }),
    clients: () => 4096,
    process: () => ({ rss: 300 * MiB, heapUsed: 40 * MiB, external: 20 * MiB }),
    forcedCollections: () => 2,
    ...over,
  };
}

t.test('INFO memory: Redis fields first, then what each part holds and may hold', async (t) => {
  const fields = new Map(memoryInfo(memoryReport(sources())));
  t.same([...fields.keys()].slice(0, 7), ['used_memory', 'used_memory_human', 'used_memory_rss', 'used_memory_rss_human', 'maxmemory', 'maxmemory_human', 'maxmemory_policy']);
  t.equal(fields.get('used_memory'), 66 * MiB, 'heap, external and RocksDB');
  t.equal(fields.get('used_memory_human'), '66.00M');
  t.equal(fields.get('used_memory_rss'), 300 * MiB);
  t.equal(fields.get('maxmemory'), 256 * MiB);
  t.equal(fields.get('maxmemory_human'), '256.00M');
  t.equal(fields.get('maxmemory_policy'), 'noeviction');
  t.equal(fields.get('record_cache_bytes'), 10 * MiB);
  t.equal(fields.get('record_cache_max_bytes'), 160 * MiB);
  t.equal(fields.get('record_cache_entries'), 1234);
  t.equal(fields.get('rocksdb_block_cache_max_bytes'), 32 * MiB);
  t.equal(fields.get('rocksdb_memtables_max_bytes'), 32 * MiB, 'two memtables');
  t.equal(fields.get('rocksdb_table_readers_bytes'), MiB);
  t.equal(fields.get('clients_memory_bytes'), 4096);
  t.equal(fields.get('maxmemory_clients'), 32 * MiB);
  t.equal(fields.get('rocksdb_resize_needs_restart'), 0);
  t.equal(fields.get('forced_gcs'), 2);
});

t.test('a budget changed at run time: RocksDB parts keep their opened sizes and say a restart is needed', async (t) => {
  const r = memoryReport(sources({ plan: () => budget(1024 * MiB) }));
  t.equal(r.maxmemory, 1024 * MiB);
  t.equal(r.parts.clients.limit, 128 * MiB, 'the client bound follows at once');
  t.equal(r.parts.rocksdb_block_cache.limit, 32 * MiB);
  t.ok(r.restartPending);
  t.ok(memoryReport(sources({ process: undefined })).rss > 0, "the process's own figures by default");
});

t.test('human sizes as Redis writes them', async (t) => {
  t.equal(human(512), '512B');
  t.equal(human(1536), '1.50K');
  t.equal(human(2 * 1024 * MiB), '2.00G');
});

t.test('Prometheus gauges read the same report at scrape time', async (t) => {
  const registry = new Registry();
  registerMemoryMetrics(registry, () => memoryReport(sources()));
  const text = await registry.metrics();
  t.match(text, /^quorumkv_maxmemory_bytes 268435456$/m);
  t.match(text, /^quorumkv_memory_used_bytes 69206016$/m);
  t.match(text, /^quorumkv_memory_part_bytes\{part="record_cache"\} 10485760$/m);
  t.match(text, /^quorumkv_memory_part_bytes\{part="rocksdb_memtables"\} 3145728$/m);
  t.match(text, /^quorumkv_memory_part_limit_bytes\{part="clients"\} 33554432$/m);
  const empty = new Registry();
  registerMemoryMetrics(empty, () => undefined);
  t.match(await empty.metrics(), /^quorumkv_maxmemory_bytes 0$/m, 'no source yet: the gauges read 0');
});

t.test('the governor collects only over the limit, at most once per interval, backing off when it does not help', async (t) => {
  let now = 0;
  let rss = 100;
  let collected = 0;
  let afterCollect = 50;
  const g = new MemoryGovernor({ rss: () => rss, limit: () => 200, collect: () => (collected++, (rss = afterCollect)), now: () => now, minIntervalMs: 1000 });
  t.notOk(g.check(), 'under the limit');
  rss = 300;
  t.ok(g.check(), 'over it: collects');
  t.equal(rss, 50);
  rss = 300;
  now = 500;
  t.notOk(g.check(), 'not again within the interval');
  now = 1000;
  afterCollect = 250;
  t.ok(g.check(), 'again after it');
  now = 2500;
  t.notOk(g.check(), 'a collection that did not help doubles the wait');
  now = 3000;
  t.ok(g.check());
  t.equal(collected, 3);
  t.equal(g.forced, 3);
  now = 100_000;
  rss = 100;
  t.notOk(g.check(), 'under the limit again: the wait is back to one interval');
  rss = 300;
  now = 101_000;
  t.ok(g.check());
});

t.test("INFO memory shows the Lua state's bytes and the cached scripts, as Redis does", async (t) => {
  const fields = new Map(memoryInfo(memoryReport(sources({ scripts: () => ({ luaBytes: 2 * MiB, cachedScripts: 100 }) }))));
  t.equal(fields.get('used_memory_lua'), 2 * MiB);
  t.equal(fields.get('used_memory_lua_human'), '2.00M');
  t.equal(fields.get('number_of_cached_scripts'), 100);
  t.equal(new Map(memoryInfo(memoryReport(sources()))).get('number_of_cached_scripts'), 0, 'no scripting yet: none cached');
});
