/** The catalog queries `get_service_health` reads, by the fact each one gives. */
export const HEALTH_QUERIES = {
  errorRatio: 'error_ratio',
  latencyP99Seconds: 'latency_p99',
  requestRate: 'request_rate',
  readyPods: 'ready_pods',
} as const;

export type HealthFact = keyof typeof HEALTH_QUERIES;
export type HealthFacts = Record<HealthFact, number | null>;
export type Health = 'healthy' | 'degraded' | 'down' | 'unknown';

/**
 * Where a service stops being healthy: the one place these numbers live. An error ratio is a share of
 * requests (0.05 = 5 %); latency is the p99 in seconds.
 */
export const HEALTH_THRESHOLDS = {
  degradedErrorRatio: 0.05,
  downErrorRatio: 0.5,
  degradedLatencyP99Seconds: 1,
} as const;

/**
 * Judges a service's health from its facts (null: the catalog has no such query, or no data). Down when
 * no pod is ready or most requests fail; degraded past an error or latency threshold; unknown when
 * neither the error ratio nor the latency is known, since then nothing says requests succeed. Pure.
 */
export function judgeHealth(facts: HealthFacts): { health: Health; reasons: string[] } {
  const t = HEALTH_THRESHOLDS;
  const { errorRatio, latencyP99Seconds, readyPods } = facts;
  const down: string[] = [];
  if (readyPods === 0) down.push('no pod is ready');
  if (errorRatio !== null && errorRatio >= t.downErrorRatio)
    down.push(`error ratio ${percent(errorRatio)} ≥ ${percent(t.downErrorRatio)}`);
  if (down.length) return { health: 'down', reasons: down };

  const degraded: string[] = [];
  if (errorRatio !== null && errorRatio >= t.degradedErrorRatio)
    degraded.push(`error ratio ${percent(errorRatio)} ≥ ${percent(t.degradedErrorRatio)}`);
  if (latencyP99Seconds !== null && latencyP99Seconds >= t.degradedLatencyP99Seconds)
    degraded.push(`p99 latency ${latencyP99Seconds} s ≥ ${t.degradedLatencyP99Seconds} s`);
  if (degraded.length) return { health: 'degraded', reasons: degraded };

  if (errorRatio === null && latencyP99Seconds === null)
    return { health: 'unknown', reasons: ['neither the error ratio nor the p99 latency is known'] };
  const fine: string[] = [];
  if (errorRatio !== null) fine.push(`error ratio ${percent(errorRatio)} < ${percent(t.degradedErrorRatio)}`);
  if (latencyP99Seconds !== null)
    fine.push(`p99 latency ${latencyP99Seconds} s < ${t.degradedLatencyP99Seconds} s`);
  return { health: 'healthy', reasons: fine };
}

/** `25.0%` */
export function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}
