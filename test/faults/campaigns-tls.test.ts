import t from 'tap';
import { FaultCluster } from '../support/fault-cluster.js';
import { makeTlsFiles } from '../support/tls-certs.js';
import { runCampaign, scheduleNamed } from './campaigns.js';
import { assertNothingLost } from './campaign-checks.js';

// The fault campaigns over a --tls-cluster yes cluster: peer TCP is mutual TLS,
// so a crash cuts TLS sessions mid-request, a restart redoes the handshakes,
// and a partition drops traffic on them. Nothing acknowledged may be lost.

const files = await makeTlsFiles(t);
const tls = { certFile: files.serverCert, keyFile: files.serverKey, caFile: files.caCert, cluster: true };
const cluster = await FaultCluster.start({ t, nodes: 3, tls, args: ['--cluster-secret', 'campaigns-over-tls'] });

for (const name of ['kill-restart', 'partition-majority-minority']) {
  t.test(`${name} over --tls-cluster`, async (t) => {
    const rows = await runCampaign(cluster, scheduleNamed(name), { faultMs: 4000, quietMs: 1000, seed: 7 });
    assertNothingLost(t, rows);
  });
}
