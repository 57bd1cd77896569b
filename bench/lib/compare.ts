import type { BenchRow } from './redis-benchmark-run.js';
import { fmtNumber, fmtRatio, formatTable, median } from './stats.js';

/** One measurement: which server, at which pipeline depth, and what redis-benchmark reported. */
export interface CompareSample<T extends string> {
  readonly target: T;
  readonly pipeline: number;
  readonly row: BenchRow;
}

export interface Figures {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface ComparisonRow {
  readonly test: string;
  readonly pipeline: number;
  readonly subject: Figures;
  readonly baseline: Figures;
  readonly ratio: number;
}

/**
 * Medians per test and pipeline depth for a subject against a baseline, and
 * the table every benchmark prints: req/s, p50, p99 and the ratio.
 */
export function compareMedians<T extends string>(
  samples: ReadonlyArray<CompareSample<T>>,
  pipelines: readonly number[],
  who: { readonly subject: T; readonly baseline: T; readonly subjectLabel: string; readonly baselineLabel: string },
): { table: string; rows: ComparisonRow[] } {
  const rows: ComparisonRow[] = [];
  for (const pipeline of pipelines) {
    for (const test of [...new Set(samples.map((s) => s.row.test))]) {
      const pick = (target: T): Figures => {
        const mine = samples.filter((s) => s.target === target && s.pipeline === pipeline && s.row.test === test).map((s) => s.row);
        return { rps: median(mine.map((r) => r.rps)), p50Ms: median(mine.map((r) => r.p50Ms)), p99Ms: median(mine.map((r) => r.p99Ms)) };
      };
      const subject = pick(who.subject);
      const baseline = pick(who.baseline);
      rows.push({ test, pipeline, subject, baseline, ratio: subject.rps / baseline.rps });
    }
  }
  const s = who.subjectLabel;
  const b = who.baselineLabel;
  const table = formatTable(
    ['test', `${s} req/s`, `${b} req/s`, `ratio ${s}/${b}`, `${s} p50 ms`, `${b} p50 ms`, `${s} p99 ms`, `${b} p99 ms`],
    rows.map((r) => [
      `${r.test}${r.pipeline > 1 ? ` -P ${r.pipeline}` : ''}`,
      fmtNumber(r.subject.rps),
      fmtNumber(r.baseline.rps),
      fmtRatio(r.subject.rps, r.baseline.rps),
      fmtNumber(r.subject.p50Ms, 3),
      fmtNumber(r.baseline.p50Ms, 3),
      fmtNumber(r.subject.p99Ms, 3),
      fmtNumber(r.baseline.p99Ms, 3),
    ]),
  );
  return { table, rows };
}
