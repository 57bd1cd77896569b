import t from 'tap';
import { DcLagWindow } from '../../src/coordinator/dc-lag.js';
import { hintsByRemoteDc } from '../../src/server/cluster-view.js';
import { formatDcs } from '../../src/server/status-cli.js';
import { Ring } from '../../src/ring/ring.js';

t.test('the lag window keeps the last 512 samples per DC and answers p50 and p99', async (t) => {
  const w = new DcLagWindow();
  t.same(w.summary(), []);
  for (let i = 1; i <= 100; i++) w.observe('dc2', i);
  w.observe('dc3', 7);
  t.same(w.summary(), [
    { dc: 'dc2', p50Ms: 51, p99Ms: 100, samples: 100 },
    { dc: 'dc3', p50Ms: 7, p99Ms: 7, samples: 1 },
  ]);
  for (let i = 0; i < 600; i++) w.observe('dc3', 1000);
  t.same(w.summary()[1], { dc: 'dc3', p50Ms: 1000, p99Ms: 1000, samples: 512 }, 'the oldest samples roll off');
});

t.test('hints are summed per remote DC of their target', async (t) => {
  const ring = Ring.build([
    { id: 'a', rack: 'r', dc: 'dc1', vnodes: 4, state: 'normal' },
    { id: 'b', rack: 'r', dc: 'dc2', vnodes: 4, state: 'normal' },
    { id: 'c', rack: 'r', dc: 'dc2', vnodes: 4, state: 'normal' },
    { id: 'd', rack: 'r', dc: 'dc1', vnodes: 4, state: 'normal' },
  ]);
  t.same(
    hintsByRemoteDc(ring, 'a', { b: { pending: 3, bytes: 300 }, c: { pending: 4 }, d: { pending: 9, bytes: 900 }, gone: { pending: 1 }, odd: null }),
    { dc2: { pending: 7, bytes: 300 } },
    'own DC and unknown targets left out; a target without bytes adds none',
  );
});

t.test('status lines per DC', async (t) => {
  t.same(formatDcs(undefined), []);
  t.same(
    formatDcs([
      { dc: 'dc1', local: true, members: 3, alive: 3, hintsPending: 0 },
      { dc: 'dc2', local: false, members: 3, alive: 2, hintsPending: 5, hintsPendingBytes: 4812, lag: { p50Ms: 61.2, p99Ms: 75, samples: 512 } },
      { dc: 'dc3', local: false, members: 1, alive: 1, hintsPending: 0 },
    ]),
    [
      'dc dc1 (this node): 3 of 3 alive',
      'dc dc2: 2 of 3 alive; lag p50 61.2 ms, p99 75 ms (512 writes); 5 hints pending (4.7 KB)',
      'dc dc3: 1 of 1 alive; no writes sent yet; 0 hints pending',
    ],
  );
});
