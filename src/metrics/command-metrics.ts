import { Counter, Histogram, type MetricObjectWithValues, type MetricValueWithName, type Registry } from 'prom-client';
import type { CommandStats } from './command-stats.js';
import { LATENCY_BUCKETS, METRICS } from './names.js';

type HistogramValues = MetricObjectWithValues<MetricValueWithName<string>>;

/**
 * command_duration_seconds as a view of CommandStats: the figures are summed
 * in plain numbers as commands finish and turned into series only when
 * scraped, so the hot path never hashes a label set.
 */
class CommandDurationView extends Histogram<'command'> {
  constructor(
    registry: Registry,
    private readonly stats: CommandStats,
  ) {
    const d = METRICS.commandDuration;
    super({ name: d.name, help: d.help, labelNames: d.labels, buckets: [...LATENCY_BUCKETS], registers: [registry] });
  }

  override get(): Promise<HistogramValues> {
    return Promise.resolve(this.snapshot());
  }

  /** The registry prefers this to get() when rendering text. */
  getForPromString(): Promise<HistogramValues> {
    return Promise.resolve(this.snapshot());
  }

  private snapshot(): HistogramValues {
    const name = METRICS.commandDuration.name;
    const values: Array<MetricValueWithName<string>> = [];
    for (const s of this.stats.all()) {
      if (s.calls === 0) continue;
      const command = s.name;
      let acc = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        acc += s.buckets[i]!;
        values.push({ metricName: `${name}_bucket`, labels: { command, le }, value: acc });
      });
      values.push({ metricName: `${name}_bucket`, labels: { command, le: '+Inf' }, value: s.calls });
      values.push({ metricName: `${name}_sum`, labels: { command }, value: s.usec / 1e6 });
      values.push({ metricName: `${name}_count`, labels: { command }, value: s.calls });
    }
    // prom-client's typings declare the type as a numeric enum; at run time it is the text it prints.
    const type = 'histogram' as unknown as HistogramValues['type'];
    return { name, help: METRICS.commandDuration.help, type, values, aggregator: 'sum', collect: () => undefined };
  }
}

/** commands_total and command_duration_seconds, both read from stats at scrape time. */
export function registerCommandMetrics(registry: Registry, stats: CommandStats): void {
  const d = METRICS.commands;
  new Counter<'command' | 'result'>({
    name: d.name,
    help: d.help,
    labelNames: d.labels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of stats.all()) {
        if (s.calls > s.failed) this.inc({ command: s.name, result: 'ok' }, s.calls - s.failed);
        if (s.failed > 0) this.inc({ command: s.name, result: 'error' }, s.failed);
      }
    },
  });
  new CommandDurationView(registry, stats);
}
