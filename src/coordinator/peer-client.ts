import type { Clock } from '../core/clock.js';
import { isQkvError } from '../core/errors.js';
import type { NodeMetrics } from '../metrics/registry.js';
import type { RpcTransport } from '../transport/types.js';
import type { OutgoingRequest } from './messages.js';

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/**
 * Requests to peers, measured: every call's latency and every failure go to
 * the node's metrics when it has them. Transport failures (TIMEOUT,
 * UNAVAILABLE) are told apart from errors the peer's handler returned.
 */
export class PeerClient {
  constructor(
    private readonly transport: RpcTransport,
    private readonly clock: Clock,
    private readonly metrics: NodeMetrics | undefined,
  ) {}

  async call(peer: string, msg: OutgoingRequest, timeoutMs: number): Promise<unknown> {
    const started = this.clock.monotonic();
    try {
      const reply = await this.transport.request(peer, msg, { timeoutMs });
      this.metrics?.observePeerRpc(peer, (this.clock.monotonic() - started) / 1000);
      return reply;
    } catch (err) {
      const kind = errorKind(err);
      // A handler's error is still an answer, so its latency counts.
      if (kind === 'remote') this.metrics?.observePeerRpc(peer, (this.clock.monotonic() - started) / 1000);
      this.metrics?.peerError(peer, kind);
      throw err;
    }
  }
}

function errorKind(err: unknown): string {
  if (!isQkvError(err)) return 'remote';
  if (err.code === 'TIMEOUT') return 'timeout';
  if (err.code === 'UNAVAILABLE') return 'unavailable';
  return 'remote';
}
