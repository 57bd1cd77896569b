import type { Clock } from '../core/clock.js';
import type { Engine, EngineWrite } from './engine.js';
import { COUNT_META, EXPIRES_META, LIVE_META, countRecords, countWrites, decodeCount, type OpenProgress } from './key-count.js';
import { metaKey } from './key-layout.js';

/** What one batch changes in the counts (record-batch.ts). */
export interface CountDeltas {
  readonly keyDelta: number;
  readonly liveDelta: number;
  readonly expiresDelta: number;
}

/**
 * A store's three record counts (records, live ones for DBSIZE, live ones
 * with an expiry for INFO keyspace), stored under meta keys and written in
 * the same engine batch as the records that change them, so they are exact
 * after any crash. A store missing any of them is counted once at open.
 */
export class RecordCounts {
  records = 0;
  live = 0;
  expiring = 0;

  /** Reads the stored counts, or counts the records (and stores the result) when one is missing. */
  async load(engine: Engine, clock: Clock, sync: boolean, progress?: (p: OpenProgress) => void): Promise<void> {
    const records = decodeCount(await engine.get(metaKey(COUNT_META)));
    const live = decodeCount(await engine.get(metaKey(LIVE_META)));
    const expiring = decodeCount(await engine.get(metaKey(EXPIRES_META)));
    if (records !== undefined && live !== undefined && expiring !== undefined) {
      Object.assign(this, { records, live, expiring });
      progress?.({ countedKeys: records, done: true, elapsedMs: 0 });
      return;
    }
    const counted = await countRecords(engine, clock, progress);
    Object.assign(this, { records: counted.records, live: counted.live, expiring: counted.expiring });
    await engine.write(countWrites(this.records, this.live, this.expiring), sync);
  }

  reset(): void {
    this.records = this.live = this.expiring = 0;
  }

  /** The meta writes a batch with these deltas adds (none when nothing changes). */
  writesFor(d: CountDeltas): EngineWrite[] {
    if (d.keyDelta === 0 && d.liveDelta === 0 && d.expiresDelta === 0) return [];
    return countWrites(this.records + d.keyDelta, this.live + d.liveDelta, this.expiring + d.expiresDelta);
  }

  /** Once the batch is written. */
  apply(d: CountDeltas): void {
    this.records += d.keyDelta;
    this.live += d.liveDelta;
    this.expiring += d.expiresDelta;
  }
}
