/** Which requests a fault applies to: an HTTP method and a path (exact, or a pattern). Both optional. */
export type FaultMatch = { method?: string; path?: string | RegExp };

/** A queued fault: answer with an error Status, or drop the connection without an answer. */
export type Fault = FaultMatch &
  (
    | { kind: 'error'; status: number; message?: string; retryAfterSeconds?: number; remaining: number }
    | { kind: 'drop'; remaining: number }
  );

const matches = (match: FaultMatch, method: string, path: string) =>
  (match.method === undefined || match.method.toUpperCase() === method) &&
  (match.path === undefined ||
    (typeof match.path === 'string' ? match.path === path : match.path.test(path)));

/**
 * Injected failures and latency, used up one request at a time in the order they were added: what a
 * flaky API server, a load balancer or a broken network would do to the client.
 */
export function createFaults() {
  let queue: Fault[] = [];
  let latency: (FaultMatch & { ms: number })[] = [];

  return {
    /** The next `times` matching requests get this status (a real `Status`; 429/503 with Retry-After). */
    failNext({
      status,
      times = 1,
      message,
      retryAfterSeconds,
      ...match
    }: FaultMatch & { status: number; times?: number; message?: string; retryAfterSeconds?: number }): void {
      if (times > 0)
        queue.push({
          ...match,
          kind: 'error',
          status,
          remaining: times,
          ...(message === undefined ? {} : { message }),
          ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
        });
    },
    /** The next `times` matching requests lose their connection before any answer (socket destroyed). */
    dropNext({ times = 1, ...match }: FaultMatch & { times?: number }): void {
      if (times > 0) queue.push({ ...match, kind: 'drop', remaining: times });
    },
    /** Delays answers to matching requests (every request without `method`/`path`); `ms: 0` clears it. */
    setLatency({ ms, ...match }: FaultMatch & { ms: number }): void {
      const same = (l: FaultMatch) => l.method === match.method && String(l.path) === String(match.path);
      latency = latency.filter((l) => !same(l));
      if (ms > 0) latency.push({ ...match, ms });
    },
    latencyFor(method: string, path: string): number {
      return Math.max(0, ...latency.filter((l) => matches(l, method, path)).map((l) => l.ms));
    },
    /** Uses up the first queued fault that applies to this request. */
    take(method: string, path: string): Fault | undefined {
      const fault = queue.find((f) => matches(f, method, path));
      if (!fault) return undefined;
      fault.remaining -= 1;
      if (fault.remaining <= 0) queue = queue.filter((f) => f !== fault);
      return { ...fault };
    },
    clear(): void {
      queue = [];
      latency = [];
    },
  };
}
export type Faults = ReturnType<typeof createFaults>;
