import type { VersionedObject } from '../versioning/types.js';
import type { Engine } from './engine.js';
import { isFullyExpired, recordExpiry } from './expiry.js';
import { dueExpiryRange, indexTime, parseExpiryKey } from './key-layout.js';
import type { PurgeDecision } from './record-batch.js';

/**
 * The owner's say on purging an expired record: true to purge, false to keep
 * it (the sweep looks again next time), or a time in epoch ms to look again
 * then. Called synchronously while a batch is built, with the record as
 * stored at that moment.
 */
export type CanPurge = (key: Buffer, obj: VersionedObject, now: number) => boolean | number;

/** Queues a removal decided when its batch is built; resolves whether it removed the record. */
export type SubmitPurge = (key: Buffer, decide: (obj: VersionedObject) => PurgeDecision, indexEntries: Buffer[]) => Promise<boolean>;

/** Told once per expiry of a key, when the sweep first finds it expired (keyspace notifications' 'expired'). */
export type OnExpired = (key: Buffer) => void;

/**
 * The expiry sweep of a RecordStore: reads the expiry index entries that are
 * due and queues a conditional removal per key. It remembers when the next
 * entry can be due, so a sweep with nothing due does not touch the engine.
 */
export class ExpirySweep {
  /** Records removed because they expired (by the sweep, or collected by agreement). */
  swept = 0;
  /** No expiry index entry is due before this time (0 until the first sweep has looked). */
  private nextDue = 0;

  constructor(
    private readonly engine: Engine,
    private readonly canPurge: CanPurge | undefined,
    private readonly submitPurge: SubmitPurge,
    private readonly onExpired?: OnExpired,
  ) {}

  /** Lowers the time before which no index entry can be due (0 = unknown: look). */
  mayBeDueAt(at: number): void {
    if (at > 0 && at < this.nextDue) this.nextDue = at;
  }

  /**
   * Reads up to `limit` expiry index entries due by `now` and, for each key,
   * queues a removal that decides when its batch is built, on the record as
   * stored then (a later write may have saved it), and asks canPurge. Entries
   * that turn out stale are dropped. Resolves how many records were removed.
   */
  async sweep(now: number, limit: number): Promise<number> {
    // Nothing in the index can be due before nextDue: skip the engine scan.
    if (now < this.nextDue) return 0;
    this.nextDue = Infinity;
    const due = new Map<string, { key: Buffer; entries: Buffer[] }>();
    let seen = 0;
    for await (const [stored] of this.engine.iterate({ ...dueExpiryRange(now), limit: Math.max(1, limit), keysOnly: true })) {
      seen++;
      const { key } = parseExpiryKey(stored);
      const id = key.toString('latin1');
      const item = due.get(id) ?? { key, entries: [] };
      item.entries.push(stored);
      due.set(id, item);
    }
    const expired: Buffer[] = [];
    const decide = (key: Buffer, entries: readonly Buffer[], obj: VersionedObject): PurgeDecision => {
      if (!isFullyExpired(obj, now)) return 'stale';
      // The first look is through the entry at the record's own expiry; a purge put off looks again through a later one.
      if (this.onExpired && entries.some((e) => parseExpiryKey(e).expireAt === indexTime(recordExpiry(obj)))) expired.push(key);
      const verdict = this.canPurge ? this.canPurge(key, obj, now) : true;
      if (verdict === true) return 'purge';
      if (verdict === false || verdict <= now) {
        this.mayBeDueAt(now);
        return 'keep';
      }
      this.mayBeDueAt(verdict);
      return { retryAt: verdict };
    };
    // Purges are queued first, so they keep their place behind the writes already submitted.
    const purging = Promise.all([...due.values()].map((d) => this.submitPurge(d.key, (obj) => decide(d.key, d.entries, obj), d.entries)));
    if (seen >= Math.max(1, limit)) this.mayBeDueAt(now);
    else this.mayBeDueAt(await this.firstIndexedAfter(now));
    const results = await purging;
    for (const key of expired) this.onExpired!(key);
    const purged = results.filter(Boolean).length;
    this.swept += purged;
    return purged;
  }

  /** The time of the first index entry after now, or Infinity when there is none. */
  private async firstIndexedAfter(now: number): Promise<number> {
    const after = dueExpiryRange(now).lt!;
    for await (const [stored] of this.engine.iterate({ gte: after, lt: Buffer.from([after[0]! + 1]), limit: 1, keysOnly: true })) {
      return parseExpiryKey(stored).expireAt;
    }
    return Infinity;
  }
}
