import { Counter, Gauge, type Registry } from 'prom-client';
import { CLUSTER_METRICS } from './cluster-names.js';
import type { MetricDef } from './names.js';

/** Gossip message types and drop reasons are the node's own words, but bounded anyway. */
const MAX_TYPE_LABELS = 64;
/** Targets of pending hints are members; past this many, the rest are summed under 'other'. */
const MAX_TARGET_LABELS = 1024;

export type Direction = 'sent' | 'received';
export type StreamDirection = 'in' | 'out';
export type ExchangeResult = 'in_sync' | 'repaired' | 'failed';

/** What the progress gauges read at scrape time. */
export interface StreamProgressSource {
  readonly remainingKeys: number;
  readonly etaSeconds: number;
}

function bounded(value: string, seen: Set<string>, max: number): string {
  const v = value.length > 64 ? value.slice(0, 64) : value;
  if (seen.has(v)) return v;
  if (seen.size >= max) return 'other';
  seen.add(v);
  return v;
}

/**
 * The cluster's background work as metrics, registered in a node's registry
 * beside NodeMetrics: gossip, hinted handoff, anti-entropy and streaming.
 * Components report through these methods; progress gauges pull from sources.
 */
export class ClusterMetrics {
  private readonly counters = new Map<keyof typeof CLUSTER_METRICS, Counter<string>>();
  private readonly types = new Set<string>();
  private membersSource: (() => Readonly<Record<string, number>>) | undefined;
  private hintsSource: (() => Readonly<Record<string, number>>) | undefined;
  private hintBytesSource: (() => Readonly<Record<string, number>>) | undefined;
  private rebuildSource: (() => number) | undefined;
  private streamSource: (() => StreamProgressSource) | undefined;
  private dcHintsSource: (() => Readonly<Record<string, number>>) | undefined;
  private dcHintBytesSource: (() => Readonly<Record<string, number>>) | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    const counter = (d: MetricDef<string>): Counter<string> => new Counter({ name: d.name, help: d.help, labelNames: d.labels, registers });
    const M = CLUSTER_METRICS;
    for (const key of Object.keys(M) as Array<keyof typeof M>) {
      if (key === 'members' || key === 'hintsPending' || key === 'dcHintsPending' || key === 'dcHintsPendingBytes' || key === 'hintsPendingBytes' || key === 'aeRebuildRemaining' || key === 'streamRemaining' || key === 'streamEta') continue;
      this.counters.set(key, counter(M[key]));
    }
    const self = this;
    const labelled = (d: MetricDef<string>, read: () => Readonly<Record<string, number>> | undefined, label: string): Gauge<string> =>
      new Gauge({
        name: d.name,
        help: d.help,
        labelNames: d.labels,
        registers,
        collect() {
          const values = read();
          if (!values) return;
          this.reset();
          let other = 0;
          let n = 0;
          for (const [k, v] of Object.entries(values)) {
            if (n++ < MAX_TARGET_LABELS) this.set({ [label]: k }, v);
            else other += v;
          }
          if (other > 0) this.set({ [label]: 'other' }, other);
        },
      });
    const single = (d: MetricDef, read: () => number | undefined): Gauge =>
      new Gauge({
        name: d.name,
        help: d.help,
        registers,
        collect() {
          const v = read();
          if (v !== undefined) this.set(v);
        },
      });
    labelled(M.members, () => self.membersSource?.(), 'status');
    labelled(M.hintsPending, () => self.hintsSource?.(), 'target');
    labelled(M.dcHintsPending, () => self.dcHintsSource?.(), 'dc');
    labelled(M.dcHintsPendingBytes, () => self.dcHintBytesSource?.(), 'dc');
    labelled(M.hintsPendingBytes, () => self.hintBytesSource?.(), 'target');
    single(M.aeRebuildRemaining, () => self.rebuildSource?.());
    single(M.streamRemaining, () => self.streamSource?.().remainingKeys);
    single(M.streamEta, () => self.streamSource?.().etaSeconds);
  }

  private inc(key: keyof typeof CLUSTER_METRICS, by = 1, labels?: Record<string, string>): void {
    const c = this.counters.get(key);
    if (!c || by <= 0) return;
    if (labels) c.inc(labels, by);
    else c.inc(by);
  }

  gossipMessage(direction: Direction, type: string, bytes: number): void {
    this.inc('gossipMessages', 1, { direction, type: bounded(type, this.types, MAX_TYPE_LABELS) });
    this.inc('gossipBytes', bytes, { direction });
  }

  gossipDropped(reason: string): void {
    this.inc('gossipDropped', 1, { reason: bounded(reason, this.types, MAX_TYPE_LABELS) });
  }

  suspicion(): void {
    this.inc('gossipSuspicions');
  }

  refutation(): void {
    this.inc('gossipRefutations');
  }

  death(): void {
    this.inc('gossipDeaths');
  }

  hintsStored(n = 1): void {
    this.inc('hintsStored', n);
  }

  /** Hints this node refused to store; the reasons are the hint store's own (a short fixed list). */
  hintsRefused(reason: string, n = 1): void {
    this.inc('hintsRefused', n, { reason: bounded(reason, this.types, MAX_TYPE_LABELS) });
  }

  hintsDelivered(n = 1): void {
    this.inc('hintsDelivered', n);
  }

  hintsDropped(n = 1): void {
    this.inc('hintsDropped', n);
  }

  antiEntropyExchange(result: ExchangeResult): void {
    this.inc('aeExchanges', 1, { result });
  }

  antiEntropyRepaired(keys: number, bytes: number): void {
    this.inc('aeKeysRepaired', keys);
    this.inc('aeBytesRepaired', bytes);
  }

  tombstonesPurged(n = 1): void {
    this.inc('tombstonesPurged', n);
  }

  /** reason is one of a few fixed words (purge-verdict.ts), written with underscores. */
  purgeRefused(reason: string, n = 1): void {
    this.inc('purgesRefused', n, { reason: reason.replace(/-/g, '_') });
  }

  rangeCleaned(keys: number): void {
    this.inc('cleanupKeys', keys);
  }

  streamed(direction: StreamDirection, keys: number, bytes: number): void {
    this.inc('streamKeys', keys, { direction });
    this.inc('streamBytes', bytes, { direction });
  }

  /** Member counts by status, read at each scrape. */
  setMembersSource(fn: () => Readonly<Record<string, number>>): void {
    this.membersSource = fn;
  }

  /** Pending hints by target node, read at each scrape. */
  setHintsSource(fn: () => Readonly<Record<string, number>>): void {
    this.hintsSource = fn;
  }

  /** Pending hints by the remote DC of their target, read at each scrape. */
  setDcHintsSource(fn: () => Readonly<Record<string, number>>): void {
    this.dcHintsSource = fn;
  }

  /** Bytes of pending hints by the remote DC of their target (what --dc-hint-max-bytes bounds), read at each scrape. */
  setDcHintBytesSource(fn: () => Readonly<Record<string, number>>): void {
    this.dcHintBytesSource = fn;
  }

  /** Bytes of pending hints by target node, read at each scrape. */
  setHintBytesSource(fn: () => Readonly<Record<string, number>>): void {
    this.hintBytesSource = fn;
  }

  setRebuildSource(fn: () => number): void {
    this.rebuildSource = fn;
  }

  setStreamSource(fn: () => StreamProgressSource): void {
    this.streamSource = fn;
  }
}
