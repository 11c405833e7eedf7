import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createAlertWebhook } from '../../../src/app/alert-webhook.ts';
import { createHttpServer, type Handler } from '../../../src/app/http.ts';
import type { ServiceSpec } from '../../../src/catalog/catalog.schemas.ts';
import { createCatalog } from '../../../src/catalog/catalog.ts';
import {
  createKubernetesEmulator,
  type KubernetesEmulator,
  sampleShopWorld,
} from '../../../src/dev/kubernetes-emulator/index.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import type { ManualClock } from '../../../src/shared/clock.ts';
import { startAlertmanager, type TestAlertmanager } from '../../helpers/alertmanager.ts';
import type { TestDatabase } from '../../helpers/database.ts';
import { gaugeText, startExporter, type TestExporter } from '../../helpers/exporter.ts';
import { startPrometheus, type TestPrometheus } from '../../helpers/prometheus.ts';
import { charterFromYaml, repoRoot } from '../../helpers/services.ts';
import {
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
} from '../../helpers/slack-harness.ts';
import { shippedIdentities } from '../tools/kubernetes/rbac.fixture.ts';

/** Canaries in every connection's secret: none may show up in a log, the audit, Slack or a prompt. */
export const SECRETS = {
  broker: 'CANARY-e2e-broker-9b1f47c3d2',
  webhook: 'CANARY-e2e-webhook-5e8a0c7f31',
  /** Not a connection's: printed by the application into its own logs. */
  database: 'CANARY-e2e-dbpass-2c6d8e0a47',
};
export const METRIC = 'checkout_error_ratio';
export const ALERT = 'CheckoutErrorRatioHigh';

/** checkout in production: the emulated cluster, the real Prometheus and Alertmanager. */
function checkoutService(): ServiceSpec {
  return {
    service: 'checkout',
    owner_channel: people.incidents,
    environments: {
      production: {
        kubernetes: {
          connection: 'prod-cluster',
          namespace: 'shop',
          deployment: 'checkout',
          pod_labels: { app: 'checkout' },
        },
        prometheus: { connection: 'prometheus', labels: { service: 'checkout' } },
        alertmanager: { connection: 'alertmanager', matchers: { service: 'checkout', env: 'production' } },
      },
    },
    queries: { error_ratio: `max(${METRIC}{$selector})` },
  };
}

/** The shipped real-systems charter, with alert runs in production allowed to ask for approvals. */
function triageCharter() {
  const text = readFileSync(`${repoRoot}/examples/charters/triage.yaml`, 'utf8');
  const production = '    alert_runs: { mode: read_only }\n';
  const at = text.lastIndexOf(production);
  if (at < 0) throw new Error('examples/charters/triage.yaml changed: no production alert_runs line');
  return charterFromYaml(
    `${text.slice(0, at)}    alert_runs: { mode: human_in_the_loop }\n${text.slice(at + production.length)}`,
    'triage.yaml',
  );
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A clock that follows real time, shaped like the tests' manual clock (which these tests never move). */
function realTimeClock(): ManualClock {
  return { now: () => new Date(), advance: () => {}, set: () => {} };
}

export type RealWorld = {
  slack: SlackEmulator;
  cluster: KubernetesEmulator;
  exporter: TestExporter;
  alertmanager: TestAlertmanager;
  prometheus: TestPrometheus;
  warden: WardenInstance;
  webhook: Server;
  stop: () => Promise<void>;
};

/**
 * Everything of the story running at once: the Kubernetes emulator seeded with checkout at
 * revision 2 (v2.14.0, just rolled out) after revision 1; a live error-ratio gauge that real Prometheus
 * scrapes and alerts on through real Alertmanager, whose webhook (with its bearer token) reaches Warden;
 * Warden on the Slack emulator with a catalog over all three and the offline planner.
 */
export async function startRealWorld({ database }: { database: TestDatabase }): Promise<RealWorld> {
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    // The seed puts the current revision a day before the cluster's "now": seeded 23 h 40 min ahead, the
    // rollout of v2.14.0 happened 20 minutes ago in real time, as the story needs.
    let offsetMs = 23 * HOUR + 40 * MINUTE;
    const cluster = createKubernetesEmulator({
      identities: shippedIdentities({ brokerToken: SECRETS.broker }),
      clock: () => Date.now() + offsetMs,
    });
    await cluster.start();
    stops.push(() => cluster.close());
    cluster.seed(sampleShopWorld());
    offsetMs = 0;
    const started = await startEmulator();
    const slack = started.emulator;
    stops.push(() => slack.stop());
    const exporter = await startExporter({ text: gaugeText(METRIC, 0, { service: 'checkout' }) });
    stops.push(() => exporter.stop());
    // Alertmanager needs Warden's webhook URL first: a server whose handler is set once Warden is up.
    let handle: Handler | null = null;
    const webhook = createHttpServer({
      routes: {
        'POST /webhooks/alertmanager': async (req, res) => {
          if (!handle) {
            res.writeHead(503).end();
            return;
          }
          await handle(req, res);
        },
      },
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    stops.push(() => new Promise<void>((resolve) => webhook.close(() => resolve())));
    const address = webhook.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const alertmanager = await startAlertmanager({
      webhookUrl: `http://127.0.0.1:${port}/webhooks/alertmanager`,
      bearerToken: SECRETS.webhook,
      groupBy: ['alertname', 'service', 'env'],
    });
    stops.push(() => alertmanager.stop());
    const prometheus = await startPrometheus({
      scrapeTargets: [exporter.target],
      alertmanagerUrl: alertmanager.url,
      rules: [
        {
          name: 'checkout',
          rules: [
            {
              alert: ALERT,
              expr: `${METRIC} > 0.05`,
              labels: { env: 'production', severity: 'page' },
              annotations: { summary: 'Checkout error ratio above 5%' },
            },
          ],
        },
      ],
    });
    stops.push(() => prometheus.stop());
    const catalog = createCatalog({
      services: [checkoutService()],
      connections: {
        'prod-cluster': {
          kind: 'kubernetes',
          url: cluster.url,
          token: { env: 'E2E_BROKER_TOKEN' },
          executor: { namespace: 'warden', read_account: 'warden-reader', write_account: 'warden-executor' },
        },
        prometheus: { kind: 'prometheus', url: prometheus.url },
        alertmanager: { kind: 'alertmanager', url: alertmanager.url },
      },
    });
    const warden = await startWarden({
      // Real time: Prometheus is queried at "now", and incidents open when the alert fired.
      clock: realTimeClock(),
      database,
      emulator: slack,
      apiUrl: started.apiUrl,
      instanceId: 'e2e-a',
      charters: [triageCharter()],
      catalog,
      env: { E2E_BROKER_TOKEN: SECRETS.broker, WARDEN_ALERTMANAGER_WEBHOOK_TOKEN: SECRETS.webhook },
    });
    stops.push(() => stopWarden(warden));
    slack.setWardenUrl(warden.url);
    handle = createAlertWebhook({
      services: warden.services,
      client: warden.surface.client,
      kick: warden.surface.sync.kick,
      token: SECRETS.webhook,
      agent: 'triage',
    }).handle;
    return { slack, cluster, exporter, alertmanager, prometheus, warden, webhook, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
