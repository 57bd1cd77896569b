import type { Test } from 'tap';
import { knownBug } from './known-bugs.js';
import { addToSummary, describeFailure, emptySummary, formatSummary } from './report.js';
import { runSeed } from './simulate.js';

/**
 * Runs seeds [first, first + count) of the default workload (5 nodes, N=3,
 * R=W=2, crashes, partitions, loss, duplication, disk faults) and fails on
 * any seed that breaks an invariant, printing the command that replays it.
 * Seeds failing with a known, unfixed bug's signature are todos.
 */
export async function sweep(t: Test, first: number, count: number): Promise<void> {
  const summary = emptySummary();
  const started = performance.now();
  for (let seed = first; seed < first + count; seed++) {
    const r = await runSeed(seed);
    addToSummary(summary, r);
    if (!r.failure) continue;
    const bug = knownBug(r);
    if (bug) t.fail(describeFailure(r), { todo: `${bug.name}: ${bug.reason}` });
    else t.fail(describeFailure(r));
  }
  summary.wallMs = performance.now() - started;
  t.comment(formatSummary(summary));
  // The workload must exercise the cluster: many operations answered, faults injected, siblings made.
  t.ok(summary.acked > summary.ops / 3, 'a good share of operations was acknowledged');
  t.ok(summary.faults > count * 5, 'faults were injected');
  t.ok(summary.unknown > 0, 'crashes cut operations short');
  t.ok(summary.maxSiblings >= 3, 'concurrent writes made siblings');
}
