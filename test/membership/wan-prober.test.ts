import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { SeededRng } from '../../src/core/rng.js';
import { Awareness } from '../../src/membership/awareness.js';
import { Prober, type ProbeHost } from '../../src/membership/prober.js';
import { DEFAULT_TUNING } from '../../src/membership/swim-options.js';

// The prober against a scripted host: local members l1, l2 answer every ping; remote members r1, r2 (another DC)
// answer never, or after a set delay.

interface Script {
  readonly remoteAckMs: number | null;
}

function harness(script: Script) {
  const clock = new ManualClock(0);
  const awareness = new Awareness(DEFAULT_TUNING.awarenessMax);
  const pings: Array<{ target: string; at: number }> = [];
  const pingReqs: Array<{ via: string; target: string; at: number }> = [];
  const failed: string[] = [];
  let nonce = 0;
  const remote = new Set(['r1', 'r2']);
  const host: ProbeHost = {
    probeCandidates: () => ['l1', 'l2', 'r1', 'r2'],
    isProbeCandidate: () => true,
    helpers: (target) => (remote.has(target) ? ['r2', 'r1'].filter((id) => id !== target) : ['l2']),
    isRemote: (id) => remote.has(id),
    randomDead: () => undefined,
    ping: (target, onAck) => {
      pings.push({ target, at: clock.monotonic() });
      const ms = remote.has(target) ? script.remoteAckMs : 1;
      if (ms !== null) clock.setTimeout(onAck, ms);
      return ++nonce;
    },
    pingReq: (via, target) => pingReqs.push({ via, target, at: clock.monotonic() }),
    nudge: () => undefined,
    forget: () => undefined,
    probeSucceeded: () => undefined,
    probeFailed: (target) => failed.push(target),
  };
  const prober = new Prober(host, clock, new SeededRng(3), DEFAULT_TUNING, awareness);
  return { clock, awareness, pings, pingReqs, failed, prober };
}

async function advance(clock: ManualClock, ms: number): Promise<void> {
  for (let i = 0; i < ms; i += 10) clock.advance(10);
}

t.test('remote members answering in 400 ms (beyond the 500 ms LAN timeout with the period): never failed', async (t) => {
  const h = harness({ remoteAckMs: 400 });
  h.prober.start();
  await advance(h.clock, 30_000);
  h.prober.stop();
  t.same(h.failed, [], 'no probe failed');
  t.same(h.pingReqs, [], 'no indirect probe needed');
  t.equal(h.awareness.score, 0);
});

t.test('a remote DC that answers nothing: its members fail after the WAN window, one probe at a time, local health untouched', async (t) => {
  const h = harness({ remoteAckMs: null });
  h.prober.start();
  await advance(h.clock, 30_000);
  h.prober.stop();
  t.ok(h.failed.length > 0 && h.failed.every((id) => id.startsWith('r')), `only remote members fail (${h.failed.join(',')})`);
  t.equal(h.awareness.score, 0, 'the failures leave local health alone');
  const remotePings = h.pings.filter((p) => p.target.startsWith('r'));
  const localPings = h.pings.filter((p) => p.target.startsWith('l'));
  t.ok(remotePings.length < localPings.length / 2, `fewer remote probes: ${remotePings.length} against ${localPings.length} local`);
  // One WAN probe at a time: each starts at least the WAN window (2 x 1500 ms) after the one before.
  for (let i = 1; i < remotePings.length; i++) t.ok(remotePings[i]!.at - remotePings[i - 1]!.at >= 3000, `remote probe ${i} waited for the one before`);
  // Their indirect probes wait the WAN timeout and ask the other remote member (the target's DC).
  for (const r of h.pingReqs) {
    t.equal(r.via, r.target === 'r1' ? 'r2' : 'r1', 'helper from the target\'s DC');
    const ping = remotePings.filter((p) => p.target === r.target && p.at <= r.at).at(-1)!;
    t.equal(r.at - ping.at, DEFAULT_TUNING.wanProbeTimeoutMs, 'after the WAN probe timeout');
  }
});
