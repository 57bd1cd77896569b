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
  /** Up to k members that may probe `target` on this node's behalf (alive ones), members of target's DC first, at random. */
  helpers(target: string, k: number): string[];
  /** Whether the member is in another DC than this node (probed as a WAN member); absent: none is. */
  isRemote?(id: string): boolean;
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
  /** A member of another DC: its own timeouts, and its outcome says nothing about this node's health. */
  readonly wan: boolean;
  readonly startedAt: number;
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
 *
 * Members of another DC are probed as a WAN pool is in Serf and Consul: one
 * such probe at a time, beside the local ones (a remote member whose turn
 * comes while one is under way waits for the end of the pass), with a
 * direct-ping wait of wanProbeTimeoutMs or four measured WAN round trips,
 * whichever is longer, and twice that before the probe fails. Their outcome
 * leaves local health alone: a cut-off DC says nothing about this node.
 */
export class Prober {
  private order: string[] = [];
  private probe: Probe | null = null;
  private wanProbe: Probe | null = null;
  /** Smoothed round trip of acknowledged WAN probes (ms); 0 before the first. */
  private wanRttMs = 0;
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
    this.wanProbe?.indirect?.cancel();
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
    this.conclude(this.probe);
    this.probe = null;
    const wan = this.wanProbe;
    if (wan && this.clock.monotonic() >= wan.endsAt) {
      this.conclude(wan);
      this.wanProbe = null;
    }
    this.begin();
    const dead = this.host.randomDead();
    if (dead !== undefined) this.host.nudge(dead);
    this.schedule();
  }

  /** The direct-ping wait for a member of another DC: the option, or four measured round trips when longer. */
  wanProbeTimeoutMs(): number {
    return this.awareness.scale(Math.max(this.tuning.wanProbeTimeoutMs, 4 * this.wanRttMs));
  }

  private conclude(p: Probe | null): void {
    if (!p || p.acked) return;
    p.indirect?.cancel();
    this.host.forget(p.nonce);
    if (!p.wan) this.awareness.apply(1);
    // A WAN probe ends at the first round after its end: up to a period later than planned is on time.
    const late = this.clock.monotonic() - p.endsAt - (p.wan ? this.periodMs() : 0);
    if (late <= this.tuning.protocolPeriodMs) this.host.probeFailed(p.target);
  }

  private begin(): void {
    let target = this.nextTarget(this.wanProbe !== null);
    if (target !== undefined && this.isRemote(target)) {
      this.wanProbe = this.startProbe(target, true);
      target = this.nextTarget(true);
    }
    if (target !== undefined) this.probe = this.startProbe(target, false);
  }

  private isRemote(id: string): boolean {
    return this.host.isRemote?.(id) ?? false;
  }

  private startProbe(target: string, wan: boolean): Probe {
    const now = this.clock.monotonic();
    const wait = wan ? this.wanProbeTimeoutMs() : this.awareness.scale(this.tuning.probeTimeoutMs);
    const endsAt = now + (wan ? 2 * wait : this.periodMs());
    const probe: Probe = { target, wan, startedAt: now, nonce: 0, endsAt, acked: false, indirect: null };
    const nonce = this.host.ping(target, () => {
      if (probe.acked) return;
      probe.acked = true;
      probe.indirect?.cancel();
      this.host.forget(probe.nonce);
      if (wan) {
        const rtt = this.clock.monotonic() - probe.startedAt;
        this.wanRttMs = this.wanRttMs === 0 ? rtt : 0.8 * this.wanRttMs + 0.2 * rtt;
      } else this.awareness.apply(-1);
      this.host.probeSucceeded(target);
    });
    probe.nonce = nonce;
    probe.indirect = this.clock.setTimeout(() => {
      probe.indirect = null;
      if (probe.acked || this.stopped) return;
      const helpers = this.host.helpers(target, this.tuning.indirectProbes);
      for (const via of helpers) this.host.pingReq(via, target, probe.nonce);
    }, wait);
    return probe;
  }

  /** A member new to this node joins the current pass at a random place, as in SWIM, instead of waiting for the next pass. */
  added(id: string): void {
    this.order.push(id);
    const j = this.rng.int(this.order.length);
    const last = this.order.length - 1;
    [this.order[j], this.order[last]] = [this.order[last]!, this.order[j]!];
  }

  /**
   * The next member of the pass to probe. With skipRemote, members of another
   * DC are passed over and put back to be probed at the end of the pass.
   */
  private nextTarget(skipRemote: boolean): string | undefined {
    const skipped: string[] = [];
    let reshuffled = false;
    let found: string | undefined;
    for (;;) {
      if (this.order.length === 0) {
        // One copy per pass over the members: O(1) per period, amortized.
        if (reshuffled) break;
        reshuffled = true;
        this.order = shuffle(
          this.host.probeCandidates().filter((id) => !skipped.includes(id)),
          this.rng,
        );
        if (this.order.length === 0) break;
      }
      const next = this.order.pop()!;
      if (!this.host.isProbeCandidate(next)) continue;
      if (skipRemote && this.isRemote(next)) {
        skipped.push(next);
        continue;
      }
      found = next;
      break;
    }
    this.order.unshift(...skipped);
    return found;
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
