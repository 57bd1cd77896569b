import t from 'tap';
import { FaultCluster } from '../support/fault-cluster.js';
import { runCampaign, scheduleNamed } from './campaigns.js';
import { assertNothingLost } from './campaign-checks.js';

// Short process-fault campaigns on one --debug cluster: crashes, pauses and a
// wiped node. No acknowledged write, increment or SADD may be lost; replicas agree afterwards.

const cluster = await FaultCluster.start({ t, nodes: 3 });

for (const name of ['kill-restart', 'pause', 'wipe-rebuild']) {
  t.test(name, async (t) => {
    const rows = await runCampaign(cluster, scheduleNamed(name), { faultMs: 4000, quietMs: 1000, seed: 5 });
    assertNothingLost(t, rows);
  });
}
