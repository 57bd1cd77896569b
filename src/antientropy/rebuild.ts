import type { Clock } from '../core/clock.js';
import type { LocalStore } from '../storage/local-store.js';
import type { TreeSet, TreeSlot } from './tree-set.js';

/** How far rebuilding the trees from storage has got. */
export interface RebuildProgress {
  /** Keys read so far in the current rebuild. */
  done: number;
  /** Estimated keys to read (the store's record count times the share of the ring being rebuilt). */
  total: number;
  /** Keys a second so far. */
  rate: number;
  /** Seconds left at that rate (0 when done). */
  etaSeconds: number;
  /** Ranges still waiting or being scanned. */
  rangesLeft: number;
  running: boolean;
}

const RING = 2 ** 64;
const PAGE = 512;

/**
 * Rebuilds pending trees one range at a time by scanning storage. Writes
 * keep flowing meanwhile: a tree being scanned already takes writes, and
 * the scan leaves alone the keys written since it began (their tree entry
 * is newer than anything the scan can read).
 */
export class Rebuilder {
  readonly progress: RebuildProgress = { done: 0, total: 0, rate: 0, etaSeconds: 0, rangesLeft: 0, running: false };
  private startedAt = 0;
  private stopped = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly trees: TreeSet,
    private readonly store: LocalStore,
    private readonly clock: Clock,
    private readonly onProgress?: (p: RebuildProgress) => void,
    private readonly onError?: (err: unknown) => void,
  ) {}

  /**
   * Starts scanning pending ranges unless a scan is under way (it picks up
   * new pending ranges too). Never rejects: a scan that fails (a disk
   * error) puts its range back to pending for the next kick and is
   * reported to onError, since nothing awaits a rebuild started by a ring change.
   */
  kick(): Promise<void> {
    if (this.running || this.stopped) return this.running ?? Promise.resolve();
    this.running = this.run()
      .catch((err: unknown) => this.onError?.(err))
      .finally(() => (this.running = null));
    return this.running;
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.running ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    const p = this.progress;
    p.done = 0;
    p.running = true;
    this.startedAt = this.clock.monotonic();
    this.estimate();
    try {
      for (;;) {
        const slot = this.trees.all().find((s) => s.state === 'pending');
        if (!slot || this.stopped) break;
        await this.scan(slot);
        this.estimate();
      }
    } finally {
      p.running = false;
      p.rangesLeft = this.trees.all().filter((s) => s.state !== 'ready').length;
      p.etaSeconds = 0;
      this.onProgress?.({ ...p });
    }
  }

  private async scan(slot: TreeSlot): Promise<void> {
    slot.state = 'building';
    slot.touched = new Set();
    try {
      await this.scanPages(slot);
    } catch (err) {
      // The tree is incomplete: it waits for another scan rather than answering exchanges.
      if (slot.state === 'building') {
        slot.state = 'pending';
        slot.touched = null;
      }
      throw err;
    }
  }

  private async scanPages(slot: TreeSlot): Promise<void> {
    let from: bigint | null = slot.tree.start;
    while (from !== null) {
      // The trees may have been reconfigured or cleared meanwhile: stop working on a slot that left.
      if (this.stopped || !this.trees.all().includes(slot)) return;
      const page = await this.store.scan({ from, to: slot.tree.end, limit: PAGE });
      if (!this.trees.all().includes(slot)) return;
      for (const e of page.entries) this.trees.applyScanned(slot, e.key, e.obj);
      this.progress.done += page.entries.length;
      from = page.next;
      this.tick();
    }
    slot.state = 'ready';
    slot.touched = null;
  }

  private estimate(): void {
    const left = this.trees.all().filter((s) => s.state !== 'ready');
    let share = 0;
    for (const s of left) share += Number(s.tree.end - s.tree.start) / RING;
    this.progress.rangesLeft = left.length;
    this.progress.total = Math.max(this.progress.done, Math.round(this.progress.done + this.store.stats().keys * share));
    this.tick();
  }

  private tick(): void {
    const p = this.progress;
    const secs = (this.clock.monotonic() - this.startedAt) / 1000;
    p.rate = secs > 0 ? p.done / secs : 0;
    p.total = Math.max(p.total, p.done);
    p.etaSeconds = p.rate > 0 ? Math.max(0, (p.total - p.done) / p.rate) : 0;
    this.onProgress?.({ ...p });
  }
}
