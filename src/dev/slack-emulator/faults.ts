/** What a test asked to go wrong with the next calls to a method. */
export type Fault =
  | { kind: 'error'; error: string; remaining: number }
  | { kind: 'ratelimit'; retryAfterSeconds: number; remaining: number };

/**
 * Injected failures and latency, keyed by Web API method (`'response_url'` covers response_url posts).
 * Faults queue in the order they were added and are used up one call at a time.
 */
export function createFaults() {
  const queues = new Map<string, Fault[]>();
  const latency = new Map<string, number>();
  let defaultLatencyMs = 0;

  const enqueue = (method: string, fault: Fault) => {
    if (fault.remaining <= 0) return;
    queues.set(method, [...(queues.get(method) ?? []), fault]);
  };

  return {
    failNext({ method, error, times = 1 }: { method: string; error: string; times?: number }): void {
      enqueue(method, { kind: 'error', error, remaining: times });
    },
    rateLimitNext({
      method,
      times = 1,
      retryAfterSeconds = 1,
    }: {
      method: string;
      times?: number;
      retryAfterSeconds?: number;
    }): void {
      enqueue(method, { kind: 'ratelimit', retryAfterSeconds, remaining: times });
    },
    /** Delay answers to one method, or to every method without its own setting; `ms: 0` clears. */
    setLatency({ method, ms }: { method?: string; ms: number }): void {
      if (method === undefined) defaultLatencyMs = ms;
      else if (ms <= 0) latency.delete(method);
      else latency.set(method, ms);
    },
    latencyFor(method: string): number {
      return latency.get(method) ?? defaultLatencyMs;
    },
    /** Uses up one injected fault for this call, if any is queued. */
    take(method: string): Fault | undefined {
      const queue = queues.get(method);
      const fault = queue?.[0];
      if (!queue || !fault) return undefined;
      fault.remaining -= 1;
      if (fault.remaining <= 0) queue.shift();
      return { ...fault };
    },
    clear(): void {
      queues.clear();
      latency.clear();
      defaultLatencyMs = 0;
    },
  };
}
export type Faults = ReturnType<typeof createFaults>;
