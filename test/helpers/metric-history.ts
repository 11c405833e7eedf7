/** One series of a metric family: its full sample name, labels, and `[unix seconds, value]` points. */
export type HistorySeries = { name: string; labels: Record<string, string>; points: [number, number][] };

export type MetricFamily = {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  series: HistorySeries[];
};

/** Past samples to backfill into Prometheus: families over [start, end] (unix seconds). */
export type MetricHistory = { start: number; end: number; families: MetricFamily[] };

/**
 * OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`: families merged by name (each
 * family appears once), points in time order within every series, `# EOF` at the end.
 */
export function renderOpenMetrics(histories: MetricHistory[]): string {
  const families = new Map<string, MetricFamily>();
  for (const family of histories.flatMap((history) => history.families)) {
    const known = families.get(family.name);
    if (known && known.type !== family.type) {
      throw new Error(`metric family ${family.name} is both a ${known.type} and a ${family.type}`);
    }
    if (known) known.series.push(...family.series);
    else families.set(family.name, { ...family, series: [...family.series] });
  }
  const lines: string[] = [];
  for (const family of families.values()) {
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
    // Grouped by timestamp so a histogram's buckets, sum and count for one instant stay together.
    const byTime = new Map<number, string[]>();
    for (const series of family.series) {
      const labels = renderLabels(series.labels);
      for (const [time, value] of series.points) {
        const row = byTime.get(time) ?? [];
        row.push(`${series.name}${labels} ${value} ${time}`);
        byTime.set(time, row);
      }
    }
    for (const time of [...byTime.keys()].sort((a, b) => a - b)) lines.push(...byTime.get(time)!);
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

function renderLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabel(value)}"`);
  return pairs.length > 0 ? `{${pairs.join(',')}}` : '';
}

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/** The latest multiple of `stepSeconds` not after now: a grid on which `rate()` windows are exact. */
export function alignedNow(stepSeconds = 15, nowMs = Date.now()): number {
  return Math.floor(nowMs / 1000 / stepSeconds) * stepSeconds;
}
