import type { Test } from 'tap';
import type { CampaignRow } from './campaigns.js';

/**
 * The rule every short campaign in `npm test` holds a three-writer run to:
 * each workload had acknowledged writes, lost none of them, its replicas
 * converged after the heal, and siblings stayed within the writers' count.
 */
export function assertNothingLost(t: Test, rows: readonly CampaignRow[]): void {
  for (const r of rows) {
    t.ok(r.acked > 0, `${r.workload}: ${r.acked} acknowledged`);
    t.equal(r.lost, 0, `${r.workload}: nothing acknowledged is lost ${JSON.stringify(r.lostExamples)}`);
    t.not(r.convergeSeconds, null, `${r.workload}: replicas converged`);
    t.ok(r.maxSiblings <= 3, `${r.workload}: siblings bounded by the 3 writers (${r.maxSiblings})`);
  }
}
