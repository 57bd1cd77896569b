import type { NodeMetrics } from '../metrics/registry.js';
import type { ConnectionObserver } from './connection.js';
import type { ServerCounters } from './server-info.js';

/** Feeds connection events to the Prometheus metrics and INFO's counters. */
export function connectionObserver(metrics: NodeMetrics, counters: ServerCounters): ConnectionObserver {
  return {
    command(name, ok, seconds) {
      counters.commandsProcessed++;
      if (!ok) counters.errorReplies++;
      metrics.observeCommand(name, ok ? 'ok' : 'error', seconds);
    },
    rejected(name) {
      metrics.commandStats.reject(name);
    },
    bytesRead(n) {
      counters.bytesRead += n;
      metrics.bytesRead.inc(n);
    },
    bytesWritten(n) {
      counters.bytesWritten += n;
      metrics.bytesWritten.inc(n);
    },
    errorReply(text) {
      counters.countError(text);
    },
    protocolError() {
      counters.protocolErrors++;
      metrics.protocolErrors.inc();
    },
  };
}
