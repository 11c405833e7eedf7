/**
 * Runs `attempt` until it succeeds, waiting `firstWaitMs` doubling between tries, at most `attempts` times
 * (about 15 s in all by default: long enough for a failover or a backend restart, short enough that the
 * caller still reports in time). The last failure is thrown.
 */
export async function retryWithBackoff<T>({
  attempt,
  attempts = 6,
  firstWaitMs = 500,
  onRetry,
}: {
  attempt: () => Promise<T>;
  attempts?: number;
  firstWaitMs?: number;
  onRetry?: (error: unknown, waitMs: number) => void;
}): Promise<T> {
  let waitMs = firstWaitMs;
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (tried >= attempts) throw error;
      onRetry?.(error, waitMs);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      waitMs *= 2;
    }
  }
}
