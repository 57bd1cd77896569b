/**
 * Per-key serialisation for a replica's read-modify-write: the critical
 * section (read local copy, issue a dot, hand the new object to the store)
 * runs one at a time per key, in arrival order. Durability waits happen
 * outside it, so a pipeline of writes to one key still group-commits.
 */
export class KeyLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Number of keys with a critical section queued or running. */
  get size(): number {
    return this.tails.size;
  }

  async run<T>(key: Buffer, fn: () => Promise<T> | T): Promise<T> {
    const id = key.toString('latin1');
    const prev = this.tails.get(id);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.tails.set(id, mine);
    try {
      if (prev) await prev;
      return await fn();
    } finally {
      release();
      if (this.tails.get(id) === mine) this.tails.delete(id);
    }
  }

  /** Resolves once every critical section queued on key so far has finished. */
  async settled(key: Buffer): Promise<void> {
    const tail = this.tails.get(key.toString('latin1'));
    if (tail) await tail;
  }
}
