import type { NodeMetrics } from './registry.js';

/**
 * What the metrics HTTP listener answers, as a plain function of the path:
 * src/server owns the socket (node:http) and calls this per request.
 * /metrics renders the registry; /health answers 200 'ok' while the node
 * serves, else 503 with one reason per line (a failing or stalled disk, a
 * cluster still forming), for load balancers and readiness probes; /live
 * answers 200 'ok' while the process answers at all, for liveness probes (a
 * node waiting for its cluster to form must not be restarted for it).
 * Anything else is 404.
 */
export interface MetricsResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export type MetricsHandler = (path: string) => Promise<MetricsResponse>;

const TEXT = 'text/plain; charset=utf-8';

export function metricsHandler(metrics: NodeMetrics, notServing: () => readonly string[] = () => []): MetricsHandler {
  return async (path) => {
    const route = path.split('?', 1)[0];
    if (route === '/metrics') {
      try {
        return { status: 200, contentType: metrics.contentType, body: await metrics.render() };
      } catch (e) {
        return { status: 500, contentType: TEXT, body: `metrics could not be rendered: ${e instanceof Error ? e.message : String(e)}\n` };
      }
    }
    if (route === '/health') {
      const reasons = notServing();
      if (reasons.length === 0) return { status: 200, contentType: TEXT, body: 'ok' };
      return { status: 503, contentType: TEXT, body: `not serving:\n${reasons.map((r) => `${r}\n`).join('')}` };
    }
    if (route === '/live') return { status: 200, contentType: TEXT, body: 'ok' };
    return { status: 404, contentType: TEXT, body: 'not found: try /metrics, /health or /live\n' };
  };
}
