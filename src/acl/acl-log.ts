/**
 * ACL LOG: the newest refusals first (denied commands, keys, channels, and
 * failed AUTH), at most `maxLen`. A refusal like one logged less than a
 * minute before (same reason, context, object and user) only counts up that
 * entry and moves it to the front, as Redis 7.0 groups them. Passwords are
 * never part of an entry.
 */

export interface AclLogEntry {
  count: number;
  readonly reason: 'command' | 'key' | 'channel' | 'auth';
  readonly context: 'toplevel' | 'multi' | 'lua';
  readonly object: string;
  readonly username: string;
  /** Wall-clock ms of the latest occurrence. */
  at: number;
  clientInfo: string;
}

const GROUPING_MS = 60_000;

export class AclLog {
  private entries: AclLogEntry[] = [];

  constructor(private readonly maxLen: () => number = () => 128) {}

  add(entry: Omit<AclLogEntry, 'count'>): void {
    const i = this.entries.findIndex(
      (e) => e.reason === entry.reason && e.context === entry.context && e.object === entry.object && e.username === entry.username && entry.at - e.at <= GROUPING_MS,
    );
    if (i >= 0) {
      const e = this.entries[i]!;
      this.entries.splice(i, 1);
      e.count++;
      e.at = entry.at;
      e.clientInfo = entry.clientInfo;
      this.entries.unshift(e);
      return;
    }
    this.entries.unshift({ ...entry, count: 1 });
    const max = this.maxLen();
    if (this.entries.length > max) this.entries.length = max;
  }

  /** The newest `count` entries, newest first. */
  newest(count: number): readonly AclLogEntry[] {
    return this.entries.slice(0, count);
  }

  reset(): void {
    this.entries = [];
  }
}
