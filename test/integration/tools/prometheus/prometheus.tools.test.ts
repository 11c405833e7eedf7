import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceSchema } from '../../../../src/catalog/catalog.schemas.ts';
import { judgeHealth } from '../../../../src/tools/prometheus/service-health.ts';
import type { MetricHistory } from '../../../helpers/metric-history.ts';
import { alignedNow } from '../../../helpers/metric-history.ts';
import {
  hasObservabilityServers,
  OBSERVABILITY_SKIP_REASON,
  startPrometheus,
  type TestPrometheus,
} from '../../../helpers/prometheus.ts';
import { freePort } from '../../../helpers/server-process.ts';
import { serviceHistory } from '../../../helpers/service-history.ts';
import { type CatalogHarness, createCatalogHarness } from '../catalog.harness.ts';

if (!hasObservabilityServers) console.warn(OBSERVABILITY_SKIP_REASON);

const CANARY = 'canary-prometheus-token-4f8a2c6e1b';
const QUERIES = {
  error_ratio:
    'sum(rate(http_requests_total{$selector,code=~"5.."}[5m])) / sum(rate(http_requests_total{$selector}[5m]))',
  latency_p99:
    'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{$selector}[5m])))',
  request_rate: 'sum(rate(http_requests_total{$selector}[5m]))',
  ready_pods: 'sum(kube_deployment_status_replicas_ready{$selector})',
  by_code: 'sum by (code) (rate(http_requests_total{$selector}[5m]))',
  broken: 'sum(rate(http_requests_total{$selector}[5m])',
};

/** A ready-replicas gauge under the traffic labels, so the catalog's `$selector` finds it. */
function readyGauge({ service, history, ready }: { service: string; history: MetricHistory; ready: number }) {
  const points: [number, number][] = [];
  for (let t = history.start; t <= history.end; t += 15) points.push([t, ready]);
  return {
    start: history.start,
    end: history.end,
    families: [
      {
        name: 'kube_deployment_status_replicas_ready',
        type: 'gauge' as const,
        help: 'Ready replicas.',
        series: [
          { name: 'kube_deployment_status_replicas_ready', labels: { service, namespace: 'shop' }, points },
        ],
      },
    ],
  };
}

