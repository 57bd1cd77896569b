import type { Clock, TimerHandle } from '../core/clock.js';
import type { Rng } from '../core/rng.js';
import type { Awareness } from './awareness.js';
import type { SwimTuning } from './swim-options.js';

/** What the prober needs from the membership it runs for. */
export interface ProbeHost {
  /** Members to probe in turn (alive or suspect), read once per pass over them. */
  probeCandidates(): string[];
  /** Whether id is still one to probe (it may have died or left since the pass began). */
  isProbeCandidate(id: string): boolean;
  /** Up to k members that may probe `target` on this node's behalf (alive ones), at random. */
  helpers(target: string, k: number): string[];
  /** A random dead member, which gets gossip each period so a healed partition finds its way back. */
  randomDead(): string | undefined;
  /** Sends a ping; onAck runs when its ack (direct or relayed) arrives. Returns the probe's nonce. */
  ping(target: string, onAck: () => void): number;
  /** Asks `via` to ping target and relay the ack for the probe `nonce`. */
  pingReq(via: string, target: string, nonce: number): void;
  /** Gossips to a member without waiting for an answer. */
  nudge(target: string): void;
  /** Forgets the ack handler of a probe. */
  forget(nonce: number): void;
  probeSucceeded(target: string): void;
  probeFailed(target: string): void;
}

interface Probe {
  readonly target: string;
  nonce: number;
  /** When the period of this probe ends (monotonic). */
  readonly endsAt: number;
  acked: boolean;
  indirect: TimerHandle | null;
}

/**
 * The SWIM failure detector's schedule: once per protocol period, probe the
 * next member of a shuffled round-robin order (every member is probed
 * within one pass, unlike a uniform pick). A direct ping unanswered within
 * the probe timeout is followed by ping-req through k members; a probe with
 * no ack by the end of the period fails. Period and timeout stretch with
 * local health. A period whose timer fired far too late means this node
 * stalled, not that the target failed: it only lowers local health.
 */
export class Prober {
  private order: string[] = [];
  private probe: Probe | null = null;
  private timer: TimerHandle | null = null;
  private stopped = false;

  constructor(
    private readonly host: ProbeHost,
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly tuning: SwimTuning,
    private readonly awareness: Awareness,
  ) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.probe?.indirect?.cancel();
    this.timer = null;
  }

  /** The current period, stretched by local health. */
  periodMs(): number {
    return this.awareness.scale(this.tuning.protocolPeriodMs);
  }

  private schedule(): void {
    if (this.stopped) return;
    // The round runs from a zero-delay timer: on a real event loop, acks that arrived during a stall are read first.
    this.timer = this.clock.setTimeout(() => {
      this.timer = this.clock.setTimeout(() => this.round(), 0);
    }, this.periodMs());
  }

  private round(): void {
    if (this.stopped) return;
    this.conclude();
    this.begin();
    const dead = this.host.randomDead();
    if (dead !== undefined) this.host.nudge(dead);
    this.schedule();
  }

  private conclude(): void {
    const p = this.probe;
    this.probe = null;
    if (!p || p.acked) return;
    p.indirect?.cancel();
    this.host.forget(p.nonce);
    this.awareness.apply(1);
    const late = this.clock.monotonic() - p.endsAt;
    if (late <= this.tuning.protocolPeriodMs) this.host.probeFailed(p.target);
  }

  private begin(): void {
    const target = this.nextTarget();
    if (target === undefined) return;
    const endsAt = this.clock.monotonic() + this.periodMs();
    const probe: Probe = { target, nonce: 0, endsAt, acked: false, indirect: null };
    const nonce = this.host.ping(target, () => {
      if (probe.acked) return;
      probe.acked = true;
      probe.indirect?.cancel();
      this.host.forget(probe.nonce);
      this.awareness.apply(-1);
      this.host.probeSucceeded(target);
    });
    probe.nonce = nonce;
    this.probe = probe;
    probe.indirect = this.clock.setTimeout(() => {
      probe.indirect = null;
      if (probe.acked || this.stopped) return;
      const helpers = this.host.helpers(target, this.tuning.indirectProbes);
      for (const via of helpers) this.host.pingReq(via, target, probe.nonce);
    }, this.awareness.scale(this.tuning.probeTimeoutMs));
  }

  /** A member new to this node joins the current pass at a random place, as in SWIM, instead of waiting for the next pass. */
  added(id: string): void {
    this.order.push(id);
    const j = this.rng.int(this.order.length);
    const last = this.order.length - 1;
    [this.order[j], this.order[last]] = [this.order[last]!, this.order[j]!];
  }

  private nextTarget(): string | undefined {
    let reshuffled = false;
    for (;;) {
      if (this.order.length === 0) {
        // One copy per pass over the members: O(1) per period, amortized.
        if (reshuffled) return undefined;
        reshuffled = true;
        this.order = shuffle(this.host.probeCandidates(), this.rng);
        if (this.order.length === 0) return undefined;
      }
      const next = this.order.pop()!;
      if (this.host.isProbeCandidate(next)) return next;
    }
  }
}

/** Fisher-Yates with the injected rng. */
export function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
