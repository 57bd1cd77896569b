/**
 * The memory all clients hold together: requests still being read (with
 * each argument's heap overhead) and replies not yet sent. One client is
 * bounded by client-query-buffer-limit and client-output-buffer-limit;
 * this bounds their sum (Redis 7's maxmemory-clients), so a few hostile or
 * slow clients together cannot exhaust the heap. Past the bound the client
 * holding the most is closed, as Redis evicts clients.
 *
 * Each client reports its usage when it changes; the total is kept by
 * deltas, so a report costs O(1) and only an eviction walks the clients.
 */
export interface MemoryHolder {
  /** Bytes this client holds now. */
  heldBytes(): number;
  /** Closes the client (its memory is released as it goes). */
  evict(reason: string): void;
}

export class ClientMemory {
  private readonly held = new Map<MemoryHolder, number>();
  private total = 0;
  /** Clients closed because all of them together held too much (INFO evicted_clients). */
  evicted = 0;

  constructor(
    /** The bound in bytes, read at each check (CONFIG SET maxmemory-clients). */
    private readonly limit: () => number,
    private readonly onEvict: (bytes: number, totalBytes: number) => void = () => undefined,
  ) {}

  get totalBytes(): number {
    return this.total;
  }

  /** Records what `holder` holds now; evicts the largest holders while the total is over the bound. */
  report(holder: MemoryHolder, bytes: number): void {
    const before = this.held.get(holder) ?? 0;
    if (bytes === before) return;
    this.held.set(holder, bytes);
    this.total += bytes - before;
    const limit = this.limit();
    while (this.total > limit && this.held.size > 0) this.evictLargest();
  }

  /** The client is gone: what it held no longer counts. */
  forget(holder: MemoryHolder): void {
    const bytes = this.held.get(holder);
    if (bytes === undefined) return;
    this.held.delete(holder);
    this.total -= bytes;
  }

  private evictLargest(): void {
    let largest: MemoryHolder | null = null;
    let most = -1;
    for (const [h, b] of this.held) {
      if (b > most) {
        most = b;
        largest = h;
      }
    }
    if (largest === null) return;
    const total = this.total;
    this.forget(largest);
    this.evicted++;
    this.onEvict(most, total);
    largest.evict(`client memory ${most} bytes; all clients ${total} bytes, over maxmemory-clients`);
  }
}
