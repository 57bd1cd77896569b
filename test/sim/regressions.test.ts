import t from 'tap';
import { describeFailure } from './report.js';
import { runSeed } from './simulate.js';

/**
 * Seeds that found product bugs, shrunk to their shortest failing run; each
 * passes since its fix.
 */

t.test('seed 431: a restarted node does not reissue a dot', async (t) => {
  // n1 coordinated u12 of k2 as n1:1 and sent it to n3 before its own batch landed, then crashed;
  // restarted, it coordinated p29 of k2 and issued n1:1 again. Fixed: a coordinator sends a
  // version on only once it is durable locally, and reads wait for a key's puts to be durable.
  const r = await runSeed(431, { ops: 29 });
  t.equal(r.failure, null, describeFailure(r, { ops: 29 }));
});

t.test('seed 1939: a write whose local put failed may reuse its dot; the checker allows it', async (t) => {
  // n1's disk failed p34's batch after p34 took dot n1:3: nobody saw n1:3, so a later write may take it.
  const r = await runSeed(1939);
  t.equal(r.failure, null, describeFailure(r, {}));
});
