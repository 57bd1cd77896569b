import { LATENCY_BUCKETS } from './names.js';

/** One command's figures since start (or CONFIG RESETSTAT): what INFO commandstats and the metrics read. */
export interface CommandStat {
  readonly name: string;
  calls: number;
  /** Microseconds spent, summed. */
  usec: number;
  /** Refused before running (NOAUTH). */
  rejected: number;
  /** Ran and answered an error. */
  failed: number;
  /** Calls per latency bucket (LATENCY_BUCKETS; the last slot is above the largest). */
  readonly buckets: Float64Array;
}

export const OTHER_COMMAND = 'other';

/**
 * Per-command counts and latencies in plain numbers: counting a command is a
 * Map lookup and a few additions, with no label hashing on the hot path.
 * Prometheus and INFO read the figures when asked. Names are bounded: past
 * `maxNames` distinct names, new ones count as 'other', and long names are
 * cut to 64 characters, so no client input can grow the table without bound.
 */
export class CommandStats {
  private readonly byName = new Map<string, CommandStat>();
  /** Raw names as callers pass them (any case) to their entry, so the common path skips lower-casing. */
  private readonly byRaw = new Map<string, CommandStat>();
  private readonly baseline = new Map<string, { calls: number; usec: number; rejected: number; failed: number }>();

  constructor(private readonly maxNames: number) {}

  /** A command answered: ok, or an error reply; seconds from parse to reply. */
  record(rawName: string, ok: boolean, seconds: number): void {
    const s = this.entry(rawName);
    s.calls++;
    s.usec += seconds * 1e6;
    if (!ok) s.failed++;
    s.buckets[bucketOf(seconds)]!++;
  }

  /** A command refused before it ran (not counted in calls, as in Redis). */
  reject(rawName: string): void {
    this.entry(rawName).rejected++;
  }

  /** Every command seen, in first-seen order. */
  all(): IterableIterator<CommandStat> {
    return this.byName.values();
  }

  /**
   * CONFIG RESETSTAT: INFO counts from now on. The Prometheus series keep
   * counting (counters there never go down), so INFO reads the figures minus
   * what they were at the last reset.
   */
  resetInfo(): void {
    this.baseline.clear();
    for (const s of this.byName.values()) this.baseline.set(s.name, { calls: s.calls, usec: s.usec, rejected: s.rejected, failed: s.failed });
  }

  /** Figures since the last resetInfo, for INFO. */
  sinceReset(): Array<Omit<CommandStat, 'buckets'>> {
    const out: Array<Omit<CommandStat, 'buckets'>> = [];
    for (const s of this.byName.values()) {
      const b = this.baseline.get(s.name);
      out.push(b ? { name: s.name, calls: s.calls - b.calls, usec: s.usec - b.usec, rejected: s.rejected - b.rejected, failed: s.failed - b.failed } : s);
    }
    return out;
  }

  private entry(rawName: string): CommandStat {
    const known = this.byRaw.get(rawName);
    if (known) return known;
    let name = rawName.toLowerCase();
    if (name.length > 64) name = name.slice(0, 64);
    let s = this.byName.get(name);
    if (!s) {
      if (this.byName.size >= this.maxNames) name = OTHER_COMMAND;
      s = this.byName.get(name);
      if (!s) {
        s = { name, calls: 0, usec: 0, rejected: 0, failed: 0, buckets: new Float64Array(LATENCY_BUCKETS.length + 1) };
        this.byName.set(name, s);
      }
    }
    // Aliases are bounded too: a flood of distinct raw names only costs the slow path.
    if (this.byRaw.size < this.maxNames * 4) this.byRaw.set(rawName, s);
    return s;
  }
}

function bucketOf(seconds: number): number {
  let i = 0;
  while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
  return i;
}

/** INFO commandstats lines, as Redis prints them (cmdstat_get:calls=...,usec=...,usec_per_call=...,...). */
export function commandStatLines(stats: CommandStats): Array<readonly [string, string]> {
  const lines: Array<readonly [string, string]> = [];
  for (const s of stats.sinceReset()) {
    if (s.calls === 0 && s.rejected === 0) continue;
    const usec = Math.round(s.usec);
    const perCall = s.calls > 0 ? (s.usec / s.calls).toFixed(2) : '0.00';
    lines.push([`cmdstat_${s.name}`, `calls=${s.calls},usec=${usec},usec_per_call=${perCall},rejected_calls=${s.rejected},failed_calls=${s.failed}`]);
  }
  return lines;
}
