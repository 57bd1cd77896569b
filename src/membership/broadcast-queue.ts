/**
 * Gossip waiting to be piggybacked on pings and acks. Each update is about
 * one member, and a newer update about a member replaces the older one
 * (only the latest news is worth sending). Updates go out least-sent first,
 * then newest first, each until it was sent `limit()` times: about
 * lambda * log10(n + 1), enough for epidemic spread to reach everyone with
 * high probability.
 */
interface Item {
  readonly key: string;
  readonly payload: Buffer;
  readonly order: number;
  sent: number;
}

export class BroadcastQueue {
  private readonly items = new Map<string, Item>();
  private counter = 0;

  constructor(private readonly limit: () => number) {}

  get size(): number {
    return this.items.size;
  }

  /** Queues an encoded update about member `key`, replacing any older one. */
  add(key: string, payload: Buffer): void {
    this.items.set(key, { key, payload, order: ++this.counter, sent: 0 });
  }

  /**
   * Takes updates whose encoded sizes plus `overhead` each fit in `budget`
   * bytes, counting each as sent once; drops those sent often enough.
   */
  take(budget: number, overhead: number): Buffer[] {
    if (this.items.size === 0) return [];
    const order = [...this.items.values()].sort((a, b) => a.sent - b.sent || b.order - a.order);
    const limit = this.limit();
    const out: Buffer[] = [];
    let left = budget;
    for (const item of order) {
      const cost = item.payload.length + overhead;
      if (cost > left) continue;
      left -= cost;
      out.push(item.payload);
      item.sent++;
      if (item.sent >= limit) this.items.delete(item.key);
    }
    return out;
  }
}

/** Retransmissions per update for a cluster of n members: lambda * ceil(log10(n + 1)). */
export function retransmitLimit(lambda: number, n: number): number {
  return lambda * Math.max(1, Math.ceil(Math.log10(n + 1)));
}
