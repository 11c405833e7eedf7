import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { OBSERVABILITY_SKIP_REASON, observabilityBinaries } from './prometheus.ts';
import { makeTempDir, startServerProcess } from './server-process.ts';

export type AlertmanagerOptions = {
  /** Where the one receiver POSTs alert groups (Warden's `/webhooks/alertmanager`); none when omitted. */
  webhookUrl?: string;
  /** Sent as `Authorization: Bearer …` on every webhook (Alertmanager does not sign its requests). */
  bearerToken?: string;
  /** Route `group_by` (default `['alertname']`). */
  groupBy?: string[];
  sendResolved?: boolean;
};

export type TestAlertmanager = {
  url: string;
  output: () => string;
  stop: () => Promise<void>;
};

/**
 * A real Alertmanager on a free 127.0.0.1 port: gossip off (`--cluster.listen-address=`), a fresh
 * `--storage.path`, and one route to the webhook with 1 s `group_wait`/`group_interval`, so a firing
 * alert reaches the receiver in a few seconds.
 */
export async function startAlertmanager(options: AlertmanagerOptions = {}): Promise<TestAlertmanager> {
  const { alertmanager } = observabilityBinaries;
  if (!alertmanager) throw new Error(OBSERVABILITY_SKIP_REASON);
  const dir = makeTempDir('warden-alertmanager');
  const configFile = join(dir, 'alertmanager.yml');
  // The template glob matches nothing; it names this instance's dir in its config (see `isOurs`).
  const config = { ...alertmanagerConfig(options), templates: [join(dir, 'templates', '*.tmpl')] };
  writeFileSync(configFile, stringify(config));
  const server = await startServerProcess({
    name: 'Alertmanager',
    binary: alertmanager,
    dir,
    args: (port) => [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    isOurs: async (url) => {
      const status = await alertmanagerApi<{ config: { original: string } }>({ url }, 'status');
      return status.config.original.includes(dir);
    },
  });
  return { url: server.url, output: server.output, stop: server.stop };
}

function alertmanagerConfig({ webhookUrl, bearerToken, groupBy, sendResolved = true }: AlertmanagerOptions) {
  const webhook = webhookUrl && {
    url: webhookUrl,
    send_resolved: sendResolved,
    ...(bearerToken && { http_config: { authorization: { type: 'Bearer', credentials: bearerToken } } }),
  };
  return {
    route: {
      receiver: 'warden',
      group_by: groupBy ?? ['alertname'],
      group_wait: '1s',
      group_interval: '1s',
      repeat_interval: '1h',
    },
    receivers: [{ name: 'warden', ...(webhook && { webhook_configs: [webhook] }) }],
  };
}

/** An alert as Alertmanager's webhook (payload version 4) and its API v2 describe it. */
export type WebhookAlert = {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
};

/** The body Alertmanager POSTs to a webhook receiver. */
export type AlertmanagerWebhook = {
  version: string;
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
};

/** Alertmanager API v2 (`/api/v2/<path>`): the parsed JSON body, or an error with the status and text. */
export async function alertmanagerApi<T = unknown>(
  alertmanager: { url: string },
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<T> {
  const response = await fetch(`${alertmanager.url}/api/v2/${path}`, {
    method: init.method ?? 'GET',
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`Alertmanager ${init.method ?? 'GET'} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
