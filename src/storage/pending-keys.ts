interface Waiter {
  /** Wakes once the write with this sequence number has settled. */
  readonly seq: number;
  readonly wake: () => void;
}

/**
 * Writes submitted to a store and not yet settled, per key, so a read can
 * wait for exactly the writes submitted before it (and not for a stream of
 * later ones, which would starve it). Writes of one key settle in sequence
 * order: the group commit is first in, first out.
 */
export class PendingKeys {
  private readonly latest = new Map<string, { count: number; seq: number }>();
  private readonly waiters = new Map<string, Waiter[]>();

  has(id: string): boolean {
    return this.latest.has(id);
  }

  add(id: string, seq: number): void {
    const p = this.latest.get(id);
    if (p) {
      p.count++;
      p.seq = seq;
    } else {
      this.latest.set(id, { count: 1, seq });
    }
  }

  /** The write `seq` of id has landed or failed. */
  settle(id: string, seq: number): void {
    const p = this.latest.get(id);
    if (!p) return;
    if (--p.count === 0) this.latest.delete(id);
    const waiting = this.waiters.get(id);
    if (!waiting) return;
    const stay = waiting.filter((w) => w.seq > seq);
    if (stay.length > 0) this.waiters.set(id, stay);
    else this.waiters.delete(id);
    for (const w of waiting) if (w.seq <= seq) w.wake();
  }

  /** Resolves once every write of id submitted so far has settled; null when none is pending. */
  wait(id: string): Promise<void> | null {
    const p = this.latest.get(id);
    if (!p) return null;
    return new Promise<void>((wake) => {
      const list = this.waiters.get(id);
      const w = { seq: p.seq, wake };
      if (list) list.push(w);
      else this.waiters.set(id, [w]);
    });
  }
}
