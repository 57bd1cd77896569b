import { ValueError, shown, type OptionInfo, type OptionSpec } from './values.js';

/** One DC's share of a key's replicas (`--replicas-per-dc dc1:3,dc2:3`). */
export interface DcCount {
  readonly dc: string;
  readonly count: number;
}

const ENTRY_RE = /^([A-Za-z0-9_.-]{1,64}):(\d{1,2})$/;
const EXPECTED = "a comma-separated list of dc:count (a DC name of 1 to 64 letters, digits, '_', '.' or '-', a count from 1 to 64), each DC once";

/** Largest total of replicas, as for --n. */
export const MAX_TOTAL_REPLICAS = 64;

/** `dc1:3,dc2:3` -> [{dc1, 3}, {dc2, 3}]; '' -> null (not set). Throws ValueError. */
export function parseDcCounts(text: string): readonly DcCount[] | null {
  if (text.trim() === '') return null;
  const out: DcCount[] = [];
  for (const item of text.split(',')) {
    const m = ENTRY_RE.exec(item.trim());
    const count = m ? Number(m[2]) : 0;
    if (!m || count < 1 || count > MAX_TOTAL_REPLICAS) throw new ValueError(`expected ${EXPECTED} (bad entry ${shown(item.trim())}), got ${shown(text)}`);
    if (out.some((e) => e.dc === m[1])) throw new ValueError(`expected ${EXPECTED} (DC ${shown(m[1])} twice), got ${shown(text)}`);
    out.push(Object.freeze({ dc: m[1]!, count }));
  }
  return Object.freeze(out);
}

/** The text form every node compares at join: entries as given, comma-separated. */
export function formatDcCounts(v: readonly DcCount[] | null): string {
  return v === null ? '' : v.map(({ dc, count }) => `${dc}:${count}`).join(',');
}

export function dcCountsOption(info: OptionInfo): OptionSpec<readonly DcCount[] | null> {
  return {
    ...info,
    type: 'dc-count-list',
    default: null,
    expected: EXPECTED,
    parse: parseDcCounts,
    fromJson: (v) => {
      if (v === null) return null;
      if (typeof v === 'string') return parseDcCounts(v);
      if (typeof v === 'object' && !Array.isArray(v)) {
        return parseDcCounts(
          Object.entries(v as Record<string, unknown>)
            .map(([dc, count]) => `${dc}:${String(count)}`)
            .join(','),
        );
      }
      throw new ValueError(`expected ${EXPECTED}, got ${shown(v)}`);
    },
    format: formatDcCounts,
  };
}

/** `--read-consistency` and `--write-consistency`: a level, 'numeric' (--r and --w), or 'auto'. */
export const CONSISTENCY_SETTINGS = ['auto', 'numeric', 'one', 'local_one', 'quorum', 'local_quorum', 'each_quorum', 'all'] as const;
export type ConsistencySetting = (typeof CONSISTENCY_SETTINGS)[number];
export type ConsistencyLevelName = Exclude<ConsistencySetting, 'auto' | 'numeric'>;

/**
 * The level plain commands run at, or null for the numeric R and W: 'auto'
 * is local_quorum when --replicas-per-dc names more than one DC (a remote DC
 * must not slow or block local traffic), the numbers otherwise.
 */
export function resolveConsistency(setting: ConsistencySetting, perDc: readonly DcCount[] | null): ConsistencyLevelName | null {
  if (setting === 'numeric') return null;
  if (setting === 'auto') return perDc !== null && perDc.length > 1 ? 'local_quorum' : null;
  return setting;
}
