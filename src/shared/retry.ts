import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs `attempt` until it succeeds, waiting `firstWaitMs` doubling (to at most `longestWaitMs`) between
 * tries, at most `attempts` times (by default about 15 s in all: long enough for a failover or a backend
 * restart, short enough that the caller still reports in time). The last failure is thrown; an abort of
 * `signal` stops the waiting and rejects with its reason.
 */
export async function retryWithBackoff<T>({
  attempt,
  attempts = 6,
  firstWaitMs = 500,
  longestWaitMs = Number.POSITIVE_INFINITY,
  signal,
  retryIf = () => true,
  onRetry,
}: {
  attempt: () => Promise<T>;
  attempts?: number;
  firstWaitMs?: number;
  longestWaitMs?: number;
  signal?: AbortSignal;
  /** Whether a failure is worth another try (by default every one is); the others are thrown at once. */
  retryIf?: (error: unknown) => boolean;
  onRetry?: (error: unknown, waitMs: number) => void;
}): Promise<T> {
  let waitMs = Math.min(firstWaitMs, longestWaitMs);
  for (let tried = 1; ; tried++) {
    signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (error) {
      signal?.throwIfAborted();
      if (tried >= attempts || !retryIf(error)) throw error;
      onRetry?.(error, waitMs);
      await sleep(waitMs, undefined, signal ? { signal } : {});
      waitMs = Math.min(waitMs * 2, longestWaitMs);
    }
  }
}
