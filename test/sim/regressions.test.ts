import t from 'tap';
import { KNOWN_BUGS } from './known-bugs.js';
import { describeFailure } from './report.js';
import { runSeed } from './simulate.js';

/**
 * Seeds that found product bugs, shrunk to their shortest failing run. Each
 * must pass once its bug is fixed; until then it is a todo with the reason.
 */
const dotReuse = KNOWN_BUGS.find((b) => b.name === 'dot reuse after a crash')!;
const dotReuseAfterCollection = KNOWN_BUGS.find((b) => b.name === 'dot reuse after tombstone collection')!;
const hintOnly = KNOWN_BUGS.find((b) => b.name === 'hint-only write lost')!;

t.test('seed 431: a restarted node does not reissue a dot', async (t) => {
  // n1 coordinates u12 of k2 as n1:1 and sends it to n3, then crashes before its own batch lands;
  // restarted, it coordinates p29 of k2 and issues n1:1 again.
  const r = await runSeed(431, { ops: 29 });
  t.equal(r.failure, null, describeFailure(r, { ops: 29 }), { todo: dotReuse.reason });
  t.equal(r.failure?.invariant, 'dot-unique', 'the known bug is still what fails');
});

t.test('seed 19 (cluster profile): a key recreated after its tombstones were collected gets fresh dots', async (t) => {
  // n0 coordinates the delete d16 of k4 as n0:1; the tombstone is collected on n0, n1 and n3 (grace 250 ms);
  // n0 coordinates the update u52 of k4 and, the stored clock being gone, issues n0:1 again.
  const opts = { profile: 'cluster' as const, ops: 52 };
  const r = await runSeed(19, opts);
  t.equal(r.failure, null, describeFailure(r, opts), { todo: dotReuseAfterCollection.reason });
  t.match(r.failure?.message, /after tombstones of the key were collected/, 'the known bug is still what fails');
});

t.test('seed 459 (cluster profile): an acknowledged write is not held only by hints that expire', async (t) => {
  // A long partition cuts n0 and n4 (home replicas of k5 with n3) off; n3's disk fails the put of p44 (n3:1);
  // stand-ins store hints for n0 and n4, which make W=2; the hints pass the grace before the partition ends and are dropped.
  const opts = { profile: 'cluster' as const, ops: 46 };
  const r = await runSeed(459, opts);
  t.equal(r.failure, null, describeFailure(r, opts), { todo: hintOnly.reason });
  t.match(r.failure?.message, /held only as hints/, 'the known bug is still what fails');
});
