import { type WardenError, wardenError } from '../shared/errors.ts';
import { errorAnswerSchema } from './prometheus.schemas.ts';
import { shortText } from './system-errors.ts';
import type { Fetch } from './systems.types.ts';

/** Most of an error answer that is read: Prometheus's are a line; a proxy's HTML page is cut. */
const MAX_ERROR_BYTES = 64 * 1024;

/**
 * A `fetch` that reads Prometheus's JSON error answers (`{status:'error', errorType, error}`) and throws
 * a coded error that says what Prometheus meant: a PromQL mistake is `system.rejected` with the parser's
 * text, a query that ran out of time is `system.timeout`. Any other error answer (a proxy's 401, an HTML
 * page) is handed on unchanged for `httpJson` to map by status.
 */
export function withPrometheusErrors({ fetch, connection }: { fetch: Fetch; connection: string }): Fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (response.ok) return response;
    const text = await readUpTo(response, MAX_ERROR_BYTES);
    const parsed = errorAnswerSchema.safeParse(parseJson(text));
    if (parsed.success) {
      const { errorType, error } = parsed.data;
      throw prometheusError({ connection, status: response.status, errorType, error });
    }
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    headers.delete('content-encoding');
    return new Response(text, { status: response.status, statusText: response.statusText, headers });
  };
}

/** The coded error for one of Prometheus's `errorType`s (see its `web/api/v1` `returnAPIError`). */
export function prometheusError({
  connection,
  status,
  errorType,
  error,
}: {
  connection: string;
  status: number;
  errorType: string;
  error: string;
}): WardenError {
  const said = shortText(error, 500);
  const details = { connection, status, errorType };
  switch (errorType) {
    case 'bad_data':
      return wardenError({
        code: 'system.rejected',
        message: `${connection} rejected the query: ${said}`,
        details,
      });
    case 'execution':
      return wardenError({
        code: 'system.rejected',
        message: `${connection} could not evaluate the query: ${said}`,
        details,
      });
    case 'timeout':
      return wardenError({
        code: 'system.timeout',
        message: `${connection} stopped the query at its time limit (${said}); ask for a shorter range or a larger step.`,
        details,
      });
    case 'not_found':
      return wardenError({
        code: 'system.not_found',
        message: `${connection}: not found (${said}).`,
        details,
      });
    case 'canceled':
      return wardenError({
        code: 'system.unavailable',
        message: `${connection} cancelled the query (${said}); it may be overloaded or shutting down.`,
        details,
      });
    default:
      return wardenError({
        code: 'system.unavailable',
        message: `${connection} failed (${status}, ${errorType}): ${said}`,
        details,
      });
  }
}

async function readUpTo(response: Response, max: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < max) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  // Not awaited: a cancel can wait on a tee'd twin of the stream that nobody reads.
  reader.cancel().catch(() => undefined);
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, max));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
