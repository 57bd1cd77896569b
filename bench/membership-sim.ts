/**
 * Membership at scale on simulated time (ManualClock, in-memory network,
 * default tuning):
 *
 *   npm run sim:membership -- --members N [--seed S] [--loss 0.05] [--periods P]
 *
 * One run: N members start at once with the first as their only seed
 * (periods until 99% of ordered pairs see each other alive); then P periods
 * at the given datagram and request loss (false deaths; messages and bytes
 * each member sends per period, push-pull included; CPU per period); then
 * 120 periods without loss, the last 60 of which measure quiet traffic;
 * then one member is isolated (periods until every other member holds it
 * dead). The msgs and bytes columns are at the given loss, the quiet ones
 * without.
 * Prints one line per run.
 */
import { parseArgs } from 'node:util';
import { SimCluster } from '../test/membership/helpers.js';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' },
    seeds: { type: 'string', default: '1' },
    loss: { type: 'string', default: '0.05' },
    periods: { type: 'string', default: '300' },
  },
});
const n = Number(values.members);
const firstSeed = Number(values.seed);
const seedCount = Number(values.seeds);
const loss = Number(values.loss);
const periods = Number(values.periods);
if (!(n >= 3 && seedCount >= 1 && loss >= 0 && loss < 1 && periods >= 1)) {
  console.error('usage: npm run sim:membership -- --members N [--seed S] [--seeds COUNT] [--loss 0.05] [--periods P]');
  process.exit(2);
}

const PERIOD_MS = 1000;
/** Periods of the quiet traffic window (after as many to let the loss phase's news die down). */
const QUIET_PERIODS = 60;
/** Convergence and detection give up after this many periods (printed as the limit). */
const LIMIT_PERIODS = 120;

function knownPairs(c: SimCluster, ids: readonly string[]): number {
  let known = 0;
  for (const a of ids) {
    const m = c.nodes.get(a)!.membership;
    for (const b of ids) if (a !== b && m.isReachable(b)) known++;
  }
  return known;
}

function totals(c: SimCluster, ids: readonly string[]): { msgs: number; bytes: number } {
  let msgs = 0;
  let bytes = 0;
  for (const id of ids) {
    for (const [k, v] of c.nodes.get(id)!.counters) {
      if (k === 'sent-bytes') bytes += v;
      else if (k.startsWith('sent:')) msgs += v;
    }
  }
  return { msgs, bytes };
}

async function runOne(seed: number): Promise<string> {
  const c = new SimCluster(seed);
  const ids = Array.from({ length: n }, (_, i) => `n${String(i).padStart(4, '0')}`);
  await c.start(ids[0]!);
  for (const id of ids.slice(1)) await c.start(id, { seeds: [c.address(ids[0]!)] });
  const target = 0.99 * n * (n - 1);
  let converge = 0;
  let pairs = knownPairs(c, ids);
  while (pairs < target && converge < LIMIT_PERIODS) {
    await c.run(PERIOD_MS, 10);
    converge++;
    pairs = knownPairs(c, ids);
  }
  // Every pair, not 99%: the last few are where slow gossip shows.
  let convergeAll = converge;
  while (pairs < n * (n - 1) && convergeAll < LIMIT_PERIODS) {
    await c.run(PERIOD_MS, 10);
    convergeAll++;
    pairs = knownPairs(c, ids);
  }
  let falseDeaths = 0;
  let counting = true;
  for (const id of ids) c.nodes.get(id)!.membership.onChange((ev) => counting && ev.kind === 'dead' && falseDeaths++);
  c.net.setFaults({ lossRate: loss });
  const before = totals(c, ids);
  const cpu = process.cpuUsage();
  await c.run(periods * PERIOD_MS, 10);
  const used = process.cpuUsage(cpu);
  const after = totals(c, ids);
  counting = false;
  c.net.setFaults({ lossRate: 0 });
  // Quiet traffic: no loss, nothing changing; long enough for two periodic syncs per member.
  await c.run(QUIET_PERIODS * PERIOD_MS, 10);
  const quietFrom = totals(c, ids);
  await c.run(QUIET_PERIODS * PERIOD_MS, 10);
  const quiet = totals(c, ids);
  const victim = ids[n - 1]!;
  const others = ids.filter((id) => id !== victim);
  c.net.isolate(victim);
  let detect = 0;
  while (!others.every((id) => c.status(id, victim) === 'dead') && detect < LIMIT_PERIODS) {
    await c.run(PERIOD_MS, 10);
    detect++;
  }
  await c.stopAll();
  const perMemberPeriod = (x: number): string => (x / n / periods).toFixed(2);
  return [
    `members ${n} seed ${seed}`,
    `converge-periods ${converge}`,
    `converge-all-periods ${convergeAll}`,
    `detect-periods ${detect}`,
    `false-deaths ${falseDeaths}`,
    `msgs-per-member-period ${perMemberPeriod(after.msgs - before.msgs)}`,
    `bytes-per-member-period ${Math.round((after.bytes - before.bytes) / n / periods)}`,
    `cpu-ms-per-period ${((used.user + used.system) / 1000 / periods).toFixed(1)}`,
    `quiet-msgs-per-member-period ${((quiet.msgs - quietFrom.msgs) / n / QUIET_PERIODS).toFixed(2)}`,
    `quiet-bytes-per-member-period ${Math.round((quiet.bytes - quietFrom.bytes) / n / QUIET_PERIODS)}`,
  ].join(' ');
}

for (let seed = firstSeed; seed < firstSeed + seedCount; seed++) console.log(await runOne(seed));
