import { type WardenError, wardenError } from '../shared/errors.ts';
import { shortText, statusError } from './system-errors.ts';

/** How a failed jira.js call looks: an HttpException with a status and Jira's body, or a transport error. */
type JiraFailure = {
  name?: unknown;
  code?: unknown;
  status?: unknown;
  response?: unknown;
  cause?: { response?: { headers?: Record<string, unknown> } };
};

/** Seconds Jira asked to wait (`Retry-After` on a 429), or null when it did not say. */
export function retryAfterSeconds(error: unknown): number | null {
  const header = (error as JiraFailure).cause?.response?.headers?.['retry-after'];
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

/** The HTTP status of a jira.js failure, or null when Jira never answered. */
export function statusOf(error: unknown): number | null {
  const status = (error as JiraFailure).status;
  return typeof status === 'number' && status >= 400 ? status : null;
}

/**
 * A jira.js failure as a coded error naming the connection. Built from the status and Jira's own
 * `errorMessages` only: the failure's cause holds the request with its Authorization header, so it is
 * never kept.
 */
export function jiraError({
  connection,
  error,
  timeoutMs,
  aborted,
}: {
  connection: string;
  error: unknown;
  timeoutMs: number;
  aborted: boolean;
}): WardenError {
  if (aborted)
    return wardenError({ code: 'tools.aborted', message: `The call to ${connection} was cancelled.` });
  const status = statusOf(error);
  if (status === 429)
    return wardenError({
      code: 'system.unavailable',
      message: `${connection} is rate-limiting Warden (429); try again in ${retryAfterSeconds(error) ?? 'a few'} seconds.`,
      details: { connection, status },
    });
  if (status !== null) return statusError({ connection, status, said: jiraSaid(error) });
  const code = (error as JiraFailure).code;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT')
    return wardenError({
      code: 'system.timeout',
      message: `${connection} did not answer within ${timeoutMs} ms.`,
      details: { connection, timeoutMs },
    });
  if (code === 'ERR_FR_MAX_BODY_LENGTH_EXCEEDED' || code === 'ERR_BAD_RESPONSE')
    return wardenError({
      code: 'system.bad_response',
      message: `${connection} answered something Warden does not read (too large or malformed).`,
      details: { connection },
    });
  const why = typeof code === 'string' && /^[A-Z_]{3,40}$/.test(code) ? code : 'no answer';
  return wardenError({
    code: 'system.unreachable',
    message: `${connection} is unreachable (${why}).`,
    details: { connection, cause: why },
  });
}

/** Jira's error text: `errorMessages` and the `errors` map, shortened. */
function jiraSaid(error: unknown): string {
  const body = ((error as JiraFailure).response as { data?: unknown } | undefined)?.data;
  if (typeof body !== 'object' || body === null) return '';
  const { errorMessages, errors } = body as { errorMessages?: unknown; errors?: unknown };
  const messages = Array.isArray(errorMessages) ? errorMessages.filter((m) => typeof m === 'string') : [];
  const fields =
    typeof errors === 'object' && errors !== null
      ? Object.entries(errors).map(([field, m]) => `${field}: ${String(m)}`)
      : [];
  return shortText([...messages, ...fields].join('; '));
}
