import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { type MetricHistory, renderOpenMetrics } from './metric-history.ts';
import { findBinary, makeTempDir, startServerProcess } from './server-process.ts';

/** Debian's binaries (`apt-get install prometheus prometheus-alertmanager`; `.ci/run` installs them). */
export const observabilityBinaries = {
  prometheus: findBinary(['prometheus']),
  promtool: findBinary(['promtool']),
  alertmanager: findBinary(['prometheus-alertmanager', 'alertmanager']),
};
export const hasObservabilityServers = Object.values(observabilityBinaries).every(Boolean);
export const OBSERVABILITY_SKIP_REASON =
  'Skipping the Prometheus/Alertmanager tests: prometheus, promtool or prometheus-alertmanager is missing. ' +
  'Install them with "apt-get install -y --no-install-recommends prometheus prometheus-alertmanager" (.ci/run does).';

export type AlertingRule = {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};
export type RecordingRule = { record: string; expr: string; labels?: Record<string, string> };
export type RuleGroup = { name: string; interval?: string; rules: (AlertingRule | RecordingRule)[] };

export type PrometheusOptions = {
  /** Past samples, backfilled before start: OpenMetrics text, or builder output (see `serviceHistory`). */
  history?: string | MetricHistory | MetricHistory[];
  /** Rule groups (or a rules file's YAML), evaluated every second unless a group says otherwise. */
  rules?: RuleGroup[] | string;
  /** Where firing alerts go, e.g. `startAlertmanager().url`. */
  alertmanagerUrl?: string;
  /**
   * `host:port` targets scraped every second as job `test` (see `startExporter`). The first scrape comes
   * ~5 s after ready: Prometheus hands discovered targets to its scrapers every 5 s.
   */
  scrapeTargets?: string[];
};

export type TestPrometheus = {
  url: string;
  /** The TSDB directory (inside a temp dir that `stop()` removes). */
  dataDir: string;
  output: () => string;
  stop: () => Promise<void>;
};

const run = promisify(execFile);

/**
 * A real Prometheus on a free 127.0.0.1 port with a fresh data dir, ready (`/-/ready`) when this resolves.
 * History is written as TSDB blocks by promtool before the server starts, so it is there on the first
 * query. It must end before now: the newest block's end becomes the head's lower bound, and a live sample
 * older than that would be rejected as out of bounds.
 */
export async function startPrometheus(options: PrometheusOptions = {}): Promise<TestPrometheus> {
  const { prometheus, promtool } = observabilityBinaries;
  if (!prometheus || !promtool) throw new Error(OBSERVABILITY_SKIP_REASON);
  const dir = makeTempDir('warden-prometheus');
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  try {
    if (options.history) await backfill({ promtool, history: options.history, dir, dataDir });
    if (options.rules) {
      const text = typeof options.rules === 'string' ? options.rules : stringify({ groups: options.rules });
      writeFileSync(join(dir, 'rules.yml'), text);
    }
    writeFileSync(join(dir, 'prometheus.yml'), stringify(prometheusConfig(options)));
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const server = await startServerProcess({
    name: 'Prometheus',
    binary: prometheus,
    dir,
    args: (port) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Explicit, so backfilled history of a few days is never dropped by a changed default.
      '--storage.tsdb.retention.time=30d',
      '--log.level=warn',
    ],
    isOurs: async (url) => {
      const flags = await queryPrometheus<Record<string, string>>({ url }, 'status/flags');
      return flags['storage.tsdb.path'] === dataDir;
    },
  });
  return { url: server.url, dataDir, output: server.output, stop: server.stop };
}

async function backfill({
  promtool,
  history,
  dir,
  dataDir,
}: {
  promtool: string;
  history: NonNullable<PrometheusOptions['history']>;
  dir: string;
  dataDir: string;
}): Promise<void> {
  const text = typeof history === 'string' ? history : renderOpenMetrics([history].flat());
  const latest = latestTimestamp(text);
  if (latest * 1000 > Date.now()) {
    throw new Error(
      `startPrometheus: history ends at ${latest}, in the future; live samples would be rejected`,
    );
  }
  const file = join(dir, 'history.om');
  writeFileSync(file, text);
  try {
    await run(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, dataDir], {
      timeout: 120_000,
    });
  } catch (error) {
    const { stderr = '', stdout = '' } = error as { stderr?: string; stdout?: string };
    throw new Error(`promtool could not backfill ${file}: ${stderr || stdout || String(error)}`);
  }
}

/** The newest timestamp (unix seconds) in OpenMetrics text: the last field of each sample line. */
function latestTimestamp(text: string): number {
  let latest = Number.NEGATIVE_INFINITY;
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const time = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(time)) latest = Math.max(latest, time);
  }
  return latest;
}

function prometheusConfig({ rules, alertmanagerUrl, scrapeTargets }: PrometheusOptions) {
  const config: Record<string, unknown> = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
  };
  if (rules) config.rule_files = ['rules.yml'];
  if (scrapeTargets?.length) {
    config.scrape_configs = [{ job_name: 'test', static_configs: [{ targets: scrapeTargets }] }];
  }
  if (alertmanagerUrl) {
    const url = new URL(alertmanagerUrl);
    config.alerting = {
      alertmanagers: [
        {
          api_version: 'v2',
          scheme: url.protocol.replace(':', ''),
          path_prefix: url.pathname,
          static_configs: [{ targets: [url.host] }],
        },
      ],
    };
  }
  return config;
}

/** Prometheus HTTP API `GET /api/v1/<path>`: the `data` of a success, or an error naming the query. */
export async function queryPrometheus<T = unknown>(
  prometheus: { url: string },
  path: string,
  params: Record<string, string | number> = {},
): Promise<T> {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  const response = await fetch(`${prometheus.url}/api/v1/${path}?${query}`, {
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as { status: string; data?: T; error?: string };
  if (body.status !== 'success')
    throw new Error(`Prometheus ${path} ${query}: ${body.error ?? response.status}`);
  return body.data as T;
}
