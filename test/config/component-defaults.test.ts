import t from 'tap';
import { ANTI_ENTROPY_DEFAULTS } from '../../src/antientropy/anti-entropy.js';
import { findOption } from '../../src/config/options.js';
import { DEFAULT_TUNING } from '../../src/membership/swim-options.js';
import { DEFAULT_BLOCK_CACHE_BYTES, DEFAULT_WRITE_BUFFER_BYTES } from '../../src/storage/rocksdb-engine.js';
import { memoryPlan } from '../../src/config/memory-budget.js';
import { DEFAULT_CLEANUP_GRACE_MS, DEFAULT_CLEANUP_INTERVAL_MS } from '../../src/handoff/range-cleanup.js';

// Some modules keep their own defaults for callers that pass none (tests, the
// simulation), most because they may not import src/config; a node passes its
// options. Both must be the same values, or a test would run with settings no
// node has.

function optionDefault(name: string): unknown {
  const option = findOption(name);
  if (!option) throw new Error(`no option ${name}`);
  return option.default;
}

t.test('anti-entropy runs with the --ae-* and --tombstone-grace-seconds defaults', async (t) => {
  t.same(ANTI_ENTROPY_DEFAULTS, {
    intervalMs: optionDefault('ae-interval-ms'),
    fullPassMs: optionDefault('ae-full-pass-ms'),
    maxKeysPerSec: optionDefault('ae-max-keys-per-sec'),
    maxBytesPerSec: optionDefault('ae-max-bytes-per-sec'),
    graceMs: (optionDefault('tombstone-grace-seconds') as number) * 1000,
  });
});

t.test('range cleanup runs with the --range-cleanup-* defaults', async (t) => {
  t.equal(DEFAULT_CLEANUP_GRACE_MS, (optionDefault('range-cleanup-grace-seconds') as number) * 1000);
  t.equal(DEFAULT_CLEANUP_INTERVAL_MS, (optionDefault('range-cleanup-interval-seconds') as number) * 1000);
});

t.test('SWIM runs with the --gossip-* defaults', async (t) => {
  t.equal(DEFAULT_TUNING.protocolPeriodMs, optionDefault('gossip-interval-ms'));
  t.equal(DEFAULT_TUNING.probeTimeoutMs, optionDefault('gossip-probe-timeout-ms'));
  t.equal(DEFAULT_TUNING.wanProbeTimeoutMs, optionDefault('gossip-wan-probe-timeout-ms'));
  t.equal(DEFAULT_TUNING.suspicionMult, optionDefault('gossip-suspicion-mult'));
  t.equal(DEFAULT_TUNING.pushPullIntervalMs, optionDefault('gossip-push-pull-ms'));
});

t.test('a RocksDB engine opened without sizes gets the default --maxmemory split', async (t) => {
  const plan = memoryPlan({ maxmemory: optionDefault('maxmemory') as number, cacheMb: null, rocksdbCacheMb: null, maxmemoryClients: 0 });
  t.equal(DEFAULT_BLOCK_CACHE_BYTES, plan.blockCache);
  t.equal(DEFAULT_WRITE_BUFFER_BYTES, plan.writeBuffer);
});
