import t from 'tap';
import { FaultCluster } from '../support/fault-cluster.js';
import { runCampaign, scheduleNamed } from './campaigns.js';
import { assertNothingLost } from './campaign-checks.js';

// Short network-fault campaigns on one --debug cluster (keys are prefixed per
// schedule), every workload at once: no acknowledged write, increment or SADD may be lost, and replicas must agree after heal.

const cluster = await FaultCluster.start({ t, nodes: 3 });

for (const name of ['partition-majority-minority', 'partition-oneway', 'clock-skew-60s']) {
  t.test(name, async (t) => {
    const rows = await runCampaign(cluster, scheduleNamed(name), { faultMs: 4000, quietMs: 1000, seed: 3 });
    assertNothingLost(t, rows);
  });
}
