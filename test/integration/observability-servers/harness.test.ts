import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AlertmanagerWebhook,
  alertmanagerApi,
  startAlertmanager,
  type TestAlertmanager,
} from '../../helpers/alertmanager.ts';
import { gaugeText, startExporter, type TestExporter } from '../../helpers/exporter.ts';
import { alignedNow } from '../../helpers/metric-history.ts';
import {
  hasObservabilityServers,
  OBSERVABILITY_SKIP_REASON,
  queryPrometheus,
  startPrometheus,
  type TestPrometheus,
} from '../../helpers/prometheus.ts';
import { pollUntil } from '../../helpers/server-process.ts';
import { serviceHistory } from '../../helpers/service-history.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.ts';

if (!hasObservabilityServers) console.warn(OBSERVABILITY_SKIP_REASON);

type Sample = { metric: Record<string, string>; value: [number, string] };
type Series = { metric: Record<string, string>; values: [number, string][] };

const ERROR_RATIO =
  'sum by (service) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (service) (rate(http_requests_total[5m]))';
const MEAN_LATENCY =
  'sum by (service) (rate(http_request_duration_seconds_sum[5m])) / sum by (service) (rate(http_request_duration_seconds_count[5m]))';

describe.skipIf(!hasObservabilityServers)('Prometheus with backfilled history', () => {
  // Minute-aligned and a minute in the past: on the 15 s sample grid, and older than any live sample.
  const end = alignedNow(60) - 60;
  const rolloutAt = end - 2 * 3600;
  const before = { errorRatio: 0.01, latencySeconds: 0.05, readyReplicas: 3 };
  const after = { errorRatio: 0.25, latencySeconds: 0.4, readyReplicas: 2 };
  const steady = { errorRatio: 0.005 };
  let prometheus: TestPrometheus;

  beforeAll(async () => {
    prometheus = await startPrometheus({
      history: [
        serviceHistory({ service: 'checkout', namespace: 'shop', rolloutAt, before, after, end }),
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
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  async function instant(query: string, time: number): Promise<Record<string, number>> {
    const data = await queryPrometheus<{ result: Sample[] }>(prometheus, 'query', { query, time });
    return Object.fromEntries(data.result.map((s) => [s.metric.service ?? '', Number(s.value[1])]));
  }

  it('answers an instant query with the error ratio before, across and after the rollout', async () => {
    const ratios = {
      atRollout: await instant(ERROR_RATIO, rolloutAt),
      // The 5 m window ending here holds 10 steps of each phase.
      halfway: await instant(ERROR_RATIO, rolloutAt + 150),
      fiveMinutesLater: await instant(ERROR_RATIO, rolloutAt + 300),
    };
    expect(ratios.atRollout.checkout).toBeCloseTo(before.errorRatio, 12);
    expect(ratios.halfway.checkout).toBeCloseTo((before.errorRatio + after.errorRatio) / 2, 12);
    expect(ratios.fiveMinutesLater.checkout).toBeCloseTo(after.errorRatio, 12);
    for (const at of Object.values(ratios)) expect(at.payments).toBeCloseTo(steady.errorRatio, 12);
  });

  it('answers a range query whose checkout error ratio jumps exactly at the rollout', async () => {
    const data = await queryPrometheus<{ result: Series[] }>(prometheus, 'query_range', {
      query: ERROR_RATIO,
      start: rolloutAt - 1800,
      end: rolloutAt + 1800,
      step: 300,
    });
    const bySeries = Object.fromEntries(data.result.map((s) => [s.metric.service ?? '', s.values]));
    const checkout = bySeries.checkout ?? [];
    expect(checkout.map(([time]) => time)).toEqual(
      Array.from({ length: 13 }, (_, i) => rolloutAt - 1800 + i * 300),
    );
    for (const [time, value] of checkout) {
      expect(Number(value)).toBeCloseTo(time <= rolloutAt ? before.errorRatio : after.errorRatio, 12);
    }
    expect(bySeries.payments).toHaveLength(13);
    for (const [, value] of bySeries.payments ?? []) expect(Number(value)).toBeCloseTo(steady.errorRatio, 12);
  });

  it('holds the latency histogram and the deployment gauges of each phase', async () => {
    expect((await instant(MEAN_LATENCY, rolloutAt)).checkout).toBeCloseTo(before.latencySeconds, 12);
    expect((await instant(MEAN_LATENCY, rolloutAt + 300)).checkout).toBeCloseTo(after.latencySeconds, 12);
    // Every request after the rollout falls in the (0.25, 0.5] bucket: the median interpolates to its middle.
    const median = await instant(
      'histogram_quantile(0.5, sum by (service, le) (rate(http_request_duration_seconds_bucket[5m])))',
      rolloutAt + 300,
    );
    expect(median.checkout).toBeCloseTo(0.375, 12);

    const ready = 'kube_deployment_status_replicas_ready{deployment="checkout"}';
    expect(Object.values(await instant(ready, rolloutAt))).toEqual([before.readyReplicas]);
    expect(Object.values(await instant(ready, rolloutAt + 15))).toEqual([after.readyReplicas]);
    const rollouts = 'changes(kube_deployment_status_observed_generation[1h])';
    const generations = await queryPrometheus<{ result: Sample[] }>(prometheus, 'query', {
      query: rollouts,
      time: rolloutAt + 1800,
    });
    expect(generations.result.map((s) => [s.metric.deployment, Number(s.value[1])]).sort()).toEqual([
      ['checkout', 1],
      ['payments', 1],
    ]);
  });
});

describe.skipIf(!hasObservabilityServers)('a Prometheus rule on live metrics, through Alertmanager', () => {
  const BEARER = 'test-alertmanager-bearer-3b9f';
  const METRIC = 'warden_test_error_ratio';
  let receiver: WebhookReceiver;
  let alertmanager: TestAlertmanager;
  let exporter: TestExporter;
  let prometheus: TestPrometheus;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    alertmanager = await startAlertmanager({
      webhookUrl: `${receiver.url}/webhooks/alertmanager`,
      bearerToken: BEARER,
    });
    exporter = await startExporter({ text: gaugeText(METRIC, 0, { service: 'checkout' }) });
    prometheus = await startPrometheus({
      scrapeTargets: [exporter.target],
      alertmanagerUrl: alertmanager.url,
      rules: [
        {
          name: 'warden-test',
          rules: [
            {
              alert: 'CheckoutErrorRatioHigh',
              expr: `${METRIC} > 0.1`,
              labels: { severity: 'page' },
              annotations: { summary: 'checkout is failing {{ $value }} of requests' },
            },
          ],
        },
      ],
    });
  });
  afterAll(async () => {
    await Promise.allSettled([prometheus?.stop(), alertmanager?.stop(), exporter?.stop(), receiver?.stop()]);
  });

  type RulesData = { groups: { rules: { state: string; health: string; lastEvaluation: string }[] }[] };
  const webhookWith = (status: 'firing' | 'resolved') => () =>
    receiver.received.find((hook) => (hook.body as AlertmanagerWebhook).status === status);

  it('fires when the live metric crosses the threshold, and the webhook gets the group with the bearer', async () => {
    const scrapedAt = await pollUntil(
      async () => {
        const data = await queryPrometheus<{ result: Sample[] }>(prometheus, 'query', { query: METRIC });
        return data.result.length === 1 && Date.now();
      },
      { what: 'the first scrape of the exporter' },
    );
    await pollUntil(
      async () => {
        const [rule] = (await queryPrometheus<RulesData>(prometheus, 'rules')).groups[0]?.rules ?? [];
        return (
          rule?.health === 'ok' && Date.parse(rule.lastEvaluation) > scrapedAt && rule.state === 'inactive'
        );
      },
      { what: 'an evaluation of the rule on the low value' },
    );
    expect(receiver.received).toEqual([]);

    exporter.set(gaugeText(METRIC, 0.3, { service: 'checkout' }));
    const hook = await pollUntil(webhookWith('firing'), { what: 'the firing webhook' });
    expect(hook.path).toBe('/webhooks/alertmanager');
    expect(hook.headers.authorization).toBe(`Bearer ${BEARER}`);
    const body = hook.body as AlertmanagerWebhook;
    expect(body).toMatchObject({
      version: '4',
      receiver: 'warden',
      groupLabels: { alertname: 'CheckoutErrorRatioHigh' },
    });
    expect(body.alerts).toHaveLength(1);
    expect(body.alerts[0]).toMatchObject({
      status: 'firing',
      labels: { alertname: 'CheckoutErrorRatioHigh', service: 'checkout', severity: 'page', job: 'test' },
      annotations: { summary: 'checkout is failing 0.3 of requests' },
    });

    exporter.set(gaugeText(METRIC, 0, { service: 'checkout' }));
    const resolved = await pollUntil(webhookWith('resolved'), { what: 'the resolved webhook' });
    expect((resolved.body as AlertmanagerWebhook).alerts[0]?.labels.alertname).toBe('CheckoutErrorRatioHigh');
  });
});

describe.skipIf(!hasObservabilityServers)('silences on a real Alertmanager (API v2)', () => {
  let alertmanager: TestAlertmanager;

  beforeAll(async () => {
    alertmanager = await startAlertmanager();
  });
  afterAll(async () => {
    await alertmanager?.stop();
  });

  type Silence = {
    id: string;
    status: { state: string };
    matchers: unknown[];
    createdBy: string;
    comment: string;
  };
  type ApiAlert = { labels: Record<string, string>; status: { state: string; silencedBy: string[] } };

  it('creates a silence, lists it as active, suppresses the matching alert only, and expires it', async () => {
    const matchers = [
      { name: 'alertname', value: 'CheckoutErrorRatioHigh', isRegex: false, isEqual: true },
      { name: 'service', value: 'checkout', isRegex: false, isEqual: true },
    ];
    const now = Date.now();
    const { silenceID } = await alertmanagerApi<{ silenceID: string }>(alertmanager, 'silences', {
      method: 'POST',
      body: {
        matchers,
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + 3600_000).toISOString(),
        createdBy: 'warden',
        comment: 'approved in Slack by U0REVIEWER for run r-1',
      },
    });
    expect(silenceID).toMatch(/^[0-9a-f-]{36}$/);

    const listed = await alertmanagerApi<Silence[]>(alertmanager, 'silences');
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      id: silenceID,
      status: { state: 'active' },
      createdBy: 'warden',
      comment: 'approved in Slack by U0REVIEWER for run r-1',
    });
    expect(listed[0]?.matchers).toEqual(
      expect.arrayContaining(matchers.map((m) => expect.objectContaining(m))),
    );

    const endsAt = new Date(now + 600_000).toISOString();
    await alertmanagerApi(alertmanager, 'alerts', {
      method: 'POST',
      body: ['checkout', 'payments'].map((service) => ({
        labels: { alertname: 'CheckoutErrorRatioHigh', service },
        endsAt,
      })),
    });
    const alerts = await pollUntil(
      async () => {
        const all = await alertmanagerApi<ApiAlert[]>(alertmanager, 'alerts');
        return all.length === 2 && all;
      },
      { what: 'both alerts in Alertmanager' },
    );
    const stateOf = (service: string) => alerts.find((a) => a.labels.service === service)?.status;
    expect(stateOf('checkout')).toEqual({ state: 'suppressed', silencedBy: [silenceID], inhibitedBy: [] });
    expect(stateOf('payments')).toMatchObject({ state: 'active', silencedBy: [] });

    await alertmanagerApi(alertmanager, `silence/${silenceID}`, { method: 'DELETE' });
    const expired = await alertmanagerApi<Silence>(alertmanager, `silence/${silenceID}`);
    expect(expired.status.state).toBe('expired');
  });
});
