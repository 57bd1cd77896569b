/** The node's Prometheus metrics: names in one file, one registry per node, the /metrics handler. */
export { LATENCY_BUCKETS, METRICS, METRIC_PREFIX } from './names.js';
export type { MetricDef, MetricKey } from './names.js';
export { MAX_COMMAND_LABELS, MAX_PEER_LABELS, NodeMetrics, OTHER_LABEL } from './registry.js';
export type { CommandResult, NodeMetricsOptions, QuorumOutcome, RejectReason } from './registry.js';
export { metricsHandler } from './http.js';
export type { MetricsHandler, MetricsResponse } from './http.js';
export { MEMORY_PARTS, registerMemoryMetrics } from './memory-metrics.js';
export type { MemoryPart, MemorySample } from './memory-metrics.js';
