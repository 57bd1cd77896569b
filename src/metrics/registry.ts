import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LATENCY_BUCKETS, METRICS, METRIC_PREFIX, type MetricDef } from './names.js';
import { CommandStats } from './command-stats.js';
import { registerCommandMetrics } from './command-metrics.js';
import { registerMemoryMetrics, type MemorySample } from './memory-metrics.js';

export type CommandResult = 'ok' | 'error';
/** tls: a TLS handshake failed (plain text on the TLS port, a wrong CA) or a client certificate was refused. */
export type RejectReason = 'maxclients' | 'protected' | 'tls';
export type QuorumOutcome = 'ok' | 'unavailable' | 'timeout' | 'conflict' | 'error';

export interface NodeMetricsOptions {
  readonly nodeId: string;
  /**
   * Node.js process metrics (CPU, memory, event loop lag, GC). On by default;
   * simulations that build many nodes in one process turn them off, since
   * prom-client's collectors cannot be stopped once started.
   */
  readonly processMetrics?: boolean;
}

/** Label values are kept bounded so no client input can grow the registry without limit. */
export const MAX_COMMAND_LABELS = 512;
export const MAX_PEER_LABELS = 1024;
export const OTHER_LABEL = 'other';

/** Remembers up to max distinct label values; later new values become 'other'. */
class LabelCap {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  label(value: string): string {
    const v = value.length > 64 ? value.slice(0, 64) : value;
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return OTHER_LABEL;
    this.seen.add(v);
    return v;
  }

  forget(value: string): void {
    this.seen.delete(value);
  }
}

/**
 * The metrics of one node, in a registry of its own (never prom-client's
 * global one: tests run many nodes in one process). Every metric carries the
 * label node="<node id>". Members are the prom-client metrics themselves; the
 * observe* helpers do the common multi-metric updates and bound label values.
 */
export class NodeMetrics {
  readonly nodeId: string;
  readonly registry = new Registry();
  /** The Content-Type of render()'s output (Prometheus text format 0.0.4). */
  readonly contentType: string;

  /** Per-command calls, errors and latency (INFO commandstats, commands_total, command_duration_seconds). */
  readonly commandStats = new CommandStats(MAX_COMMAND_LABELS);
  readonly connectedClients: Gauge;
  readonly connectionsAccepted: Counter;
  readonly connectionsRejected: Counter<'reason'>;
  readonly clientsEvicted: Counter;
  readonly bytesRead: Counter;
  readonly bytesWritten: Counter;
  readonly protocolErrors: Counter;

  readonly storageBatches: Counter;
  readonly storageBatchedWrites: Counter;
  readonly storageBatchDuration: Histogram;
  readonly storageWriteErrors: Counter;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly keys: Gauge;
  readonly expiredKeys: Counter;

  readonly peerRpcDuration: Histogram<'peer'>;
  readonly dcReplicationLag: Histogram<'dc'>;
  readonly dcReplicationBytes: Counter<'dc'>;
  readonly peerErrors: Counter<'peer' | 'kind'>;
  readonly peerInflight: Gauge<'peer'>;
  readonly peerFramesSent: Gauge;
  readonly quorumOperations: Counter<'type' | 'outcome'>;
  readonly readRepairs: Counter;
  readonly divergentDots: Counter;

  private keysSource: (() => number) | undefined;
  private clientsSource: (() => number) | undefined;
  private memorySource: (() => MemorySample) | undefined;
  private framesSource: (() => number) | undefined;
  private readonly peerLabels = new LabelCap(MAX_PEER_LABELS);
  private readonly peerErrorKinds = new Map<string, Set<string>>();

