import { Gauge, type Registry } from 'prom-client';
import { METRICS } from './names.js';

/** The parts of the memory budget, as INFO memory and the part label name them. */
export const MEMORY_PARTS = ['record_cache', 'rocksdb_block_cache', 'rocksdb_memtables', 'rocksdb_table_readers', 'clients'] as const;
export type MemoryPart = (typeof MEMORY_PARTS)[number];

/** What the memory gauges read at each scrape. */
export interface MemorySample {
  readonly maxmemory: number;
  readonly used: number;
  readonly parts: Readonly<Record<MemoryPart, { readonly bytes: number; readonly limit: number }>>;
}

/** The memory budget as gauges; each reads a sample at scrape time (none yet: they keep what they had). */
export function registerMemoryMetrics(registry: Registry, sample: () => MemorySample | undefined): void {
  const registers = [registry];
  new Gauge({
    name: METRICS.maxmemory.name,
    help: METRICS.maxmemory.help,
    registers,
    collect() {
      const s = sample();
      if (s) this.set(s.maxmemory);
    },
  });
  new Gauge({
    name: METRICS.memoryUsed.name,
    help: METRICS.memoryUsed.help,
    registers,
    collect() {
      const s = sample();
      if (s) this.set(s.used);
    },
  });
  const parts = (key: 'bytes' | 'limit', def: typeof METRICS.memoryPart): void => {
    new Gauge<'part'>({
      name: def.name,
      help: def.help,
      labelNames: def.labels,
      registers,
      collect() {
        const s = sample();
        if (!s) return;
        for (const part of MEMORY_PARTS) this.set({ part }, s.parts[part][key]);
      },
    });
  };
  parts('bytes', METRICS.memoryPart);
  parts('limit', METRICS.memoryPartLimit);
}
