// Small pure helpers the Kubernetes tools share to describe objects to people and planners.

/** Equality matchers as a label selector string (`app=checkout,tier=web`), sorted by label name. */
export function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Whether an object's labels include every one of these (the catalog's `pod_labels`). */
export function hasLabels(
  object: { metadata?: { labels?: Record<string, string> } },
  wanted: Record<string, string>,
): boolean {
  const labels = object.metadata?.labels ?? {};
  return Object.entries(wanted).every(([k, v]) => labels[k] === v);
}

/** A timestamp as ISO text, whether client-node gave a Date or a string; null when missing or invalid. */
export function isoTime(value: Date | string | undefined | null): string | null {
  if (value === undefined || value === null) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** Whole seconds from a timestamp to now (never negative); null when there is no timestamp. */
export function secondsSince(value: Date | string | undefined | null, now: Date): number | null {
  const iso = isoTime(value);
  if (iso === null) return null;
  return Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 1000));
}

/** An age as kubectl prints it: `42s`, `5m`, `3h12m`, `4d6h`. */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return 'unknown';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days}d${hours % 24}h` : `${days}d`;
}

/** The images of a pod template's containers, in order. */
export function imagesOf(template: { spec?: { containers?: { image?: string }[] } } | undefined): string[] {
  return (template?.spec?.containers ?? []).map((c) => c.image ?? '(no image)');
}

/** `a, b and c`. */
export function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}
