/** One line a container wrote, with when it wrote it (for `sinceSeconds` and `timestamps`). */
export type LogLine = { at: number; text: string };

/** A container's logs: its current (or last) run, and the run before, as the kubelet keeps them. */
type ContainerLogs = { current: LogLine[]; previous: LogLine[] };

/** Options of `GET …/pods/{name}/log` that shape the text. */
export type LogQuery = {
  tailLines?: number;
  sinceSeconds?: number;
  limitBytes?: number;
  timestamps?: boolean;
};

/** RFC 3339 with nanoseconds, as the kubelet prefixes lines when `timestamps=true`. */
const nanoTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');

/** Container logs per pod, in memory. */
export function createLogStore() {
  const logs = new Map<string, ContainerLogs>();
  const key = (namespace: string, pod: string, container: string) => `${namespace}/${pod}/${container}`;

  return {
    /** Sets the lines of a container's current run, or of its previous run with `previous: true`. */
    write({
      namespace,
      pod,
      container,
      lines,
      previous = false,
    }: {
      namespace: string;
      pod: string;
      container: string;
      lines: LogLine[];
      previous?: boolean;
    }): void {
      const entry = logs.get(key(namespace, pod, container)) ?? { current: [], previous: [] };
      if (previous) entry.previous = [...lines];
      else entry.current = [...lines];
      logs.set(key(namespace, pod, container), entry);
    },
    /** Appends lines to a container's current run. */
    append({
      namespace,
      pod,
      container,
      lines,
    }: {
      namespace: string;
      pod: string;
      container: string;
      lines: LogLine[];
    }): void {
      const entry = logs.get(key(namespace, pod, container)) ?? { current: [], previous: [] };
      entry.current.push(...lines);
      logs.set(key(namespace, pod, container), entry);
    },
    forgetPod(namespace: string, pod: string): void {
      for (const k of logs.keys()) if (k.startsWith(`${namespace}/${pod}/`)) logs.delete(k);
    },
    /**
     * The text the kubelet would send: the last `tailLines` lines, then only those written in the last
     * `sinceSeconds`, each ending in a newline, cut at `limitBytes`.
     */
    read({
      namespace,
      pod,
      container,
      previous,
      query,
      now,
    }: {
      namespace: string;
      pod: string;
      container: string;
      previous: boolean;
      query: LogQuery;
      now: number;
    }): string {
      const entry = logs.get(key(namespace, pod, container));
      let lines = (previous ? entry?.previous : entry?.current) ?? [];
      if (query.tailLines !== undefined) lines = query.tailLines === 0 ? [] : lines.slice(-query.tailLines);
      if (query.sinceSeconds !== undefined) {
        const since = now - query.sinceSeconds * 1000;
        lines = lines.filter((l) => l.at >= since);
      }
      const text = lines.map((l) => `${query.timestamps ? `${nanoTime(l.at)} ` : ''}${l.text}\n`).join('');
      if (query.limitBytes === undefined) return text;
      return Buffer.from(text, 'utf8').subarray(0, query.limitBytes).toString('utf8');
    },
  };
}
export type LogStore = ReturnType<typeof createLogStore>;
