import { type Answer, failure } from './answers.ts';

/** Which requests a fault applies to: an HTTP method and a path (exact, or a pattern). Both optional. */
export type FaultMatch = { method?: string; path?: string | RegExp };
export type FailNext = FaultMatch & {
  status: number;
  /** Extra response headers (`retry-after` for a secondary rate limit). */
  headers?: Record<string, string>;
  /** The JSON body; default: GitHub's error shape with a message fitting the status. */
  body?: unknown;
  times?: number;
};
type Queued = FaultMatch & { remaining: number } & ({ kind: 'error'; answer: Answer } | { kind: 'drop' });

const MESSAGES: Record<number, string> = {
  403: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
  429: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
  500: 'Server Error',
  502: 'Server Error',
  503: 'Service Unavailable',
};

const matches = (match: FaultMatch, method: string, path: string) =>
  (match.method === undefined || match.method.toUpperCase() === method) &&
  (match.path === undefined ||
    (typeof match.path === 'string' ? match.path === path : match.path.test(path)));

/** Injected failures and latency, used up one request at a time in the order they were added. */
export function createGitHubFaults() {
  let queue: Queued[] = [];
  let latency: (FaultMatch & { ms: number })[] = [];

  return {
    /** The next `times` (default 1) matching requests get this answer instead of the real one. */
    failNext({ status, headers, body, times = 1, ...match }: FailNext): void {
      const answer =
        body === undefined ? failure(status, MESSAGES[status] ?? 'Injected failure') : { status, body };
      if (times > 0)
        queue.push({
          ...match,
          kind: 'error',
          remaining: times,
          answer: { ...answer, headers: headers ?? {} },
        });
    },
    /** The next `times` matching requests lose their connection before any answer (socket destroyed). */
    dropNext({ times = 1, ...match }: FaultMatch & { times?: number } = {}): void {
      if (times > 0) queue.push({ ...match, kind: 'drop', remaining: times });
    },
    /** Delays answers to matching requests (all without `method`/`path`); `ms: 0` clears it. */
    setLatency({ ms, ...match }: FaultMatch & { ms: number }): void {
      const same = (l: FaultMatch) => l.method === match.method && String(l.path) === String(match.path);
      latency = latency.filter((l) => !same(l));
      if (ms > 0) latency.push({ ...match, ms });
    },
    latencyFor(method: string, path: string): number {
      return Math.max(0, ...latency.filter((l) => matches(l, method, path)).map((l) => l.ms));
    },
    /** Uses up the first queued fault that applies to this request. */
    take(method: string, path: string): { kind: 'drop' } | { kind: 'error'; answer: Answer } | undefined {
      const fault = queue.find((f) => matches(f, method, path));
      if (!fault) return undefined;
      fault.remaining -= 1;
      if (fault.remaining <= 0) queue = queue.filter((f) => f !== fault);
      return fault.kind === 'drop' ? { kind: 'drop' } : { kind: 'error', answer: fault.answer };
    },
    clear(): void {
      queue = [];
      latency = [];
    },
  };
}
export type GitHubFaults = ReturnType<typeof createGitHubFaults>;
