import { countHeldLocally, nodeStatus, repairNumber } from './local-copies.js';

/**
 * Watches a replica being repaired: every pollMs, how many of a sample of
 * the keys it should hold it holds in its own store (QLOCAL), and every
 * node's anti-entropy counters (QKV.STATUS repair). Once the sample is
 * complete it checks every key, and records when the replica held them all.
 */
export interface RepairPoint {
  /** Milliseconds since the watch started. */
  readonly atMs: number;
  /** Keys of the sample held by the target. */
  readonly sampleHeld: number;
  /** keysRepaired, exchanges of each node, in port order. */
  readonly keysRepaired: readonly number[];
  readonly exchanges: readonly number[];
}

export interface RepairSummary {
  readonly keys: number;
  readonly sampleSize: number;
  /** When the target held every key (ms after the watch started), null if it did not by the end. */
  readonly completeMs: number | null;
  /** Keys the target held at the last full check. */
  readonly heldAtEnd: number;
  /** Keys a second into the target, from the start to completion (or to the end). */
  readonly effectiveRate: number;
  /** The fastest growth of the sample over any window of about one second, scaled to all keys. */
  readonly peakRate: number;
  /** keysRepaired counted by all nodes together (a key pulled by one node and pushed by another counts twice). */
  readonly keysRepairedTotal: number;
  readonly exchangesTotal: number;
  readonly points: readonly RepairPoint[];
}

export interface RepairWatchOptions {
  readonly ports: readonly number[];
  readonly targetPort: number;
  readonly keys: readonly string[];
  readonly sampleSize?: number;
  readonly pollMs?: number;
}

export class RepairWatch {
  private readonly sample: string[];
  private readonly points: RepairPoint[] = [];
  private readonly baseRepaired: number[] = [];
  private readonly baseExchanges: number[] = [];
  private completeMs: number | null = null;
  private heldAtEnd = 0;
  private startedAt = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly opts: RepairWatchOptions) {
    const size = Math.min(opts.keys.length, opts.sampleSize ?? 1000);
    const step = opts.keys.length / size;
    this.sample = Array.from({ length: size }, (_, i) => opts.keys[Math.floor(i * step)]!);
  }

  /** Reads the counters' starting values and starts polling. */
  async start(): Promise<void> {
    const docs = await Promise.all(this.opts.ports.map(nodeStatus));
    for (const d of docs) {
      this.baseRepaired.push(repairNumber(d, 'keysRepaired'));
      this.baseExchanges.push(repairNumber(d, 'exchanges'));
    }
    this.startedAt = Date.now();
    this.loop = this.run();
  }

  get complete(): boolean {
    return this.completeMs !== null;
  }

  /** Resolves once the target holds every key, or after timeoutMs (false). */
  async waitComplete(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.complete && Date.now() < deadline && !this.stopped) await sleep(100);
    return this.complete;
  }

  async stop(): Promise<RepairSummary> {
    this.stopped = true;
    await this.loop;
    if (this.completeMs === null) this.heldAtEnd = await countHeldLocally(this.opts.targetPort, this.opts.keys);
    return this.summary();
  }

  private async run(): Promise<void> {
    const pollMs = this.opts.pollMs ?? 500;
    while (!this.stopped) {
      const began = Date.now();
      try {
        await this.pollOnce();
      } catch {
        // A node busy past the status timeout: try again at the next poll.
      }
      if (this.complete) return;
      await sleep(Math.max(0, pollMs - (Date.now() - began)));
    }
  }

  private async pollOnce(): Promise<void> {
    const [docs, sampleHeld] = await Promise.all([Promise.all(this.opts.ports.map(nodeStatus)), countHeldLocally(this.opts.targetPort, this.sample)]);
    const atMs = Date.now() - this.startedAt;
    this.points.push({
      atMs,
      sampleHeld,
      keysRepaired: docs.map((d, i) => repairNumber(d, 'keysRepaired') - (this.baseRepaired[i] ?? 0)),
      exchanges: docs.map((d, i) => repairNumber(d, 'exchanges') - (this.baseExchanges[i] ?? 0)),
    });
    if (sampleHeld < this.sample.length) return;
    this.heldAtEnd = await countHeldLocally(this.opts.targetPort, this.opts.keys);
    if (this.heldAtEnd === this.opts.keys.length) this.completeMs = Date.now() - this.startedAt;
  }

  private summary(): RepairSummary {
    const keys = this.opts.keys.length;
    const last = this.points.at(-1);
    const elapsedS = (this.completeMs ?? last?.atMs ?? 0) / 1000;
    const scale = keys / Math.max(1, this.sample.length);
    let peak = 0;
    for (let i = 0, j = 0; i < this.points.length; i++) {
      // The earliest point at least a second before point i.
      while (j + 1 < i && this.points[i]!.atMs - this.points[j + 1]!.atMs >= 1000) j++;
      const a = this.points[j]!;
      const b = this.points[i]!;
      if (b.atMs - a.atMs >= 900) peak = Math.max(peak, ((b.sampleHeld - a.sampleHeld) * scale * 1000) / (b.atMs - a.atMs));
    }
    return {
      keys,
      sampleSize: this.sample.length,
      completeMs: this.completeMs,
      heldAtEnd: this.completeMs !== null ? keys : this.heldAtEnd,
      effectiveRate: elapsedS > 0 ? (this.completeMs !== null ? keys : this.heldAtEnd) / elapsedS : 0,
      peakRate: peak,
      keysRepairedTotal: last ? last.keysRepaired.reduce((a, b) => a + b, 0) : 0,
      exchangesTotal: last ? last.exchanges.reduce((a, b) => a + b, 0) : 0,
      points: this.points,
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
