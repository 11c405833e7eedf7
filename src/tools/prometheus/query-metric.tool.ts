import { z } from 'zod';
import { wardenError } from '../../shared/errors.ts';
import type { InstantResult, RangeResult } from '../../systems/prometheus.client.ts';
import { catalogServiceSchema, catalogTool } from '../catalog.calls.ts';
import type { ToolResult } from '../define.ts';
import { READ_TOOL } from '../define.ts';
import type { ToolDeps } from '../tool-spec.ts';
import { toolSpec } from '../tool-spec.ts';
import { formatLabels, formatValue, jsonValue, prometheusFor, queryNameSchema } from './prometheus.calls.ts';

const input = z
  .strictObject({
    service: catalogServiceSchema.describe(
      'The service whose metric to read, as the service catalog names it, such as checkout.',
    ),
    query: queryNameSchema.describe(
      "The name of one of the service's catalog queries, such as error_ratio, latency_p99, request_rate or ready_pods (a name, never PromQL).",
    ),
    range_minutes: z
      .number()
      .int()
      .min(1)
      .max(360)
      .optional()
      .describe(
        'Read the last this many minutes as a series (1–360). Leave out to read the current value only.',
      ),
    step_seconds: z
      .number()
      .int()
      .min(15)
      .max(3600)
      .optional()
      .describe(
        'Seconds between the points of a range (15–3600); about 60 points when left out. Only with range_minutes.',
      ),
  })
  .refine((args) => args.step_seconds === undefined || args.range_minutes !== undefined, {
    message: 'step_seconds needs range_minutes',
    path: ['step_seconds'],
  });

/** Reads one of a service's named catalog queries from Prometheus, now or over the last minutes. */
export const queryMetricInfo = {
  name: 'query_metric',
  description:
    "Read one of a service's named metrics (its catalog queries, such as error_ratio or latency_p99) from Prometheus in the target environment: the current value, or with range_minutes the values over the last minutes, to see when something changed.",
  input,
  ...READ_TOOL,
} as const;

/** Series a range answer shows; an instant answer shows up to the client's cap (50). */
const MAX_RANGE_SERIES = 10;
/** Points a range has when no step is given. */
const DEFAULT_POINTS = 60;

/** Builds query_metric with its executor. */
export function createQueryMetricTool(deps: ToolDeps) {
  return catalogTool({
    info: queryMetricInfo,
    deps,
    run: async ({ args, context, target }) => {
      const client = prometheusFor({ target, deps });
      const rendered = deps.catalog.promql({
        service: target.service,
        environment: target.environment,
        query: args.query,
      });
      if (!rendered.ok)
        throw wardenError({
          code: 'catalog.unknown_query',
          message: rendered.message,
          details: { service: target.service, query: args.query, known: Object.keys(target.queries).sort() },
        });
      const { promql } = rendered.value;
      const head = { service: target.service, environment: target.environment, query: args.query, promql };
      const now = deps.clock.now();
      if (args.range_minutes === undefined) {
        const result = await client.instant({ promql, time: now, signal: context.signal });
        return instantView({ head, result });
      }
      const rangeSeconds = args.range_minutes * 60;
      const stepSeconds = args.step_seconds ?? defaultStep(rangeSeconds);
      // On the step grid, so the same call a few seconds later reads the same points.
      const end = new Date(Math.floor(now.getTime() / 1000 / stepSeconds) * stepSeconds * 1000);
      const start = new Date(end.getTime() - rangeSeconds * 1000);
      const result = await client.range({ promql, start, end, stepSeconds, signal: context.signal });
      return rangeView({ head, result, minutes: args.range_minutes, stepSeconds, start, end });
    },
  });
}

type Head = { service: string; environment: string; query: string; promql: string };

function instantView({ head, result }: { head: Head; result: InstantResult }): ToolResult {
  const values = result.samples.map((s) => s.value);
  const what = `${head.service} ${head.query} in ${head.environment} at ${result.time.toISOString()}`;
  let summary: string;
  if (values.length === 0) summary = `${what}: no data`;
  else if (values.length === 1) summary = `${what}: ${formatValue(values[0]!)}`;
  else summary = `${what}: ${result.totalSeries} series, ${spread(values)}`;
  return {
    summary: withCut(summary, result.truncated, result.samples.length),
    data: {
      ...head,
      at: result.time.toISOString(),
      series: result.samples.map((s) => ({ labels: s.labels, value: jsonValue(s.value) })),
      totalSeries: result.totalSeries,
      truncated: result.truncated,
      warnings: result.warnings,
    },
  };
}

function rangeView({
  head,
  result,
  minutes,
  stepSeconds,
  start,
  end,
}: {
  head: Head;
  result: RangeResult;
  minutes: number;
  stepSeconds: number;
  start: Date;
  end: Date;
}): ToolResult {
  const shown = result.series.slice(0, MAX_RANGE_SERIES);
  const what = `${head.service} ${head.query} in ${head.environment} over the last ${minutes} min (every ${stepSeconds} s)`;
  let summary: string;
  if (shown.length === 0) summary = `${what}: no data`;
  else if (shown.length === 1) summary = `${what}: ${trend(shown[0]!.points.map((p) => p.value))}`;
  else
    summary = `${what}: ${result.totalSeries} series; ${shown
      .slice(0, 3)
      .map((s) => `${formatLabels(s.labels) || 'series'} ${trend(s.points.map((p) => p.value))}`)
      .join('; ')}`;
  return {
    summary: withCut(summary, result.totalSeries > shown.length, shown.length),
    data: {
      ...head,
      start: start.toISOString(),
      end: end.toISOString(),
      stepSeconds,
      series: shown.map((s) => ({
        labels: s.labels,
        points: s.points.map((p) => ({
          at: new Date(p.time * 1000).toISOString(),
          value: jsonValue(p.value),
        })),
      })),
      totalSeries: result.totalSeries,
      truncated: result.totalSeries > shown.length,
      warnings: result.warnings,
    },
  };
}

/** The step that gives about `DEFAULT_POINTS` points, a multiple of 15 s. */
function defaultStep(rangeSeconds: number): number {
  return Math.max(15, Math.ceil(rangeSeconds / DEFAULT_POINTS / 15) * 15);
}

/** `0.01 → 0.25 (min 0.01, max 0.25)`: first and last value, and the extremes between. */
function trend(values: number[]): string {
  const first = values[0];
  const last = values.at(-1);
  if (first === undefined || last === undefined) return 'no points';
  return `${formatValue(first)} → ${formatValue(last)} (${spread(values)}, ${values.length} points)`;
}

function spread(values: number[]): string {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return 'no finite values';
  return `min ${formatValue(Math.min(...finite))}, max ${formatValue(Math.max(...finite))}`;
}

function withCut(summary: string, truncated: boolean, shown: number): string {
  return truncated ? `${summary} (only the first ${shown} series shown)` : summary;
}

/** queryMetric's entry in the tool catalog. */
export const queryMetricTool = toolSpec({
  info: queryMetricInfo,
  system: 'prometheus',
  worlds: ['catalog'],
  build: createQueryMetricTool,
});