  constructor(options: NodeMetricsOptions) {
    this.nodeId = options.nodeId;
    this.contentType = this.registry.contentType;
    this.registry.setDefaultLabels({ node: options.nodeId });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });

    const registers = [this.registry];
    const counter = <L extends string>(d: MetricDef<L>): Counter<L> => new Counter<L>({ name: d.name, help: d.help, labelNames: d.labels, registers });
    const histogram = <L extends string>(d: MetricDef<L>): Histogram<L> =>
      new Histogram<L>({ name: d.name, help: d.help, labelNames: d.labels, buckets: [...LATENCY_BUCKETS], registers });
    // Gauges read at scrape time pull from a source when one is set, else keep what was set.
    const sampled = (d: MetricDef, source: () => (() => number) | undefined): Gauge =>
      new Gauge({
        name: d.name,
        help: d.help,
        registers,
        collect() {
          const read = source();
          if (!read) return;
          try {
            this.set(read());
          } catch {
            // A failing source must not break the whole scrape; the last value stays.
          }
        },
      });

    registerCommandMetrics(this.registry, this.commandStats);
    this.connectedClients = sampled(METRICS.connectedClients, () => this.clientsSource);
    this.connectionsAccepted = counter(METRICS.connectionsAccepted);
    this.connectionsRejected = counter(METRICS.connectionsRejected);
    this.clientsEvicted = counter(METRICS.clientsEvicted);
    this.bytesRead = counter(METRICS.bytesRead);
    this.bytesWritten = counter(METRICS.bytesWritten);
    this.protocolErrors = counter(METRICS.protocolErrors);

    this.storageBatches = counter(METRICS.storageBatches);
    this.storageBatchedWrites = counter(METRICS.storageBatchedWrites);
    this.storageBatchDuration = histogram(METRICS.storageBatchDuration);
    this.storageWriteErrors = counter(METRICS.storageWriteErrors);
    this.cacheHits = counter(METRICS.cacheHits);
    this.cacheMisses = counter(METRICS.cacheMisses);
    this.keys = sampled(METRICS.keys, () => this.keysSource);
    this.expiredKeys = counter(METRICS.expiredKeys);

    this.peerRpcDuration = histogram(METRICS.peerRpcDuration);
    this.dcReplicationLag = histogram(METRICS.dcReplicationLag);
    this.dcReplicationBytes = counter(METRICS.dcReplicationBytes);
    this.peerErrors = counter(METRICS.peerErrors);
    this.peerInflight = new Gauge({ name: METRICS.peerInflight.name, help: METRICS.peerInflight.help, labelNames: METRICS.peerInflight.labels, registers });
    this.peerFramesSent = sampled(METRICS.peerFramesSent, () => this.framesSource);
    this.quorumOperations = counter(METRICS.quorumOperations);
    this.readRepairs = counter(METRICS.readRepairs);
    this.divergentDots = counter(METRICS.divergentDots);
    registerMemoryMetrics(this.registry, () => this.memorySource?.());
  }

  /** The memory gauges read fn at each scrape (INFO memory's figures). */
  setMemorySource(fn: () => MemorySample): void {
    this.memorySource = fn;
  }

  /** The keys gauge reads fn at each scrape. */
  setKeysSource(fn: () => number): void {
    this.keysSource = fn;
  }

  /** The peer-frames gauge reads fn at each scrape (the transport counts in a plain number). */
  setPeerFramesSource(fn: () => number): void {
    this.framesSource = fn;
  }

  /** The connected-clients gauge reads fn at each scrape (instead of inc/dec). */
  setConnectedClientsSource(fn: () => number): void {
    this.clientsSource = fn;
  }

  /**
   * Counts a command and records its latency. The name is lower-cased; past
   * MAX_COMMAND_LABELS distinct names, new ones count as 'other'. Callers
   * pass 'unknown' for commands not in the table.
   */
  observeCommand(command: string, result: CommandResult, seconds: number): void {
    this.commandStats.record(command, result === 'ok', seconds);
  }

  connectionRejected(reason: RejectReason): void {
    this.connectionsRejected.inc({ reason });
  }

  /** One committed storage batch of `writes` writes that took `seconds`. */
  observeBatch(writes: number, seconds: number): void {
    this.storageBatches.inc();
    this.storageBatchedWrites.inc(writes);
    this.storageBatchDuration.observe(seconds);
  }

  observePeerRpc(peer: string, seconds: number): void {
    this.peerRpcDuration.observe({ peer: this.peerLabels.label(peer) }, seconds);
  }

  peerError(peer: string, kind: string): void {
    const label = this.peerLabels.label(peer);
    const kinds = this.peerErrorKinds.get(label) ?? new Set<string>();
    kinds.add(kind);
    this.peerErrorKinds.set(label, kinds);
    this.peerErrors.inc({ peer: label, kind });
  }

  /** delta is +1 when a request to peer is sent and -1 when it is answered or given up. */
  peerInflightChange(peer: string, delta: number): void {
    this.peerInflight.inc({ peer: this.peerLabels.label(peer) }, delta);
  }

  quorumOperation(type: string, outcome: QuorumOutcome): void {
    this.quorumOperations.inc({ type, outcome });
  }

  /** Drops a departed peer's series so removed nodes do not linger in scrapes. */
  forgetPeer(peer: string): void {
    this.peerRpcDuration.remove({ peer });
    this.peerInflight.remove({ peer });
    for (const kind of this.peerErrorKinds.get(peer) ?? []) this.peerErrors.remove({ peer, kind });
    this.peerErrorKinds.delete(peer);
    this.peerLabels.forget(peer);
  }

  /** The whole registry in Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
