import t from 'tap';
import { QkvError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { dcCountsOption, formatDcCounts, parseDcCounts, resolveConsistency } from '../../src/config/dc-replicas-option.js';
import { findOption } from '../../src/config/options.js';

const noFile = (path: string): string => {
  throw new Error(`no file ${path}`);
};
const load = (argv: string[], env: Record<string, string | undefined> = {}, read = noFile) => loadConfig(argv, env, read);

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof QkvError) return e.message;
    throw e;
  }
  throw new Error('expected a QkvError');
}

t.test('--replicas-per-dc parses dc:count lists and prints them back', async (t) => {
  t.same(parseDcCounts('dc1:3,dc2:3'), [{ dc: 'dc1', count: 3 }, { dc: 'dc2', count: 3 }]);
  t.same(parseDcCounts(' eu-west.1:2 , us_east:1 '), [{ dc: 'eu-west.1', count: 2 }, { dc: 'us_east', count: 1 }]);
  t.equal(parseDcCounts(''), null);
  t.equal(formatDcCounts(parseDcCounts('b:1,a:2')), 'b:1,a:2', 'the order given is kept (it orders the replicas)');
  t.equal(formatDcCounts(null), '');
  t.throws(() => parseDcCounts('dc1'), /bad entry 'dc1'/);
  t.throws(() => parseDcCounts('dc1:0'), /bad entry 'dc1:0'/);
  t.throws(() => parseDcCounts('dc1:65'), /bad entry 'dc1:65'/);
  t.throws(() => parseDcCounts('dc1:2,dc1:1'), /DC 'dc1' twice/);
  t.throws(() => parseDcCounts('d c:1'), /bad entry/);
  const opt = dcCountsOption({ name: 'x', runtime: 'read-only', doc: '' });
  t.same(opt.fromJson({ dc1: 3, dc2: 2 }), [{ dc: 'dc1', count: 3 }, { dc: 'dc2', count: 2 }], 'a JSON object');
  t.same(opt.fromJson('dc1:1'), [{ dc: 'dc1', count: 1 }]);
  t.equal(opt.fromJson(null), null);
  t.throws(() => opt.fromJson(5), /expected a comma-separated list of dc:count/);
  t.throws(() => opt.fromJson(['dc1:1']), /expected/);
  t.equal(findOption('replicas-per-dc')?.type, 'dc-count-list');
});

t.test('N follows from the per-DC counts unless given, and must then agree', async (t) => {
  const c = load(['--replicas-per-dc', 'dc1:3,dc2:3']);
  t.same(c.replicasPerDc, [{ dc: 'dc1', count: 3 }, { dc: 'dc2', count: 3 }]);
  t.equal(c.n, 6, 'n is the sum');
  t.equal(load(['--replicas-per-dc', 'dc1:2,dc2:1', '--n', '3']).n, 3, 'an n that agrees is fine');
  t.equal(load([]).replicasPerDc, null, 'unset by default');
  t.equal(load([]).n, 3, 'and n keeps its default');
  t.equal(load([], { QKV_REPLICAS_PER_DC: 'a:2' }).n, 2, 'from the environment');
  t.match(messageOf(() => load(['--replicas-per-dc', 'dc1:3,dc2:3', '--n', '3'])), /--n: must be the sum of replicas-per-dc 'dc1:3,dc2:3' \(6\) or be left out, got 3/);
  t.match(messageOf(() => load(['--replicas-per-dc', 'a:40,b:40'])), /--replicas-per-dc: the counts add up to 80, more than 64/);
  t.match(messageOf(() => load(['--replicas-per-dc', 'dc1:3,dc2:x'])), /--replicas-per-dc: expected .*bad entry 'dc2:x'/);
  t.match(messageOf(() => load(['--replicas-per-dc', 'dc1:1', '--r', '1', '--w', '2'])), /--w: expected an integer from 1 to n \(1\), got 2/);
});

t.test('the default levels: auto is LOCAL_QUORUM with more than one DC, the numbers otherwise', async (t) => {
  const two = parseDcCounts('dc1:3,dc2:3');
  t.equal(resolveConsistency('auto', two), 'local_quorum');
  t.equal(resolveConsistency('auto', parseDcCounts('dc1:3')), null, 'one DC');
  t.equal(resolveConsistency('auto', null), null, 'no DCs');
  t.equal(resolveConsistency('numeric', two), null);
  t.equal(resolveConsistency('each_quorum', null), 'each_quorum');
  const c = load(['--replicas-per-dc', 'dc1:1,dc2:1', '--r', '1', '--w', '1', '--read-consistency', 'LOCAL_ONE']);
  t.same([c.readConsistency, c.writeConsistency], ['local_one', 'auto']);
  t.match(messageOf(() => load(['--write-consistency', 'two'])), /--write-consistency: expected one of auto, numeric, one, local_one, quorum, local_quorum, each_quorum, all/);
});
