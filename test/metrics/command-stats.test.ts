import t from 'tap';
import { CommandStats, OTHER_COMMAND, commandStatLines } from '../../src/metrics/command-stats.js';
import { LATENCY_BUCKETS } from '../../src/metrics/names.js';

t.test('calls, microseconds, failures and rejections per command, any case', async (t) => {
  const s = new CommandStats(8);
  s.record('get', true, 0.00001);
  s.record('GET', true, 0.00003);
  s.record('set', false, 7);
  s.reject('set');
  const byName = new Map([...s.all()].map((e) => [e.name, e]));
  t.equal(byName.get('get')!.calls, 2);
  t.equal(Math.round(byName.get('get')!.usec), 40);
  t.equal(byName.get('get')!.buckets[0], 2, 'both under the first bucket');
  t.equal(byName.get('set')!.buckets[LATENCY_BUCKETS.length], 1, 'above the largest bucket');
  t.same(commandStatLines(s), [
    ['cmdstat_get', 'calls=2,usec=40,usec_per_call=20.00,rejected_calls=0,failed_calls=0'],
    ['cmdstat_set', 'calls=1,usec=7000000,usec_per_call=7000000.00,rejected_calls=1,failed_calls=1'],
  ]);
});

t.test('a command only ever rejected shows with no calls', async (t) => {
  const s = new CommandStats(8);
  s.reject('flushall');
  t.same(commandStatLines(s), [['cmdstat_flushall', 'calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0']]);
});

t.test('names are bounded: past the cap they count as other; long names are cut', async (t) => {
  const s = new CommandStats(3);
  for (const n of ['a', 'b', 'c', 'd', 'e']) s.record(n, true, 0.001);
  s.record('a', true, 0.001);
  s.record('x'.repeat(100), true, 0.001);
  const byName = new Map([...s.all()].map((e) => [e.name, e.calls]));
  t.same([...byName.keys()], ['a', 'b', 'c', OTHER_COMMAND]);
  t.equal(byName.get(OTHER_COMMAND), 3);
  t.equal(byName.get('a'), 2, 'known names keep counting');
  const wide = new CommandStats(8);
  wide.record('y'.repeat(100), true, 0);
  t.equal([...wide.all()][0]!.name, 'y'.repeat(64));
});

t.test('resetInfo: INFO counts from zero while the totals keep counting', async (t) => {
  const s = new CommandStats(8);
  s.record('get', true, 0.001);
  s.resetInfo();
  t.same(commandStatLines(s), [], 'nothing since the reset');
  s.record('get', false, 0.002);
  t.same(commandStatLines(s), [['cmdstat_get', 'calls=1,usec=2000,usec_per_call=2000.00,rejected_calls=0,failed_calls=1']]);
  t.equal([...s.all()][0]!.calls, 2, 'the totals Prometheus reads never go down');
});
