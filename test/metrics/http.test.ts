import t from 'tap';
import { metricsHandler } from '../../src/metrics/http.js';
import { NodeMetrics } from '../../src/metrics/registry.js';

t.test('/metrics renders, /health answers ok, the rest is 404', async (t) => {
  const m = new NodeMetrics({ nodeId: 'h', processMetrics: false });
  m.observeCommand('ping', 'ok', 0.0001);
  const handle = metricsHandler(m);

  const metrics = await handle('/metrics');
  t.equal(metrics.status, 200);
  t.equal(metrics.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  t.match(metrics.body, /quorumkv_commands_total\{command="ping",result="ok",node="h"\} 1/);

  const withQuery = await handle('/metrics?name[]=x');
  t.equal(withQuery.status, 200);

  t.same(await handle('/health'), { status: 200, contentType: 'text/plain; charset=utf-8', body: 'ok' });

  for (const path of ['/', '/metrics/', '/METRICS', '/healthz', '']) {
    const r = await handle(path);
    t.equal(r.status, 404, `${path} is not found`);
    t.equal(r.contentType, 'text/plain; charset=utf-8');
  }
});

t.test('a rendering failure is a 500 with the reason', async (t) => {
  class Broken extends NodeMetrics {
    override render(): Promise<string> {
      return Promise.reject(new Error('collector failed'));
    }
  }
  const r = await metricsHandler(new Broken({ nodeId: 'x', processMetrics: false }))('/metrics');
  t.equal(r.status, 500);
  t.match(r.body, /collector failed/);

  class Weird extends NodeMetrics {
    override render(): Promise<string> {
      return Promise.reject('plain');
    }
  }
  t.match((await metricsHandler(new Weird({ nodeId: 'y', processMetrics: false }))('/metrics')).body, /plain/);
});

t.test('the module index exports the public API', async (t) => {
  const api = await import('../../src/metrics/index.js');
  for (const name of ['NodeMetrics', 'metricsHandler', 'METRICS', 'LATENCY_BUCKETS', 'METRIC_PREFIX']) t.ok(name in api, name);
});

t.test('/health answers 503 with each reason while the node does not serve; /live stays ok', async (t) => {
  let reasons: string[] = ['storage write failed: I/O error', 'cluster is forming: 1 of 3 members known so far'];
  const handle = metricsHandler(new NodeMetrics({ nodeId: 'h', processMetrics: false }), () => reasons);
  t.same(await handle('/health'), {
    status: 503,
    contentType: 'text/plain; charset=utf-8',
    body: 'not serving:\nstorage write failed: I/O error\ncluster is forming: 1 of 3 members known so far\n',
  });
  t.same(await handle('/live'), { status: 200, contentType: 'text/plain; charset=utf-8', body: 'ok' });
  reasons = [];
  t.same(await handle('/health'), { status: 200, contentType: 'text/plain; charset=utf-8', body: 'ok' });
});
