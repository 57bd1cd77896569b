/**
 * Gossip waiting to be piggybacked on pings and acks. Each update is about
 * one member, and a newer update about a member replaces the older one
 * (only the latest news is worth sending). Updates go out least-sent first,
 * then newest first, each until it was sent `limit()` times: about
 * lambda * log10(n + 1), enough for epidemic spread to reach everyone with
 * high probability. (A budget that also grows with the queue, so that all
 * q * n pairs of a join storm get through, was measured and left out: it
 * tripled the traffic after a storm and converged no faster than the
 * prompt pull in swim-membership.ts, which carries the bulk.)
 *
 * Updates sit in one bucket per send count, newest at the end, so a
 * datagram's worth is taken by looking at about that many updates, not by
 * sorting the queue: in a join storm every member holds an update per new
 * member. A replaced update stays in its bucket marked dead until a take
 * passes it.
 */
interface Item {
  readonly key: string;
  readonly payload: Buffer;
  sent: number;
  live: boolean;
  /** The take that last sent it, so one datagram never carries it twice. */
  takenIn: number;
}

/** Updates passed over without fitting before a take gives up on the rest. */
const MAX_MISFITS = 32;

export class BroadcastQueue {
  private readonly items = new Map<string, Item>();
  private readonly buckets: Item[][] = [[]];
  private takes = 0;

  /** `limit()`: how many times each update is sent. */
  constructor(private readonly limit: () => number) {}

  get size(): number {
    return this.items.size;
  }

  /** Queues an encoded update about member `key`, replacing any older one. */
  add(key: string, payload: Buffer): void {
    const old = this.items.get(key);
    if (old) old.live = false;
    const item: Item = { key, payload, sent: 0, live: true, takenIn: 0 };
    this.items.set(key, item);
    this.buckets[0]!.push(item);
  }

  /**
   * Takes updates whose encoded sizes plus `overhead` each fit in `budget`
   * bytes, counting each as sent once; drops those sent often enough.
   */
  take(budget: number, overhead: number): Buffer[] {
    if (this.items.size === 0) return [];
    const limit = this.limit();
    const take = ++this.takes;
    const out: Buffer[] = [];
    let left = budget;
    let misfits = 0;
    for (let level = 0; level < this.buckets.length && misfits < MAX_MISFITS && left > overhead; level++) {
      const bucket = this.buckets[level]!;
      const passed: Item[] = [];
      let i = bucket.length - 1;
      for (; i >= 0 && misfits < MAX_MISFITS && left > overhead; i--) {
        const item = bucket[i]!;
        if (!item.live) continue;
        const cost = item.payload.length + overhead;
        if (item.takenIn === take || cost > left) {
          if (item.takenIn !== take) misfits++;
          passed.push(item);
          continue;
        }
        left -= cost;
        out.push(item.payload);
        item.sent++;
        item.takenIn = take;
        if (item.sent >= limit) {
          item.live = false;
          this.items.delete(item.key);
        } else {
          (this.buckets[item.sent] ??= []).push(item);
        }
      }
      // Keep what was not looked at, then what was passed over, in their order (newest last).
      bucket.length = i + 1;
      for (let j = passed.length - 1; j >= 0; j--) bucket.push(passed[j]!);
    }
    this.trim();
    return out;
  }

  /** Drops empty buckets at the top, so a take stops where the updates end. */
  private trim(): void {
    while (this.buckets.length > 1 && this.buckets[this.buckets.length - 1]!.length === 0) this.buckets.pop();
  }
}

/** Retransmissions per update for a cluster of n members: lambda * ceil(log10(n + 1)). */
export function retransmitLimit(lambda: number, n: number): number {
  return lambda * Math.max(1, Math.ceil(Math.log10(n + 1)));
}
