import t from 'tap';
import fc from 'fast-check';
import {
  CONSISTENCY_LEVELS,
  checkLevel,
  countedReplicas,
  firstAsks,
  isLocalLevel,
  levelName,
  levelVerdict,
  neededFromDc,
  parseLevel,
  type ConsistencyLevel,
  type PlacedReplica,
} from '../../src/coordinator/consistency.js';

const runs = { numRuns: 300 };
const set = (...ids: string[]): Set<string> => new Set(ids);
// Three replicas in dc1 (a, b, c), three in dc2 (d, e, f).
const SIX: PlacedReplica[] = ['a', 'b', 'c'].map((id) => ({ id, dc: 'dc1' })).concat(['d', 'e', 'f'].map((id) => ({ id, dc: 'dc2' })));

t.test('each level waits for what it names', async (t) => {
  const v = (level: ConsistencyLevel, acked: Set<string>, failed = set()) => levelVerdict(level, SIX, 'dc1', acked, failed);
  t.equal(v('one', set('e')), 'satisfied', 'one: any DC');
  t.equal(v('local_one', set('e')), 'waiting', 'local_one: a remote ack does not count');
  t.equal(v('local_one', set('b')), 'satisfied');
  t.equal(v('local_one', set(), set('a', 'b', 'c')), 'impossible', 'the local DC all failed');
  t.equal(v('quorum', set('a', 'd', 'e')), 'waiting', '3 of 6 is no majority');
  t.equal(v('quorum', set('a', 'd', 'e', 'f')), 'satisfied');
  t.equal(v('quorum', set(), set('a', 'b', 'c')), 'impossible', '3 left cannot make 4');
  t.equal(v('local_quorum', set('a', 'b')), 'satisfied', '2 of the 3 local');
  t.equal(v('local_quorum', set('a', 'd', 'e', 'f')), 'waiting');
  t.equal(v('local_quorum', set('a'), set('b', 'c')), 'impossible');
  t.equal(v('local_quorum', set('a', 'b'), set('d', 'e', 'f')), 'satisfied', 'the remote DC down does not matter');
  t.equal(v('each_quorum', set('a', 'b', 'd')), 'waiting', 'dc2 has one of two');
  t.equal(v('each_quorum', set('a', 'b', 'd', 'e')), 'satisfied');
  t.equal(v('each_quorum', set('a', 'b'), set('d', 'e')), 'impossible');
  t.equal(v('all', set('a', 'b', 'c', 'd', 'e')), 'waiting');
  t.equal(v('all', set('a', 'b', 'c', 'd', 'e', 'f')), 'satisfied');
  t.equal(v('all', set('a'), set('f')), 'impossible');
  t.equal(levelVerdict('local_quorum', SIX, 'dc3', set('a', 'b', 'c'), set()), 'impossible', 'no replica in the local DC');
  t.equal(levelVerdict('one', [], 'dc1', set(), set()), 'impossible', 'no replica at all');
  t.equal(v('one', set('zz')), 'waiting', 'ids that are no replica are ignored');
});

t.test('names, locality and the replicas a level counts', async (t) => {
  t.equal(parseLevel('LOCAL_QUORUM'), 'local_quorum');
  t.equal(parseLevel('Each_Quorum'), 'each_quorum');
  t.equal(parseLevel('two'), undefined);
  t.equal(checkLevel('all'), 'all');
  t.throws(() => checkLevel('two'), /unknown consistency level 'two', expected one of ONE, LOCAL_ONE, QUORUM, LOCAL_QUORUM, EACH_QUORUM, ALL/);
  t.equal(levelName('local_one'), 'LOCAL_ONE');
  t.same(CONSISTENCY_LEVELS.filter(isLocalLevel), ['local_one', 'local_quorum']);
  t.same(countedReplicas('local_quorum', SIX, 'dc2').map((r) => r.id), ['d', 'e', 'f']);
  t.same(countedReplicas('quorum', SIX, 'dc2').length, 6);
});

t.test('firstAsks takes the fewest replicas, in the order given, that meet the level', async (t) => {
  const order = ['b', 'd', 'a', 'e', 'c', 'f'];
  t.same(firstAsks('one', SIX, 'dc1', order), ['b']);
  t.same(firstAsks('local_one', SIX, 'dc1', order), ['b']);
  t.same(firstAsks('local_quorum', SIX, 'dc1', order), ['b', 'a'], 'd is skipped: it does not count');
  t.same(firstAsks('quorum', SIX, 'dc1', order), ['b', 'd', 'a', 'e']);
  t.same(firstAsks('each_quorum', SIX, 'dc1', order), ['b', 'd', 'a', 'e']);
  t.same(firstAsks('all', SIX, 'dc1', order), order);
  t.equal(firstAsks('local_quorum', SIX, 'dc1', ['a', 'd', 'e']), undefined, 'one local candidate cannot make two');
  t.equal(firstAsks('local_one', SIX, 'dc3', order), undefined);
});

// Up to 7 replicas over up to 3 DCs, and disjoint acked / failed sets drawn from them.
const scenario = fc
  .array(fc.constantFrom('dc1', 'dc2', 'dc3'), { minLength: 1, maxLength: 7 })
  .chain((dcs) => {
    const replicas = dcs.map((dc, i) => ({ id: `r${i}`, dc }));
    return fc.record({
      replicas: fc.constant(replicas),
      fate: fc.array(fc.constantFrom('ack', 'fail', 'open'), { minLength: replicas.length, maxLength: replicas.length }),
      more: fc.array(fc.constantFrom('ack', 'fail', 'open'), { minLength: replicas.length, maxLength: replicas.length }),
      level: fc.constantFrom(...CONSISTENCY_LEVELS),
      localDc: fc.constantFrom('dc1', 'dc2', 'dc3'),
    });
  });

