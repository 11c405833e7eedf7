import { errorCode, type WardenError, wardenError } from '../shared/errors.ts';

/** Error codes of the real systems: each names what is wrong so a person knows what to fix. */
export type SystemErrorCode =
  | 'system.unreachable'
  | 'system.tls'
  | 'system.timeout'
  | 'system.unauthorized'
  | 'system.forbidden'
  | 'system.not_found'
  | 'system.rejected'
  | 'system.unavailable'
  | 'system.bad_response';

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS|ERR_SSL|EPROTO$)/;
const UNREACHABLE_CODES =
  /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EAI_AGAIN|EPIPE|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT)$/;

/**
 * Turns a failure to reach a system (no HTTP answer at all) into a coded error naming the connection:
 * unreachable, TLS, or timed out. `aborted` is true when the caller's own signal (the kill switch) fired.
 */
export function transportError({
  connection,
  error,
  timeoutMs,
}: {
  connection: string;
  error: unknown;
  timeoutMs: number;
}): WardenError {
  const name = (error as { name?: unknown }).name;
  if (name === 'TimeoutError')
    return wardenError({
      code: 'system.timeout',
      message: `${connection} did not answer within ${timeoutMs} ms.`,
      details: { connection, timeoutMs },
    });
  const code = errorCode(error);
  if (code && TLS_CODES.test(code))
    return wardenError({
      code: 'system.tls',
      message: `${connection}: the TLS handshake failed (${code}); check the URL and the CA file.`,
      details: { connection, cause: code },
    });
  return wardenError({
    code: 'system.unreachable',
    message: `${connection} is unreachable (${code && UNREACHABLE_CODES.test(code) ? code : (code ?? 'no answer')}).`,
    details: { connection, cause: code ?? null },
  });
}

/** Turns an HTTP error status into a coded error naming the connection and what the server said. */
export function statusError({
  connection,
  status,
  said,
}: {
  connection: string;
  status: number;
  /** The server's own error text, already shortened; it may help the person fix the request. */
  said: string;
}): WardenError {
  const suffix = said ? `: ${said}` : '';
  const details = { connection, status };
  if (status === 401)
    return wardenError({
      code: 'system.unauthorized',
      message: `${connection} refused the credential (401)${suffix}; check the secret it comes from.`,
      details,
    });
  if (status === 403)
    return wardenError({
      code: 'system.forbidden',
      message: `${connection} does not allow this (403)${suffix}.`,
      details,
    });
  if (status === 404)
    return wardenError({
      code: 'system.not_found',
      message: `${connection}: not found (404)${suffix}.`,
      details,
    });
  if (status >= 500)
    return wardenError({
      code: 'system.unavailable',
      message: `${connection} failed (${status})${suffix}.`,
      details,
    });
  return wardenError({
    code: 'system.rejected',
    message: `${connection} rejected the request (${status})${suffix}.`,
    details,
  });
}

/** A server's error text cut to a length a person reads and a card holds. */
export function shortText(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
