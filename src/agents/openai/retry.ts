import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';

/** Why a model call failed, in words for people, and whether trying again may help. */
export type ModelFailure = { transient: boolean; reason: string; status: number | null };

/** Timeouts, lost connections, 429 and 5xx are worth another try; any other 4xx or a bad answer is not. Pure. */
export function classifyModelError({ error }: { error: unknown }): ModelFailure {
  if (error instanceof APIUserAbortError) return { transient: false, reason: 'aborted', status: null };
  if (error instanceof APIConnectionError) {
    const timedOut = error instanceof APIConnectionTimeoutError;
    return { transient: true, reason: timedOut ? 'timed out' : 'connection failed', status: null };
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const { status } = error;
    if (status === 429) return { transient: true, reason: 'rate limited (HTTP 429)', status };
    if (status >= 500) return { transient: true, reason: `server error (HTTP ${status})`, status };
    // The provider's own words say what to fix (a wrong model name, a bad key); kept short.
    const said = error.message.replace(/^\d{3}\s*/, '').slice(0, 200);
    return { transient: false, reason: `request refused (HTTP ${status}: ${said})`, status };
  }
  const name = error instanceof Error ? error.name : typeof error;
  return { transient: false, reason: `unexpected error (${name})`, status: null };
}

/**
 * The wait before retry number `attempt` (1-based): exponential from `baseMs`, capped at `maxMs`, with
 * "equal jitter" (half fixed, half random) so many runs retrying together spread out. Pure.
 */
export function backoffDelay({
  attempt,
  baseMs,
  maxMs,
  random,
}: {
  attempt: number;
  baseMs: number;
  maxMs: number;
  random: () => number;
}): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(ceiling / 2 + (ceiling / 2) * r);
}

/** Waits `ms`, or rejects as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
