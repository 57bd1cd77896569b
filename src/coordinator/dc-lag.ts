/**
 * The recent cross-DC replication lag as this node has seen it: for each
 * remote DC, the last SAMPLES times from the start of a write this node
 * coordinated to a replica there acknowledging it. `quorumkv status` shows
 * their p50 and p99; the histogram metric keeps the long view.
 */
const SAMPLES = 512;

export interface DcLagSummary {
  readonly dc: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly samples: number;
}

export class DcLagWindow {
  private readonly byDc = new Map<string, { readonly ms: number[]; next: number }>();

  observe(dc: string, ms: number): void {
    let w = this.byDc.get(dc);
    if (!w) this.byDc.set(dc, (w = { ms: [], next: 0 }));
    if (w.ms.length < SAMPLES) w.ms.push(ms);
    else w.ms[w.next] = ms;
    w.next = (w.next + 1) % SAMPLES;
  }

  summary(): DcLagSummary[] {
    return [...this.byDc.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([dc, w]) => {
        const sorted = [...w.ms].sort((a, b) => a - b);
        const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
        return { dc, p50Ms: at(0.5), p99Ms: at(0.99), samples: sorted.length };
      });
  }
}
