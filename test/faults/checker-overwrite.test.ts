import t from 'tap';
import { check } from './checker.js';
import type { Op, WorkloadHistory } from './workloads.js';

// The overwrite workload's check: an acknowledged write may be missing at the
// end only if a later write of its key could have seen it.

const op = (key: string, value: string, start: number, end: number, outcome: Op['outcome'] = 'ok'): Op => ({ key, value, start, end, outcome });

t.test('a write missing at the end with nothing after it is lost; one a later write may have superseded is not', async (t) => {
  const history: WorkloadHistory = {
    workload: 'overwrite',
    keys: ['a', 'b', 'c'],
    maxSiblings: 1,
    ops: [
      op('a', 'a1', 0, 10),
      op('a', 'a2', 20, 30),
      op('b', 'b1', 0, 10),
      op('c', 'c1', 0, 10),
      op('c', 'c2', 5, 8, 'failed'),
    ],
  };
  const final = new Map([
    ['a', ['a2']],
    ['b', ['b-older']],
    ['c', []],
  ]);
  const r = check(history, final);
  t.equal(r.acked, 4);
  t.equal(r.lost, 2, 'b1 and c1: a failed write supersedes nothing');
  t.match(r.lostExamples.join('\n'), /b: b1 acknowledged at 0-10 ms, no later write of the key/);
  // A write that overlapped in time may have been the one that superseded it.
  const overlapped = check({ ...history, ops: [op('a', 'a1', 0, 10), op('a', 'a0', 0, 5, 'unknown')] }, new Map([['a', ['a0']]]));
  t.equal(overlapped.lost, 0);
});