describe.skipIf(!hasObservabilityServers)('the Prometheus tools on a real Prometheus', () => {
  // Minute-aligned and in the past (backfilled history must end before now); the rollout 15 min before.
  const end = alignedNow(60) - 60;
  const rolloutAt = end - 15 * 60;
  const before = { errorRatio: 0.01, latencySeconds: 0.05 };
  const after = { errorRatio: 0.25, latencySeconds: 0.4 };
  let prometheus: TestPrometheus;
  let harness: CatalogHarness;

  beforeAll(async () => {
    const checkout = serviceHistory({
      service: 'checkout',
      namespace: 'shop',
      rolloutAt,
      before,
      after,
      end,
    });
    const steady = { errorRatio: 0.005 };
    prometheus = await startPrometheus({
      history: [
        checkout,
        readyGauge({ service: 'checkout', history: checkout, ready: 3 }),
        serviceHistory({
          service: 'payments',
          namespace: 'shop',
          rolloutAt,
          before: steady,
          after: steady,
          end,
        }),
      ],
    });
    const down = await freePort();
    harness = await createCatalogHarness({
      services: [
        serviceSchema.parse({
          service: 'checkout',
          owner_channel: 'C0CHECKOUT',
          environments: {
            production: {
              prometheus: { connection: 'prometheus', labels: { service: 'checkout', namespace: 'shop' } },
            },
            staging: {},
          },
          queries: QUERIES,
        }),
        serviceSchema.parse({
          service: 'payments',
          owner_channel: 'C0PAYMENTS',
          environments: {
            production: {
              prometheus: { connection: 'prometheus', labels: { service: 'payments', namespace: 'shop' } },
            },
          },
          queries: { error_ratio: QUERIES.error_ratio },
        }),
        serviceSchema.parse({
          service: 'search',
          owner_channel: 'C0SEARCH',
          environments: {
            production: { prometheus: { connection: 'prometheus-down', labels: { service: 'search' } } },
          },
          queries: { error_ratio: QUERIES.error_ratio },
        }),
      ],
      connections: {
        prometheus: {
          kind: 'prometheus',
          url: prometheus.url,
          auth: { bearer: { env: 'PROMETHEUS_TOKEN' } },
        },
        'prometheus-down': { kind: 'prometheus', url: `http://127.0.0.1:${down}` },
      },
      env: { PROMETHEUS_TOKEN: CANARY },
    });
    harness.clock.set(new Date(end * 1000));
  });
  afterAll(async () => {
    await harness?.close();
    await prometheus?.stop();
  });

  it('query_metric reads the current value of a named query', async () => {
    const result = await harness.call('query_metric', { service: 'checkout', query: 'error_ratio' });
    expect(result.data).toMatchObject({
      service: 'checkout',
      environment: 'production',
      query: 'error_ratio',
      at: new Date(end * 1000).toISOString(),
      series: [{ labels: {}, value: 0.25 }],
      truncated: false,
    });
    expect(result.data.promql).toContain('service="checkout"');
    expect(result.summary).toBe(
      `checkout error_ratio in production at ${new Date(end * 1000).toISOString()}: 0.25`,
    );

    const byCode = await harness.call('query_metric', { service: 'checkout', query: 'by_code' });
    expect(byCode.data.series).toEqual(
      expect.arrayContaining([
        { labels: { code: '200' }, value: 10 },
        { labels: { code: '500' }, value: 3.33333 },
      ]),
    );
  });

  it('query_metric over the last 30 minutes shows the jump at the rollout', async () => {
    const result = await harness.call('query_metric', {
      service: 'checkout',
      query: 'error_ratio',
      range_minutes: 30,
      step_seconds: 60,
    });
    const series = result.data.series as { points: { at: string; value: number }[] }[];
    expect(series).toHaveLength(1);
    const points = series[0]!.points;
    expect(points).toHaveLength(31);
    expect(points[0]).toEqual({ at: new Date((end - 1800) * 1000).toISOString(), value: 0.01 });
    expect(points.at(-1)).toEqual({ at: new Date(end * 1000).toISOString(), value: 0.25 });
    for (const { at, value } of points) {
      const time = Date.parse(at) / 1000;
      if (time <= rolloutAt) expect(value).toBe(0.01);
      if (time >= rolloutAt + 300) expect(value).toBe(0.25);
    }
    expect(result.summary).toContain('0.01 → 0.25');

    const byDefault = await harness.call('query_metric', {
      service: 'checkout',
      query: 'error_ratio',
      range_minutes: 60,
    });
    expect(byDefault.data.stepSeconds).toBe(60);
    expect((byDefault.data.series as { points: unknown[] }[])[0]?.points).toHaveLength(61);
  });

  it('query_metric refuses a name the service does not have, listing those it has', async () => {
    await expect(
      harness.call('query_metric', { service: 'payments', query: 'latency_p99' }),
    ).rejects.toMatchObject({
      code: 'catalog.unknown_query',
      message: 'payments has no query named "latency_p99" (it has error_ratio).',
    });
  });

  it('query_metric reports a catalog query Prometheus cannot parse with its parser text', async () => {
    await expect(
      harness.call('query_metric', { service: 'checkout', query: 'broken' }),
    ).rejects.toMatchObject({
      code: 'system.rejected',
      message: expect.stringMatching(/^prometheus rejected the query: .*parse error/),
    });
  });

  it.each([
    [{ service: 'checkout', query: 'sum(up)' }],
    [{ service: 'checkout', query: 'error_ratio', step_seconds: 60 }],
    [{ service: 'checkout', query: 'error_ratio', range_minutes: 361 }],
    [{ service: 'checkout', query: 'error_ratio', range_minutes: 5, step_seconds: 5 }],
    [{ service: 'checkout', query: 'error_ratio', promql: 'up' }],
  ])('query_metric refuses %j before asking Prometheus', async (args) => {
    await expect(harness.call('query_metric', args)).rejects.toMatchObject({ code: 'tools.invalid_input' });
  });

  it('get_service_health finds checkout degraded, with the jump after the rollout in its trend', async () => {
    const result = await harness.call('get_service_health', { service: 'checkout' });
    expect(result.data).toMatchObject({
      service: 'checkout',
      environment: 'production',
      errorRatio: 0.25,
      latencyP99Seconds: 0.4975,
      requestRate: 13.3333,
      readyPods: 3,
      health: 'degraded',
      reasons: ['error ratio 25.0% ≥ 5.0%'],
      missingQueries: [],
      problems: [],
    });
    const trend = result.data.errorRatioTrend as { at: string; value: number }[];
    expect(trend).toHaveLength(31);
    expect(trend[0]?.value).toBe(0.01);
    expect(trend.at(-1)?.value).toBe(0.25);
    expect(result.summary).toBe(
      'checkout in production: degraded; error ratio 25.0% (1.0% 30 min ago), p99 0.4975 s, 13.3333 req/s, 3 ready pods',
    );
    expect(JSON.stringify(result)).not.toContain(CANARY);
  });

  it('get_service_health finds checkout healthy before the rollout', async () => {
    harness.clock.set(new Date(rolloutAt * 1000));
    try {
      const result = await harness.call('get_service_health', { service: 'checkout' });
      expect(result.data).toMatchObject({ errorRatio: 0.01, latencyP99Seconds: 0.04975, health: 'healthy' });
    } finally {
      harness.clock.set(new Date(end * 1000));
    }
  });

  it('get_service_health leaves facts without a catalog query null', async () => {
    const result = await harness.call('get_service_health', { service: 'payments' });
    expect(result.data).toMatchObject({
      errorRatio: 0.005,
      latencyP99Seconds: null,
      requestRate: null,
      readyPods: null,
      health: 'healthy',
      missingQueries: ['latency_p99', 'request_rate', 'ready_pods'],
    });
  });

  it('get_service_health says Prometheus is unreachable, naming the connection', async () => {
    await expect(harness.call('get_service_health', { service: 'search' })).rejects.toMatchObject({
      code: 'system.unreachable',
      message: 'prometheus-down is unreachable (ECONNREFUSED).',
    });
  });

  it.each(['query_metric', 'get_service_health'])(
    '%s refuses a service or environment the catalog does not know',
    async (tool) => {
      const args = { service: 'checkout', ...(tool === 'query_metric' && { query: 'error_ratio' }) };
      await expect(harness.call(tool, { ...args, service: 'billing' })).rejects.toMatchObject({
        code: 'catalog.unknown_target',
      });
      await expect(harness.call(tool, args, { environment: 'qa' })).rejects.toMatchObject({
        code: 'catalog.unknown_target',
      });
      await expect(harness.call(tool, args, { environment: 'staging' })).rejects.toMatchObject({
        code: 'catalog.no_system',
        message: 'The service catalog names no Prometheus for checkout in staging.',
      });
    },
  );
});

describe('the health verdict', () => {
  const known = { errorRatio: 0.01, latencyP99Seconds: 0.2, requestRate: 10, readyPods: 3 };
  it.each([
    [known, 'healthy'],
    [{ ...known, errorRatio: 0.05 }, 'degraded'],
    [{ ...known, latencyP99Seconds: 1.5 }, 'degraded'],
    [{ ...known, errorRatio: 0.6 }, 'down'],
    [{ ...known, readyPods: 0 }, 'down'],
    [{ ...known, errorRatio: null }, 'healthy'],
    [{ ...known, errorRatio: null, latencyP99Seconds: null }, 'unknown'],
    [{ errorRatio: null, latencyP99Seconds: null, requestRate: null, readyPods: 0 }, 'down'],
  ] as const)('%j is %s', (facts, health) => {
    expect(judgeHealth(facts).health).toBe(health);
  });
});
