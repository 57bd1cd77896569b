/**
 * Keys a script holds at the node that coordinates them. While a script
 * runs on its keys here, every other write this node would coordinate on
 * them (a client's command, a write forwarded by another node, an
 * increment, the conditional write of an update) waits until the script
 * ends; the script's own writes carry its holder token and pass. A script
 * starts once the writes already under way on its keys have finished
 * (acknowledged or failed), so its reads see them. A read-modify-write that
 * read before the script and writes after it fails its version check and
 * reads again, building on the script's result instead of undoing it.
 */
export type Holder = symbol;

interface Held {
  readonly holder: Holder;
  readonly released: Promise<void>;
}

export class KeyHolds {
  private readonly held = new Map<string, Held>();
  /** Writes under way per key (past their wait, not yet finished). */
  private readonly writing = new Map<string, number>();
  /** Who waits for a key's writes under way to finish. */
  private readonly drainers = new Map<string, Array<() => void>>();

  /** Number of keys held now. */
  get size(): number {
    return this.held.size;
  }

  /**
   * Runs `fn` holding `keys`, once earlier holds on any of them have ended
   * and the writes under way on them have finished; from the moment it is
   * its turn, later writes on the keys wait. `fn` gets the token its own
   * writes pass with.
   */
  async run<T>(keys: readonly Buffer[], fn: (holder: Holder) => Promise<T>): Promise<T> {
    const ids = [...new Set(keys.map((k) => k.toString('latin1')))];
    for (;;) {
      const busy = ids.map((id) => this.held.get(id)).find((h) => h !== undefined);
      if (!busy) break;
      await busy.released;
    }
    const holder: Holder = Symbol('script');
    let release!: () => void;
    const entry: Held = { holder, released: new Promise<void>((resolve) => (release = resolve)) };
    for (const id of ids) this.held.set(id, entry);
    try {
      for (const id of ids) if (this.writing.has(id)) await new Promise<void>((resolve) => this.drainers.set(id, [...(this.drainers.get(id) ?? []), resolve]));
      return await fn(holder);
    } finally {
      for (const id of ids) if (this.held.get(id) === entry) this.held.delete(id);
      release();
    }
  }

  /**
   * What a write on key waits for before it may start: undefined when it
   * may start now (nothing holds the key, or `holder` does); else a promise
   * that settles when the hold in its way ends (ask again then).
   */
  blocked(key: Buffer, holder?: Holder): Promise<void> | undefined {
    if (this.held.size === 0) return undefined;
    const entry = this.held.get(key.toString('latin1'));
    return entry && entry.holder !== holder ? entry.released : undefined;
  }

  /** A write on key starts (blocked() said it may); call finish() when it has. */
  start(key: Buffer): void {
    const id = key.toString('latin1');
    this.writing.set(id, (this.writing.get(id) ?? 0) + 1);
  }

  finish(key: Buffer): void {
    const id = key.toString('latin1');
    const left = (this.writing.get(id) ?? 1) - 1;
    if (left > 0) {
      this.writing.set(id, left);
      return;
    }
    this.writing.delete(id);
    const waiting = this.drainers.get(id);
    if (waiting) {
      this.drainers.delete(id);
      for (const resolve of waiting) resolve();
    }
  }
}
