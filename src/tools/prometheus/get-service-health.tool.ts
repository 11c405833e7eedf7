import { z } from 'zod';
import type { ServiceTarget } from '../../catalog/catalog.ts';
import { isWardenError } from '../../shared/errors.ts';
import type { PrometheusClient } from '../../systems/prometheus.client.ts';
import { catalogServiceSchema, catalogTool } from '../catalog.calls.ts';
import { READ_TOOL } from '../define.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { finiteValue, prometheusFor } from './prometheus.calls.ts';
import {
  HEALTH_QUERIES,
  HEALTH_THRESHOLDS,
  type HealthFact,
  type HealthFacts,
  judgeHealth,
  percent,
} from './service-health.ts';

const input = z.strictObject({
  service: catalogServiceSchema.describe('The service to inspect, such as checkout.'),
});

/** The catalog world's get_service_health: the service's golden signals from Prometheus, judged. */
export const serviceHealthInfo = {
  name: 'get_service_health',
  description:
    'Read the current health of a service in the target environment from its metrics: error ratio, p99 latency, request rate, ready pods, the error ratio over the last 30 minutes (to see a jump after a rollout), and a verdict (healthy, degraded, down or unknown) with its reasons.',
  input,
  ...READ_TOOL,
} as const;

/** How far back the error-ratio trend reaches, and its step. */
const TREND_MINUTES = 30;
const TREND_STEP_SECONDS = 60;
/** Each query's time limit: health is a quick look, not an analysis. */
const QUERY_TIMEOUT_SECONDS = 10;

/** How several series of one fact become one number: the worst for ratios and latency, the total for counts. */
const COMBINE: Record<HealthFact, (values: number[]) => number> = {
  errorRatio: (v) => Math.max(...v),
  latencyP99Seconds: (v) => Math.max(...v),
  requestRate: (v) => v.reduce((a, b) => a + b, 0),
  readyPods: (v) => v.reduce((a, b) => a + b, 0),
};

type Read = {
  client: PrometheusClient;
  target: ServiceTarget;
  deps: ToolDeps;
  now: Date;
  signal: AbortSignal;
};

/** Builds get_service_health (catalog world) with its executor. */
export function createServiceHealthTool(deps: ToolDeps) {
  return catalogTool({
    info: serviceHealthInfo,
    deps,
    run: async ({ context, target }) => {
      const read: Read = {
        client: prometheusFor({ target, deps }),
        target,
        deps,
        now: deps.clock.now(),
        signal: context.signal,
      };
      const problems: string[] = [];
      const facts = {} as HealthFacts;
      const entries = Object.entries(HEALTH_QUERIES) as [HealthFact, string][];
      const [, trend] = await Promise.all([
        Promise.all(
          entries.map(async ([fact, query]) => {
            facts[fact] = await readFact({ read, fact, query, problems });
          }),
        ),
        readTrend({ read, problems }),
      ]);
      const { health, reasons } = judgeHealth(facts);
      const missing = entries
        .filter(([, query]) => !Object.hasOwn(target.queries, query))
        .map(([, query]) => query);
      return {
        summary: describeHealth({ target, facts, health, trend }),
        data: {
          service: target.service,
          environment: target.environment,
          at: read.now.toISOString(),
          ...facts,
          errorRatioTrend: trend,
          health,
          reasons,
          thresholds: HEALTH_THRESHOLDS,
          missingQueries: missing,
          problems,
        },
      };
    },
  });
}

/** One fact at `now`; null when the catalog has no such query, there is no data, or the query is refused. */
async function readFact({
  read,
  fact,
  query,
  problems,
}: {
  read: Read;
  fact: HealthFact;
  query: string;
  problems: string[];
}): Promise<number | null> {
  const promql = renderedQuery({ read, query });
  if (promql === null) return null;
  try {
    const result = await read.client.instant({
      promql,
      time: read.now,
      timeoutSeconds: QUERY_TIMEOUT_SECONDS,
      signal: read.signal,
    });
    const values = result.samples.map((s) => s.value).filter(Number.isFinite);
    return values.length ? finiteValue(COMBINE[fact](values)) : null;
  } catch (error) {
    // A catalog query Prometheus cannot run is the catalog's mistake: say so, keep the other facts.
    if (!isWardenError(error, 'system.rejected')) throw error;
    problems.push(`${query}: ${error.message}`);
    return null;
  }
}

/** The error ratio every minute over the last 30 minutes, the worst series at each point. */
async function readTrend({
  read,
  problems,
}: {
  read: Read;
  problems: string[];
}): Promise<{ at: string; value: number | null }[]> {
  const promql = renderedQuery({ read, query: HEALTH_QUERIES.errorRatio });
  if (promql === null) return [];
  const step = TREND_STEP_SECONDS;
  const end = new Date(Math.floor(read.now.getTime() / 1000 / step) * step * 1000);
  const start = new Date(end.getTime() - TREND_MINUTES * 60_000);
  try {
    const result = await read.client.range({
      promql,
      start,
      end,
      stepSeconds: step,
      timeoutSeconds: QUERY_TIMEOUT_SECONDS,
      signal: read.signal,
    });
    const worst = new Map<number, number>();
    for (const series of result.series)
      for (const { time, value } of series.points)
        if (Number.isFinite(value)) worst.set(time, Math.max(worst.get(time) ?? value, value));
    return [...worst.entries()]
      .sort(([a], [b]) => a - b)
      .map(([time, value]) => ({ at: new Date(time * 1000).toISOString(), value: finiteValue(value) }));
  } catch (error) {
    if (!isWardenError(error, 'system.rejected')) throw error;
    problems.push(`${HEALTH_QUERIES.errorRatio} over ${TREND_MINUTES} min: ${error.message}`);
    return [];
  }
}

function renderedQuery({ read, query }: { read: Read; query: string }): string | null {
  if (!Object.hasOwn(read.target.queries, query)) return null;
  const rendered = read.deps.catalog.promql({
    service: read.target.service,
    environment: read.target.environment,
    query,
  });
  return rendered.ok ? rendered.value.promql : null;
}

/** `checkout in production: degraded; error ratio 25.0% (1.0% 30 min ago), p99 0.498 s, 13.3 req/s, 3 ready pods`. */
function describeHealth({
  target,
  facts,
  health,
  trend,
}: {
  target: ServiceTarget;
  facts: HealthFacts;
  health: string;
  trend: { value: number | null }[];
}): string {
  const parts: string[] = [];
  if (facts.errorRatio !== null) {
    const before = trend[0]?.value;
    const then =
      before === null || before === undefined ? '' : ` (${percent(before)} ${TREND_MINUTES} min ago)`;
    parts.push(`error ratio ${percent(facts.errorRatio)}${then}`);
  }
  if (facts.latencyP99Seconds !== null) parts.push(`p99 ${facts.latencyP99Seconds} s`);
  if (facts.requestRate !== null) parts.push(`${facts.requestRate} req/s`);
  if (facts.readyPods !== null) parts.push(`${facts.readyPods} ready pods`);
  const known = parts.length ? `; ${parts.join(', ')}` : '; no metrics known';
  return `${target.service} in ${target.environment}: ${health}${known}`;
}

/** serviceHealth's entry in the tool catalog (the catalog world's get_service_health). */
export const serviceHealthTool = toolSpec({
  info: serviceHealthInfo,
  system: 'prometheus',
  worlds: ['catalog'],
  build: createServiceHealthTool,
});
