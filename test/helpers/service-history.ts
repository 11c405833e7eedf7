import { alignedNow, type HistorySeries, type MetricHistory } from './metric-history.ts';

/** How a service behaved during one phase (before or after the rollout). */
export type ServicePhase = {
  /** Share of requests answered 500; `requestsPerStep × errorRatio` must be a whole number. */
  errorRatio: number;
  /** Every request in the phase takes exactly this long (default 0.05 s). */
  latencySeconds?: number;
  /** `kube_deployment_status_replicas_ready` (default: `desiredReplicas`). */
  readyReplicas?: number;
};

export type ServiceHistoryOptions = {
  service: string;
  namespace: string;
  /** Deployment name for the kube-state-metrics gauges (default: the service). */
  deployment?: string;
  /** Unix seconds, on the step grid. Samples at `rolloutAt` are still "before"; the next step is "after". */
  rolloutAt: number;
  before: ServicePhase;
  after: ServicePhase;
  /** Unix seconds, on the step grid, not in the future (default: the last step before now). */
  end?: number;
  /** Length of the history (default 6 h). */
  durationSeconds?: number;
  /** Seconds between samples (default 15). Query at multiples of it for exact `rate()` results. */
  stepSeconds?: number;
  /** Requests served in each step (default 200). */
  requestsPerStep?: number;
  desiredReplicas?: number;
};

/** The latency buckets (`le`) of `http_request_duration_seconds`: the Prometheus client defaults. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Deterministic history of one service around a rollout: `http_requests_total{service,namespace,code}`
 * (200 and 500), the `http_request_duration_seconds` histogram, and kube-state-metrics gauges
 * (`kube_deployment_spec_replicas`, `kube_deployment_status_replicas_ready`,
 * `kube_deployment_status_observed_generation`, which goes 1 → 2 at the rollout). Counters start at 0 at
 * `end - durationSeconds`; on the step grid `rate(…[w])` is exactly `perStep / stepSeconds`.
 */
export function serviceHistory(options: ServiceHistoryOptions): MetricHistory {
  const step = options.stepSeconds ?? 15;
  const end = options.end ?? alignedNow(step);
  const start = end - (options.durationSeconds ?? 6 * 3600);
  const perStep = options.requestsPerStep ?? 200;
  const desired = options.desiredReplicas ?? 3;
  const { service, namespace, rolloutAt } = options;
  for (const [what, value] of [
    ['end', end],
    ['start', start],
    ['rolloutAt', rolloutAt],
  ] as const) {
    if (value % step !== 0)
      throw new Error(`serviceHistory: ${what} ${value} is not a multiple of ${step} s`);
  }
  if (rolloutAt <= start || rolloutAt >= end) {
    throw new Error(`serviceHistory: rolloutAt ${rolloutAt} is outside the history (${start}, ${end})`);
  }
  const phaseAt = (time: number) => resolvePhase(time > rolloutAt ? options.after : options.before);
  const resolvePhase = (phase: ServicePhase) => ({
    errors: wholeErrors(phase.errorRatio, perStep),
    latency: phase.latencySeconds ?? 0.05,
    ready: phase.readyReplicas ?? desired,
  });

  const traffic = { service, namespace };
  const kube = { namespace, deployment: options.deployment ?? service };
  const ok = series('http_requests_total', { ...traffic, code: '200' });
  const failed = series('http_requests_total', { ...traffic, code: '500' });
  const buckets = [...LATENCY_BUCKETS.map(String), '+Inf'].map((le) =>
    series('http_request_duration_seconds_bucket', { ...traffic, le }),
  );
  const sum = series('http_request_duration_seconds_sum', traffic);
  const count = series('http_request_duration_seconds_count', traffic);
  const specReplicas = series('kube_deployment_spec_replicas', kube);
  const readyReplicas = series('kube_deployment_status_replicas_ready', kube);
  const generation = series('kube_deployment_status_observed_generation', kube);

  const totals = { ok: 0, failed: 0, sum: 0, count: 0, buckets: buckets.map(() => 0) };
  for (let time = start; time <= end; time += step) {
    const phase = phaseAt(time);
    if (time > start) {
      totals.ok += perStep - phase.errors;
      totals.failed += phase.errors;
      totals.count += perStep;
      totals.sum += perStep * phase.latency;
      LATENCY_BUCKETS.forEach((le, index) => {
        if (phase.latency <= le) totals.buckets[index]! += perStep;
      });
      totals.buckets[LATENCY_BUCKETS.length]! += perStep;
    }
    ok.points.push([time, totals.ok]);
    failed.points.push([time, totals.failed]);
    buckets.forEach((bucket, index) => {
      bucket.points.push([time, totals.buckets[index]!]);
    });
    sum.points.push([time, totals.sum]);
    count.points.push([time, totals.count]);
    specReplicas.points.push([time, desired]);
    readyReplicas.points.push([time, phase.ready]);
    generation.points.push([time, time > rolloutAt ? 2 : 1]);
  }

  return {
    start,
    end,
    families: [
      { name: 'http_requests', type: 'counter', help: 'HTTP requests served.', series: [ok, failed] },
      {
        name: 'http_request_duration_seconds',
        type: 'histogram',
        help: 'HTTP request latency.',
        series: [...buckets, sum, count],
      },
      {
        name: 'kube_deployment_spec_replicas',
        type: 'gauge',
        help: 'Desired replicas.',
        series: [specReplicas],
      },
      {
        name: 'kube_deployment_status_replicas_ready',
        type: 'gauge',
        help: 'Ready replicas.',
        series: [readyReplicas],
      },
      {
        name: 'kube_deployment_status_observed_generation',
        type: 'gauge',
        help: 'The generation observed by the deployment controller.',
        series: [generation],
      },
    ],
  };
}

function series(name: string, labels: Record<string, string>): HistorySeries {
  return { name, labels, points: [] };
}

function wholeErrors(errorRatio: number, perStep: number): number {
  const errors = errorRatio * perStep;
  if (errorRatio < 0 || errorRatio > 1 || Math.abs(errors - Math.round(errors)) > 1e-9) {
    throw new Error(
      `serviceHistory: errorRatio ${errorRatio} × ${perStep} requests per step is not a whole number of requests`,
    );
  }
  return Math.round(errors);
}