function sets(replicas: PlacedReplica[], fate: string[]): { acked: Set<string>; failed: Set<string> } {
  return {
    acked: new Set(replicas.filter((_, i) => fate[i] === 'ack').map((r) => r.id)),
    failed: new Set(replicas.filter((_, i) => fate[i] === 'fail').map((r) => r.id)),
  };
}

/** The rule written a second way: per level, the count needed among the replicas it counts, per DC for each_quorum. */
function reference(level: ConsistencyLevel, replicas: PlacedReplica[], localDc: string, acked: Set<string>, failed: Set<string>): string {
  const groups =
    level === 'each_quorum'
      ? [...new Set(replicas.map((r) => r.dc))].map((dc) => replicas.filter((r) => r.dc === dc))
      : [isLocalLevel(level) ? replicas.filter((r) => r.dc === localDc) : replicas];
  const need = (g: PlacedReplica[]): number => (level === 'one' || level === 'local_one' ? 1 : level === 'all' ? g.length : Math.floor(g.length / 2) + 1);
  if (groups.some((g) => g.length === 0)) return 'impossible';
  if (groups.every((g) => g.filter((r) => acked.has(r.id)).length >= need(g))) return 'satisfied';
  if (groups.some((g) => g.filter((r) => !failed.has(r.id)).length < need(g))) return 'impossible';
  return 'waiting';
}

t.test('the verdict matches the rule written a second way', async (t) => {
  fc.assert(
    fc.property(scenario, ({ replicas, fate, level, localDc }) => {
      const { acked, failed } = sets(replicas, fate);
      return levelVerdict(level, replicas, localDc, acked, failed) === reference(level, replicas, localDc, acked, failed);
    }),
    runs,
  );
  t.pass('held');
});

t.test('more acks never undo satisfied, more failures never undo impossible', async (t) => {
  fc.assert(
    fc.property(scenario, ({ replicas, fate, more, level, localDc }) => {
      const now = sets(replicas, fate);
      // Later: open replicas answer or fail as `more` says; settled ones stay settled.
      const later = sets(
        replicas,
        fate.map((f, i) => (f === 'open' ? more[i]! : f)),
      );
      const before = levelVerdict(level, replicas, localDc, now.acked, now.failed);
      const after = levelVerdict(level, replicas, localDc, later.acked, later.failed);
      if (before === 'satisfied' && after !== 'satisfied') return false;
      if (before === 'impossible' && after !== 'impossible') return false;
      // Once every replica answered one way or the other, the rule has decided.
      const done = levelVerdict(level, replicas, localDc, later.acked, new Set(replicas.map((r) => r.id).filter((id) => !later.acked.has(id))));
      return done !== 'waiting';
    }),
    runs,
  );
  t.pass('held');
});

t.test('levels are ordered: all meets quorum meets one, each_quorum meets quorum and local_quorum', async (t) => {
  fc.assert(
    fc.property(scenario, ({ replicas, fate, localDc }) => {
      const { acked } = sets(replicas, fate);
      const ok = (level: ConsistencyLevel): boolean => levelVerdict(level, replicas, localDc, acked, new Set()) === 'satisfied';
      const hasLocal = replicas.some((r) => r.dc === localDc);
      if (ok('all') && !ok('quorum')) return false;
      if (ok('quorum') && !ok('one')) return false;
      if (ok('each_quorum') && !ok('quorum')) return false;
      if (ok('each_quorum') && hasLocal && !ok('local_quorum')) return false;
      if (ok('local_quorum') && !ok('local_one')) return false;
      return true;
    }),
    runs,
  );
  t.pass('held');
});

t.test('firstAsks: its replicas meet the level when they all answer, and none of them is spare', async (t) => {
  fc.assert(
    fc.property(scenario, ({ replicas, level, localDc }) => {
      const order = replicas.map((r) => r.id).reverse();
      const asks = firstAsks(level, replicas, localDc, order);
      const none = new Set<string>();
      const all = levelVerdict(level, replicas, localDc, new Set(order), none);
      if (asks === undefined) return all === 'impossible';
      if (levelVerdict(level, replicas, localDc, new Set(asks), none) !== 'satisfied') return false;
      return asks.every((id) => levelVerdict(level, replicas, localDc, new Set(asks.filter((x) => x !== id)), none) !== 'satisfied');
    }),
    runs,
  );
  t.pass('held');
});

t.test('neededFromDc: what a forwarder of a remote DC may answer after, when the DC alone decides it', async (t) => {
  const from = (cl: ConsistencyLevel) => ({ cl, dc: 'dc1' });
  t.equal(neededFromDc(from('each_quorum'), 'dc2', 3), 2, 'EACH_QUORUM: a majority of the DC');
  t.equal(neededFromDc(from('each_quorum'), 'dc2', 4), 3);
  t.equal(neededFromDc(from('local_quorum'), 'dc1', 3), 2, 'LOCAL_QUORUM in its own DC: a majority');
  t.equal(neededFromDc(from('local_one'), 'dc1', 3), 1);
  for (const cl of ['local_quorum', 'local_one'] as const) t.equal(neededFromDc(from(cl), 'dc2', 3), undefined, `${cl} does not count dc2: every outcome`);
  for (const cl of ['one', 'quorum', 'all'] as const) t.equal(neededFromDc(from(cl), 'dc2', 3), undefined, `${cl} is counted across DCs`);
});
