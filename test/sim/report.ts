import type { SeedResult, SimOptions } from './simulate.js';
import { DEFAULT_OPTIONS } from './simulate.js';

/** The command that replays one seed with its history printed. */
export function replayCommand(seed: number, options: Partial<SimOptions> = {}): string {
  const profile = (options.profile ?? DEFAULT_OPTIONS.profile) === 'basic' ? ' --profile basic' : '';
  const scenario = options.scenario ? ` --scenario ${options.scenario}` : '';
  const extra = options.ops !== undefined && options.ops !== DEFAULT_OPTIONS.ops ? ` --ops ${options.ops}` : '';
  const counters = options.counterOps && !options.scenario ? ` --counter-ops ${options.counterOps}` : '';
  const collections = options.collectionOps && !options.scenario ? ` --collection-ops ${options.collectionOps}` : '';
  return `npm run sim -- --seed ${seed}${scenario}${scenario ? '' : profile}${extra}${counters}${collections} --verbose`;
}

/** Violations a failure report lists (the run collects them all). */
const MAX_SHOWN = 20;

/** What a failed seed prints: seed, step, invariant, message, and how to replay it. */
export function describeFailure(r: SeedResult, options: Partial<SimOptions> = {}): string {
  const f = r.failure;
  if (!f) return `seed ${r.seed}: ok`;
  const lines = [
    `FAILED seed ${r.seed} at step ${f.step}: invariant ${f.invariant}${f.all.length > 1 ? ` (${f.all.length} violations)` : ''}`,
    `  ${f.message}`,
    ...f.all.slice(1, MAX_SHOWN).map((v) => `  also ${v.invariant}: ${v.message}`),
    ...(f.all.length > MAX_SHOWN ? [`  and ${f.all.length - MAX_SHOWN} more`] : []),
    `  replay: ${replayCommand(r.seed, options)}`,
  ];
  return lines.join('\n');
}

export interface Summary {
  seeds: number;
  failed: number;
  ops: number;
  acked: number;
  failedOps: number;
  unknown: number;
  lost: number;
  faults: number;
  maxSiblings: number;
  wallMs: number;
  counters: Record<string, number>;
}

export function emptySummary(): Summary {
  return { seeds: 0, failed: 0, ops: 0, acked: 0, failedOps: 0, unknown: 0, lost: 0, faults: 0, maxSiblings: 0, wallMs: 0, counters: {} };
}

export function addToSummary(s: Summary, r: SeedResult): void {
  s.seeds++;
  if (r.failure) s.failed++;
  s.ops += r.ops;
  s.acked += r.acked;
  s.failedOps += r.failed;
  s.unknown += r.unknown;
  s.lost += r.lost;
  s.faults += r.faults;
  s.maxSiblings = Math.max(s.maxSiblings, r.maxSiblings);
  for (const [event, n] of Object.entries(r.counters)) s.counters[event] = (s.counters[event] ?? 0) + n;
}

export function formatSummary(s: Summary): string {
  const perSec = s.wallMs > 0 ? (s.seeds / (s.wallMs / 1000)).toFixed(1) : '-';
  return [
    `seeds ${s.seeds} (${s.failed} failed)`,
    `ops ${s.ops}: acked ${s.acked}, failed ${s.failedOps}, unknown ${s.unknown}`,
    `lost ${s.lost}`,
    `faults ${s.faults}`,
    `max siblings ${s.maxSiblings}`,
    ...Object.keys(s.counters)
      .sort()
      .map((event) => `${event} ${s.counters[event]}`),
    `time ${(s.wallMs / 1000).toFixed(1)} s (${perSec} seeds/s)`,
  ].join(' | ');
}
