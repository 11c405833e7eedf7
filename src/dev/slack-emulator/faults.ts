/** What a test asked to go wrong with the next calls to a method. */
export type Fault = (
  | { kind: 'error'; error: string; remaining: number }
  | { kind: 'ratelimit'; retryAfterSeconds: number; remaining: number }
) & {
  /** Only calls about this channel (their `channel` argument) use the fault up. */
  channel?: string;
};

/** A Web API call made before the Retry-After of the 429 that method last answered had passed. */
export type EarlyRetry = { method: string; at: number; notBefore: number };

/**
 * A client whose timer fires a hair early still honours Retry-After; only a call this much before the
 * announced time counts as early.
 */
export const EARLY_RETRY_TOLERANCE_MS = 20;

/**
 * Injected failures and latency, keyed by Web API method (`'response_url'` covers response_url posts).
 * Faults queue in the order they were added and are used up one call at a time. A served rate limit
 * holds for the Retry-After it announced: Slack refuses the method again until then, and so does the
 * emulator, recording each such call as an early retry.
 */
export function createFaults() {
  const queues = new Map<string, Fault[]>();
  const latency = new Map<string, number>();
  const limitedUntil = new Map<string, number>();
  const early: EarlyRetry[] = [];
  let defaultLatencyMs = 0;

  const enqueue = (method: string, fault: Fault) => {
    if (fault.remaining <= 0) return;
    queues.set(method, [...(queues.get(method) ?? []), fault]);
  };

  return {
    failNext({
      method,
      error,
      times = 1,
      channel,
    }: {
      method: string;
      error: string;
      times?: number;
      /** Fail only calls about this channel. */
      channel?: string;
    }): void {
      enqueue(method, { kind: 'error', error, remaining: times, ...(channel ? { channel } : {}) });
    },
    rateLimitNext({
      method,
      times = 1,
      retryAfterSeconds = 1,
      channel,
    }: {
      method: string;
      times?: number;
      retryAfterSeconds?: number;
      /** Limit only calls about this channel. */
      channel?: string;
    }): void {
      enqueue(method, {
        kind: 'ratelimit',
        retryAfterSeconds,
        remaining: times,
        ...(channel ? { channel } : {}),
      });
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
    /** Uses up the first injected fault queued for this call (its method, and its channel if given). */
    take(method: string, channel?: string): Fault | undefined {
      const queue = queues.get(method);
      const index = queue?.findIndex((f) => f.channel === undefined || f.channel === channel) ?? -1;
      const fault = queue?.[index];
      if (!queue || !fault) return undefined;
      fault.remaining -= 1;
      if (fault.remaining <= 0) queue.splice(index, 1);
      return { ...fault };
    },
    /**
     * Remembers that `method` answered 429 and may not be called again before `notBefore`: for every
     * channel, or only for `channel` when the rate limit was injected for one.
     */
    limit(method: string, notBefore: number, channel?: string): void {
      const key = channel === undefined ? method : `${method} ${channel}`;
      limitedUntil.set(key, Math.max(notBefore, limitedUntil.get(key) ?? 0));
    },
    /**
     * When a call at `now` comes before the Retry-After the method announced, records it as an early
     * retry and returns the seconds still to wait (for the 429 that refuses it); otherwise undefined.
     */
    refuseEarly(method: string, now: number, channel?: string): number | undefined {
      const notBefore = Math.max(
        limitedUntil.get(method) ?? 0,
        channel === undefined ? 0 : (limitedUntil.get(`${method} ${channel}`) ?? 0),
      );
      if (notBefore === 0 || now >= notBefore - EARLY_RETRY_TOLERANCE_MS) return undefined;
      early.push({ method, at: now, notBefore });
      return Math.max(1, Math.ceil((notBefore - now) / 1000));
    },
    /** Calls made before the Retry-After they were told to honour (each was refused with 429). */
    earlyRetries(method?: string): EarlyRetry[] {
      return early.filter((e) => method === undefined || e.method === method).map((e) => ({ ...e }));
    },
    /** Drops queued faults, latency and rate-limit windows; the record of early retries stays. */
    clear(): void {
      queues.clear();
      latency.clear();
      limitedUntil.clear();
      defaultLatencyMs = 0;
    },
  };
}
export type Faults = ReturnType<typeof createFaults>;
