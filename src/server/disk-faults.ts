import { QkvError } from '../core/errors.js';
import type { Engine, EngineStats, EngineWrite, KeyRange } from '../storage/engine.js';

/**
 * A disk that fails on command, for QKV.DEBUG DISK-FAIL (only with --debug):
 * 'on' makes every write fail as a read-only or broken disk does, 'stall'
 * makes writes hang until the mode changes, 'off' is the real disk. Reads
 * keep working in every mode (a disk gone read-only still reads).
 */
export type DiskFaultMode = 'off' | 'on' | 'stall';

export const DISK_FAULT_MODES: readonly DiskFaultMode[] = ['off', 'on', 'stall'];

export class FaultyEngine implements Engine {
  private current: DiskFaultMode = 'off';
  private stalled: Array<() => void> = [];
  /** Writes refused while the disk failed. */
  failedWrites = 0;

  constructor(private readonly inner: Engine) {}

  get mode(): DiskFaultMode {
    return this.current;
  }

  setMode(mode: DiskFaultMode): void {
    this.current = mode;
    if (mode === 'stall') return;
    // Stalled writes go on under the new mode: they land, or fail.
    const waiting = this.stalled;
    this.stalled = [];
    for (const resume of waiting) resume();
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  get(key: Buffer): Promise<Buffer | undefined> {
    return this.inner.get(key);
  }

  getMany(keys: readonly Buffer[]): Promise<Array<Buffer | undefined>> {
    return this.inner.getMany(keys);
  }

  async write(ops: readonly EngineWrite[], sync: boolean): Promise<void> {
    await this.gate();
    return this.inner.write(ops, sync);
  }

  iterate(range: KeyRange): AsyncIterableIterator<[Buffer, Buffer]> {
    return this.inner.iterate(range);
  }

  async deleteRange(range: KeyRange): Promise<void> {
    await this.gate();
    return this.inner.deleteRange(range);
  }

  stats(): Promise<EngineStats> {
    return this.inner.stats();
  }

  private async gate(): Promise<void> {
    while (this.current === 'stall') await new Promise<void>((resume) => this.stalled.push(resume));
    if (this.current === 'on') {
      this.failedWrites++;
      throw new QkvError('IOERR', 'write failed: I/O error (Read-only file system, injected by QKV.DEBUG DISK-FAIL)');
    }
  }
}
