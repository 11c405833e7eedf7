/** Nearest-rank percentile (p in 0–100) of unsorted samples; NaN when there are none. */
export function percentile({ samples, p }: { samples: readonly number[]; p: number }): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** p50, p99 and max of latency samples. */
export function latencySummary(samples: readonly number[]): {
  p50: number;
  p99: number;
  max: number;
  n: number;
} {
  return {
    p50: percentile({ samples, p: 50 }),
    p99: percentile({ samples, p: 99 }),
    max: percentile({ samples, p: 100 }),
    n: samples.length,
  };
}

/** ours / baseline, or null when either is missing or the baseline is zero. */
export function ratioOf({ ours, baseline }: { ours: number | null; baseline: number | null }): number | null {
  if (ours === null || baseline === null || !Number.isFinite(ours) || !Number.isFinite(baseline)) return null;
  if (baseline === 0) return null;
  return ours / baseline;
}

/** Milliseconds since `start` (a `performance.now()` reading). */
export function msSince(start: number): number {
  return performance.now() - start;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
