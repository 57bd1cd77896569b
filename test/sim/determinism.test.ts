import t from 'tap';
import { replayCommand } from './report.js';
import { SCENARIOS } from './scenarios.js';
import { runSeed } from './simulate.js';

t.test('one seed gives one history, message for message', async (t) => {
  const a = await runSeed(5, { keepHistory: true, verboseNetwork: true, ops: 40 });
  const b = await runSeed(5, { keepHistory: true, verboseNetwork: true, ops: 40 });
  t.equal(a.failure, null);
  t.equal(a.historyHash, b.historyHash, 'same hash');
  t.equal(a.history, b.history, 'same history');
  t.match(a.history, /net #\d+ request n\d->n\d deliver/, 'network events are part of it');
  t.same({ ops: a.ops, acked: a.acked, simMs: a.simMs }, { ops: b.ops, acked: b.acked, simMs: b.simMs });
  const c = await runSeed(6, { ops: 40 });
  t.not(c.historyHash, a.historyHash, 'another seed, another history');
});

t.test('with every plug-in (SWIM, hints, anti-entropy), one seed still gives one history', async (t) => {
  const opts = { profile: 'cluster' as const, keepHistory: true, verboseNetwork: true, ops: 40 };
  const a = await runSeed(7, opts);
  const b = await runSeed(7, opts);
  t.equal(a.historyHash, b.historyHash, 'same hash');
  t.equal(a.history, b.history, 'same history');
  t.match(a.history, /sees n\d (suspect|dead|alive)/, 'membership events are part of it');
  t.same(a.counters, b.counters, 'same events counted');
});

t.test('with the set and hash workload, one seed still gives one history', async (t) => {
  const opts = { ...SCENARIOS.sets, keepHistory: true, ops: 30, collectionOps: 40 };
  const a = await runSeed(7, opts);
  const b = await runSeed(7, opts);
  t.equal(a.historyHash, b.historyHash, 'same hash');
  t.match(a.history, /coll c\d op \d+ (sadd|srem|hincrby) /, 'collection operations are part of it');
});

t.test('the hash does not depend on whether the history is kept', async (t) => {
  const kept = await runSeed(9, { keepHistory: true, ops: 30 });
  const hashed = await runSeed(9, { ops: 30 });
  t.equal(hashed.historyHash, kept.historyHash);
  t.equal(hashed.history, '');
});

t.test('a shorter budget replays the same prefix', async (t) => {
  const long = await runSeed(12, { keepHistory: true, ops: 40 });
  const short = await runSeed(12, { keepHistory: true, ops: 10 });
  const firstLines = (h: string) => h.split('\n').filter((l) => / op [1-5] /.test(l) && !/ op [1-5]\d/.test(l));
  t.same(firstLines(short.history).slice(0, 5), firstLines(long.history).slice(0, 5));
});

t.test('the replay command names the seed and a non-default budget', async (t) => {
  t.equal(replayCommand(1234), 'npm run sim -- --seed 1234 --profile basic --verbose');
  t.equal(replayCommand(7, { ops: 29 }), 'npm run sim -- --seed 7 --profile basic --ops 29 --verbose');
  t.equal(replayCommand(8, { profile: 'cluster' }), 'npm run sim -- --seed 8 --verbose');
  t.equal(replayCommand(9, { profile: 'cluster', collectionOps: 20 }), 'npm run sim -- --seed 9 --collection-ops 20 --verbose');
});
