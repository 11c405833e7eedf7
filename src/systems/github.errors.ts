import { type WardenError, wardenError } from '../shared/errors.ts';
import { shortText, statusError, transportError } from './system-errors.ts';

/** How a failed Octokit call looks: a RequestError with GitHub's answer, or one wrapping a transport failure. */
type OctokitFailure = {
  name?: unknown;
  status?: unknown;
  cause?: unknown;
  response?: { headers?: Record<string, unknown>; data?: unknown };
};

/** When GitHub's rate limit for this installation resets, from `x-ratelimit-reset` or `retry-after`. */
function rateLimitReset(headers: Record<string, unknown>, now: Date): Date | null {
  const retryAfter = Number(headers['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter >= 0) return new Date(now.getTime() + retryAfter * 1000);
  const reset = Number(headers['x-ratelimit-reset']);
  return Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : null;
}

/**
 * An Octokit failure as a coded error naming the connection. Built from the status, GitHub's `message`
 * and its rate-limit headers only: the failure carries the request, so it is never kept as a cause.
 */
export function githubError({
  connection,
  error,
  timeoutMs,
  aborted,
  now,
}: {
  connection: string;
  error: unknown;
  timeoutMs: number;
  /** The caller's own signal (the kill switch) fired. */
  aborted: boolean;
  now: Date;
}): WardenError {
  if (aborted)
    return wardenError({ code: 'tools.aborted', message: `The call to ${connection} was cancelled.` });
  const failure = (error ?? {}) as OctokitFailure;
  const response = failure.response;
  if (!response) {
    // No answer: Octokit reports a transport failure as a 500 whose cause is fetch's error.
    const cause = (failure.name === 'AbortError' ? error : failure.cause) ?? error;
    return transportError({ connection, error: causeWithCode(cause), timeoutMs });
  }
  const status = typeof failure.status === 'number' ? failure.status : 0;
  const headers = response.headers ?? {};
  const limited =
    status === 429 ||
    (status === 403 && (headers['x-ratelimit-remaining'] === '0' || 'retry-after' in headers));
  if (limited) {
    const reset = rateLimitReset(headers, now);
    return wardenError({
      code: 'system.unavailable',
      message: `${connection} is rate-limiting Warden (${status}); try again ${reset ? `after ${reset.toISOString()}` : 'in a minute'}.`,
      details: { connection, status, ...(reset ? { resetAt: reset.toISOString() } : {}) },
    });
  }
  return statusError({ connection, status, said: githubSaid(response.data) });
}

/** fetch's TypeError hides the socket's code in `cause`; the transport error reads the code from the top. */
function causeWithCode(error: unknown): unknown {
  const inner = (error as { cause?: unknown }).cause;
  const code = (inner as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? inner : error;
}

/** GitHub's error text: `message` and each entry of `errors`, shortened. */
function githubSaid(data: unknown): string {
  if (typeof data !== 'object' || data === null) return '';
  const { message, errors } = data as { message?: unknown; errors?: unknown };
  const parts = typeof message === 'string' ? [message] : [];
  if (Array.isArray(errors))
    for (const e of errors) {
      if (typeof e === 'string') parts.push(e);
      else if (typeof e === 'object' && e !== null) {
        const { field, code, message: m } = e as { field?: unknown; code?: unknown; message?: unknown };
        parts.push([field, code, m].filter((x) => typeof x === 'string').join(' '));
      }
    }
  return shortText(parts.join('; '));
}
