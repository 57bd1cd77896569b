import t, { type Test } from 'tap';
import { SeededRng } from '../../src/core/rng.js';
import type { SwimTuning } from '../../src/membership/swim-options.js';
import type { NetworkEvent } from '../../src/transport/memory-network.js';
import { SimCluster } from './helpers.js';

// Two DCs of three members with 60-150 ms one way between them (a WAN), 1-5 ms inside each. Members of the other DC
// are probed with the WAN timeouts (gossip-wan-probe-timeout-ms), one at a time, and helped by members of their own
// DC; a member of this node's DC is helped by members of this DC, so a cut between the DCs suspects nobody inside.
const DC1 = ['a1', 'a2', 'a3'];
const DC2 = ['b1', 'b2', 'b3'];
const ALL = [...DC1, ...DC2];
const dcOf = (id: string): string => (DC1.includes(id) ? 'dc1' : 'dc2');

async function twoDcs(t: Test, seed: number, tuning: Partial<SwimTuning> = {}, onEvent?: (e: NetworkEvent) => void): Promise<SimCluster> {
  const c = new SimCluster(seed, undefined, onEvent);
  t.teardown(() => c.stopAll());
  const wan = new SeededRng(seed * 31);
  c.net.setLinkDelay((from, to) => (dcOf(from) === dcOf(to) ? 0 : 60 + wan.int(91)));
  await c.start(ALL[0]!, { dc: dcOf(ALL[0]!), tuning });
  for (const id of ALL.slice(1)) await c.start(id, { dc: dcOf(id), tuning, seeds: [c.address(ALL[0]!)] });
  const ms = await c.until(() => ALL.every((a) => ALL.every((b) => c.status(a, b) === 'alive')), 60_000);
  t.not(ms, -1, 'both DCs formed one cluster');
  return c;
}

function suspicions(c: SimCluster, by: readonly string[], of: readonly string[]): number {
  let n = 0;
  for (const id of by) for (const subject of of) n += c.nodes.get(id)!.counters.get(`suspected:${subject}`) ?? 0;
  return n;
}

function resetCounters(c: SimCluster): void {
  for (const node of c.nodes.values()) node.counters.clear();
}

// The defaults, and a LAN-tuned cluster whose period (200 ms) is shorter than a WAN round trip: without WAN probes
// it would suspect the other DC's members every few periods.
const TUNINGS: Array<[string, Partial<SwimTuning>]> = [
  ['default timeouts', {}],
  ['a 200 ms period and 50 ms probe timeout', { protocolPeriodMs: 200, probeTimeoutMs: 50 }],
];
for (const [name, tuning] of TUNINGS) {
  t.test(`60-150 ms between DCs, ${name}: no false suspicion in 20 s`, async (t) => {
    const c = await twoDcs(t, 5 + name.length, tuning);
    resetCounters(c);
    await c.run(20_000);
    t.equal(suspicions(c, ALL, ALL), 0, 'no member suspected another');
    t.ok(ALL.every((a) => ALL.every((b) => c.status(a, b) === 'alive')), 'every member alive everywhere');
  });
}

t.test('with the DCs cut apart, no member suspects one of its own DC; the other DC is suspected and dies', async (t) => {
  const c = await twoDcs(t, 11);
  resetCounters(c);
  c.net.partition(DC1, DC2);
  await c.run(30_000);
  t.equal(suspicions(c, DC1, DC1), 0, 'dc1 suspects nobody in dc1');
  t.equal(suspicions(c, DC2, DC2), 0, 'dc2 suspects nobody in dc2');
  t.ok(suspicions(c, DC1, DC2) > 0, 'dc1 suspects dc2');
  t.ok(DC1.every((a) => DC2.every((b) => c.status(a, b) === 'dead')), 'and declares it dead');
  t.ok(DC1.every((a) => DC1.every((b) => c.status(a, b) === 'alive')), 'dc1 stays alive to itself');
  t.ok(DC2.every((a) => DC2.every((b) => c.status(a, b) === 'alive')), 'dc2 stays alive to itself');
  c.net.heal();
  const ms = await c.until(() => ALL.every((a) => ALL.every((b) => c.status(a, b) === 'alive')), 60_000);
  t.not(ms, -1, `healed: every member alive everywhere again after ${ms} ms`);
});

t.test('members of the other DC get fewer datagrams than local ones: one WAN probe at a time', async (t) => {
  // Datagrams each member sends to each other member: its pings, and its acks to their pings (no news, no gossip).
  const sent = new Map<string, number>();
  let counting = false;
  const c = await twoDcs(t, 23, {}, (e) => {
    if (counting && e.kind === 'datagram' && e.event === 'send') sent.set(`${e.from}>${e.to}`, (sent.get(`${e.from}>${e.to}`) ?? 0) + 1);
  });
  counting = true;
  await c.run(60_000);
  let local = 0;
  let wan = 0;
  for (const from of ALL) {
    for (const to of ALL) {
      if (from === to) continue;
      if (dcOf(from) === dcOf(to)) local += sent.get(`${from}>${to}`) ?? 0;
      else wan += sent.get(`${from}>${to}`) ?? 0;
    }
  }
  // 6 members: 12 ordered pairs inside the DCs, 18 across them.
  const perLocal = local / 12;
  const perWan = wan / 18;
  t.comment(`60 s: ${perLocal.toFixed(1)} datagrams per pair inside a DC, ${perWan.toFixed(1)} per pair across DCs`);
  t.ok(perWan > 0, 'the other DC is still probed');
  t.ok(perWan < 0.75 * perLocal, 'members of the other DC get fewer probes');
});
