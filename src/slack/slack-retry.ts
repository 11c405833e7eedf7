import { setTimeout as sleep } from 'node:timers/promises';

/** Slack's own passing trouble: worth another try. Anything else (a bad channel, no auth…) is not. */
const TRANSIENT_PLATFORM_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
]);

/** Whether `error` is a failure of a Slack Web API call (not of the database or of Warden's own code). */
export function isSlackError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('slack_webapi_');
}

/** Whether a Web API failure may succeed if the same call is made again. */
export function isTransientSlackError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, data, statusCode } = error as {
    code?: unknown;
    data?: { error?: unknown };
    statusCode?: unknown;
  };
  switch (code) {
    case 'slack_webapi_platform_error':
      return typeof data?.error === 'string' && TRANSIENT_PLATFORM_ERRORS.has(data.error);
    case 'slack_webapi_http_error':
      return typeof statusCode === 'number' && statusCode >= 500;
    // The WebClient already retried these (and waited out any Retry-After) before giving up.
    case 'slack_webapi_request_error':
    case 'slack_webapi_rate_limited_error':
      return true;
    default:
      return false;
  }
}

/**
 * Makes one Slack call, trying again after transient failures with back-off (250 ms, 500 ms, 1 s, 2 s…).
 * For messages a listener posts itself after the ack (the kill announcement, the run message): Postgres
 * has already committed, so one failed Slack call must not lose the message.
 */
export async function retrySlackCall<T>({
  call,
  attempts = 5,
  firstDelayMs = 250,
}: {
  call: () => Promise<T>;
  attempts?: number;
  firstDelayMs?: number;
}): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !isTransientSlackError(error)) throw error;
      await sleep(firstDelayMs * 2 ** (attempt - 1));
    }
  }
}
