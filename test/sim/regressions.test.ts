import t from 'tap';
import { KNOWN_BUGS } from './known-bugs.js';
import { describeFailure } from './report.js';
import { runSeed } from './simulate.js';

/**
 * Seeds that found product bugs, shrunk to their shortest failing run. Each
 * must pass once its bug is fixed; until then it is a todo with the reason.
 */
const dotReuse = KNOWN_BUGS.find((b) => b.name === 'dot reuse after a crash')!;

t.test('seed 431: a restarted node does not reissue a dot', async (t) => {
  // n1 coordinates u12 of k2 as n1:1 and sends it to n3, then crashes before its own batch lands;
  // restarted, it coordinates p29 of k2 and issues n1:1 again.
  const r = await runSeed(431, { ops: 29 });
  t.equal(r.failure, null, describeFailure(r, { ops: 29 }), { todo: dotReuse.reason });
  t.equal(r.failure?.invariant, 'dot-unique', 'the known bug is still what fails');
});
