/**
 * The simulation runner.
 *
 *   npm run sim -- --seed 1234 --verbose     one seed, its history printed
 *   npm run sim -- --seeds 500 --seed 1      seeds 1..500, a summary
 *   npm run sim -- --seed 1234 --shrink      the fewest operations that still fail
 *
 * Options: --profile cluster|basic (default cluster: the server's assembly
 * of a node, with SWIM, hinted handoff, anti-entropy, range streaming and
 * ring changes; basic: a perfect failure detector and nothing else),
 * --scenario wipe|walTail|failedPurge|skew|counters|sets (one destructive fault kind
 * alone, or the counter or the set and hash workload, scenarios.ts), --ops N (operations per seed),
 * --counter-ops N (counter increments per seed, beside the operations), --collection-ops N
 * (SADD, SREM and HINCRBY per seed, beside them), --network (with
 * --verbose: every message too), --tail N (print only the last N history
 * lines). A failing seed lists all its violations (up to 20).
 * Exits 1 if any seed breaks an invariant.
 */
import { parseArgs } from 'node:util';
import { addToSummary, describeFailure, emptySummary, formatSummary } from './report.js';
import { runSeed, type SimOptions } from './simulate.js';
import { SCENARIOS, type ScenarioName } from './scenarios.js';
import { shrinkOps } from './shrink.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    seeds: { type: 'string' },
    profile: { type: 'string', default: 'cluster' },
    scenario: { type: 'string' },
    ops: { type: 'string' },
    'counter-ops': { type: 'string' },
    'collection-ops': { type: 'string' },
    verbose: { type: 'boolean', default: false },
    network: { type: 'boolean', default: false },
    tail: { type: 'string' },
    shrink: { type: 'boolean', default: false },
  },
});

const start = Number(values.seed);
const count = values.seeds === undefined ? 1 : Number(values.seeds);
const profile = values.profile;
if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || count < 1 || (profile !== 'cluster' && profile !== 'basic')) {
  console.error('usage: npm run sim -- [--seed S] [--seeds N] [--profile cluster|basic] [--scenario NAME] [--ops N] [--verbose [--network] [--tail N]] [--shrink]');
  process.exit(2);
}
const scenario = values.scenario as ScenarioName | undefined;
if (scenario !== undefined && !(scenario in SCENARIOS)) {
  console.error(`unknown scenario ${scenario}: one of ${Object.keys(SCENARIOS).join(', ')}`);
  process.exit(2);
}
const options: Partial<SimOptions> = scenario ? { ...SCENARIOS[scenario] } : { profile };
if (values.ops !== undefined) options.ops = Number(values.ops);
if (values['counter-ops'] !== undefined) options.counterOps = Number(values['counter-ops']);
if (values['collection-ops'] !== undefined) options.collectionOps = Number(values['collection-ops']);

const summary = emptySummary();
const started = performance.now();
for (let seed = start; seed < start + count; seed++) {
  const result = await runSeed(seed, { ...options, keepHistory: values.verbose, verboseNetwork: values.network });
  addToSummary(summary, result);
  if (values.verbose) {
    console.log(values.tail === undefined ? result.history : result.history.split('\n').slice(-Number(values.tail)).join('\n'));
    console.log(`history hash ${result.historyHash}`);
  }
  if (result.failure) {
    console.log(describeFailure(result, options));
    if (values.shrink) {
      const ops = await shrinkOps(seed, options);
      console.log(`  shrunk: fails with ${ops} operations: npm run sim -- --seed ${seed} --ops ${ops} --verbose`);
    }
  } else if (count === 1) {
    console.log(`seed ${seed}: ok (${result.ops} ops, ${result.acked} acked, ${result.faults} faults, max siblings ${result.maxSiblings})`);
  }
}
summary.wallMs = performance.now() - started;
console.log(formatSummary(summary));
process.exit(summary.failed > 0 ? 1 : 0);
