import type { Test } from 'tap';
import { knownBug } from './known-bugs.js';
import { addToSummary, describeFailure, emptySummary, formatSummary } from './report.js';
import { runSeed, type SimOptions } from './simulate.js';

/**
 * Runs seeds [first, first + count) of a workload (5 nodes, N=3, R=W=2,
 * crashes, partitions, loss, duplication, disk faults; with the cluster
 * profile SWIM, hinted handoff, anti-entropy, pauses, long partitions,
 * wiped disks, power losses with sync false, failed purges, skewed clocks,
 * joins, leaves and removals)
 * and fails on any seed that breaks an invariant, printing the command that
 * replays it. Seeds failing with a known, unfixed bug's signature are todos.
 */
export async function sweep(t: Test, first: number, count: number, options: Partial<SimOptions> = {}): Promise<void> {
  const summary = emptySummary();
  const started = performance.now();
  for (let seed = first; seed < first + count; seed++) {
    const r = await runSeed(seed, options);
    addToSummary(summary, r);
    if (!r.failure) continue;
    const bug = knownBug(r);
    if (bug) t.fail(describeFailure(r, options), { todo: `${bug.name}: ${bug.reason}` });
    else t.fail(describeFailure(r, options));
  }
  summary.wallMs = performance.now() - started;
  t.comment(formatSummary(summary));
  // The workload must exercise the cluster: many operations answered, faults injected, siblings made.
  t.ok(summary.acked > summary.ops / 3, 'a good share of operations was acknowledged');
  t.ok(summary.faults > count * 5, 'faults were injected');
  t.ok(summary.unknown > 0, 'crashes cut operations short');
  t.ok(summary.maxSiblings >= 3, 'concurrent writes made siblings');
  if (options.profile === 'cluster') {
    // The plug-ins must have had work: stale views, hints both ways, tombstones collected.
    const c = summary.counters;
    t.ok((c['members declared dead'] ?? 0) > count, 'SWIM declared members dead');
    t.ok((c['hints delivered'] ?? 0) > count, 'hints were delivered');
    t.ok((c['hints dropped'] ?? 0) > 0, 'hints past the grace were dropped');
    t.ok((c['tombstones collected'] ?? 0) > 0, 'tombstones were collected');
    // And the destructive faults happened: disks wiped under their ids, unsynced tails lost.
    t.ok((c['disks wiped'] ?? 0) > 0, 'disks were wiped');
    t.ok((c['unsynced batches lost'] ?? 0) > 0, 'power losses dropped unsynced batches');
    // And the ring changed under the clients: nodes joined (streaming in), left (streaming out), dead ones were removed.
    t.ok((c['joins finished'] ?? 0) > 0, 'nodes joined the ring');
    t.ok((c['leaves finished'] ?? 0) > 0, 'members left the ring');
    t.ok((c['removals finished'] ?? 0) > 0, 'dead members were removed');
  }
}
