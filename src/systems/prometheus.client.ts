import type { z } from 'zod';
import { wardenError } from '../shared/errors.ts';
import { httpJson, withoutSecrets } from './http-json.ts';
import { withPrometheusErrors } from './prometheus.errors.ts';
import {
  buildInfoAnswerSchema,
  instantAnswerSchema,
  parseSampleValue,
  rangeAnswerSchema,
} from './prometheus.schemas.ts';
import type { Fetch, HttpConnection } from './systems.types.ts';

/** One series' value at one instant; `value` may be NaN or ±Infinity, as Prometheus computes them. */
export type PrometheusSample = { labels: Record<string, string>; value: number };
/** One series over a range: points at `time` (unix seconds), oldest first. */
export type PrometheusSeries = { labels: Record<string, string>; points: { time: number; value: number }[] };

export type InstantResult = {
  time: Date;
  samples: PrometheusSample[];
  /** Series Prometheus returned; more than `samples` when the answer was cut at `MAX_SERIES`. */
  totalSeries: number;
  truncated: boolean;
  warnings: string[];
};

export type RangeResult = {
  series: PrometheusSeries[];
  totalSeries: number;
  truncated: boolean;
  warnings: string[];
};

/** Most series an answer keeps (Prometheus 2.42 has no `limit`, so the client cuts the answer). */
export const MAX_SERIES = 50;
/** Most points per series a range query may ask for; Prometheus itself refuses more than 11,000. */
export const MAX_POINTS_PER_SERIES = 11_000;
/** Query time limit when the caller gives none; Prometheus's own default is 2 minutes. */
export const DEFAULT_QUERY_TIMEOUT_SECONDS = 20;
/** HTTP time allowed beyond the query's own limit, so Prometheus can say it timed out first. */
const HTTP_GRACE_MS = 1_000;

export type PrometheusClient = {
  connection: string;
  /** An instant query (`/api/v1/query`) at `time`. */
  instant: (request: {
    promql: string;
    time: Date;
    timeoutSeconds?: number;
    signal?: AbortSignal;
  }) => Promise<InstantResult>;
  /** A range query (`/api/v1/query_range`) from `start` to `end` every `stepSeconds`. */
  range: (request: {
    promql: string;
    start: Date;
    end: Date;
    stepSeconds: number;
    timeoutSeconds?: number;
    signal?: AbortSignal;
  }) => Promise<RangeResult>;
  /** A harmless read for `warden connections check`: `Prometheus 2.42.0`. */
  ping: (options?: { signal?: AbortSignal }) => Promise<string>;
};

/**
 * The Prometheus HTTP API of one connection. PromQL comes from the catalog; this client only runs it,
 * bounds the answer and turns every failure into a coded `system.*` error that names the connection.
 */
export function createPrometheusClient({
  connection,
  fetch: fetchImpl = fetch,
  requestTimeoutMs = 10_000,
}: {
  connection: HttpConnection;
  fetch?: Fetch;
  /** Time limit of requests that are not queries (`ping`). */
  requestTimeoutMs?: number;
}): PrometheusClient {
  const prometheusFetch = withPrometheusErrors({ fetch: fetchImpl, connection: connection.name });

  async function get<T>(request: {
    path: string;
    query?: Record<string, string>;
    schema: z.ZodType<T>;
    timeoutMs: number;
    signal?: AbortSignal;
  }): Promise<T> {
    try {
      return await httpJson({ connection, fetch: prometheusFetch, ...request });
    } catch (error) {
      throw withoutSecrets(error, connection);
    }
  }

  return {
    connection: connection.name,

    instant: async ({ promql, time, timeoutSeconds = DEFAULT_QUERY_TIMEOUT_SECONDS, signal }) => {
      const answer = await get({
        path: '/api/v1/query',
        query: { query: promql, time: unixSeconds(time), timeout: String(timeoutSeconds) },
        schema: instantAnswerSchema,
        timeoutMs: timeoutSeconds * 1000 + HTTP_GRACE_MS,
        signal,
      });
      const data = answer.data;
      const warnings = answer.warnings ?? [];
      if (data.resultType === 'scalar')
        return {
          time,
          samples: [{ labels: {}, value: parseSampleValue(data.result[1]) }],
          totalSeries: 1,
          truncated: false,
          warnings,
        };
      if (data.resultType !== 'vector')
        throw wardenError({
          code: 'system.rejected',
          message: `${connection.name}: the query gives a ${data.resultType}, not a number per series; it cannot be read as a metric.`,
          details: { connection: connection.name, resultType: data.resultType },
        });
      return {
        time,
        samples: data.result
          .slice(0, MAX_SERIES)
          .map((s) => ({ labels: s.metric, value: parseSampleValue(s.value[1]) })),
        totalSeries: data.result.length,
        truncated: data.result.length > MAX_SERIES,
        warnings,
      };
    },

    range: async ({
      promql,
      start,
      end,
      stepSeconds,
      timeoutSeconds = DEFAULT_QUERY_TIMEOUT_SECONDS,
      signal,
    }) => {
      checkRange({ connection: connection.name, start, end, stepSeconds });
      const answer = await get({
        path: '/api/v1/query_range',
        query: {
          query: promql,
          start: unixSeconds(start),
          end: unixSeconds(end),
          step: String(stepSeconds),
          timeout: String(timeoutSeconds),
        },
        schema: rangeAnswerSchema,
        timeoutMs: timeoutSeconds * 1000 + HTTP_GRACE_MS,
        signal,
      });
      const result = answer.data.result;
      return {
        series: result.slice(0, MAX_SERIES).map((s) => ({
          labels: s.metric,
          points: s.values.map(([t, v]) => ({ time: t, value: parseSampleValue(v) })),
        })),
        totalSeries: result.length,
        truncated: result.length > MAX_SERIES,
        warnings: answer.warnings ?? [],
      };
    },

    ping: async ({ signal } = {}) => {
      const answer = await get({
        path: '/api/v1/status/buildinfo',
        schema: buildInfoAnswerSchema,
        timeoutMs: requestTimeoutMs,
        signal,
      });
      return `Prometheus ${answer.data.version}`;
    },
  };
}

/** Refuses a range Prometheus would refuse (or that is empty), before sending it. */
function checkRange({
  connection,
  start,
  end,
  stepSeconds,
}: {
  connection: string;
  start: Date;
  end: Date;
  stepSeconds: number;
}): void {
  const seconds = (end.getTime() - start.getTime()) / 1000;
  if (!(stepSeconds > 0) || !(seconds >= 0))
    throw wardenError({
      code: 'system.rejected',
      message: `${connection}: a range query needs a positive step and an end after its start.`,
      details: { connection, stepSeconds, seconds },
    });
  const points = Math.floor(seconds / stepSeconds) + 1;
  if (points > MAX_POINTS_PER_SERIES)
    throw wardenError({
      code: 'system.rejected',
      message: `${connection}: the range asks for ${points} points per series, more than the ${MAX_POINTS_PER_SERIES} Prometheus allows; use a larger step or a shorter range.`,
      details: { connection, points, max: MAX_POINTS_PER_SERIES },
    });
}

function unixSeconds(date: Date): string {
  return String(date.getTime() / 1000);
}
