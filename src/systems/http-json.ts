import type { z } from 'zod';
import { type WardenError, wardenError } from '../shared/errors.ts';
import { REDACTED } from '../shared/redact.ts';
import { shortText, statusError, transportError } from './system-errors.ts';
import type { Fetch, HttpConnection } from './systems.types.ts';

export type HttpJsonRequest<T> = {
  connection: HttpConnection;
  method?: 'GET' | 'POST' | 'DELETE';
  /** Path under the connection's URL, such as `/api/v1/query`. */
  path: string;
  query?: Record<string, string | string[] | undefined>;
  body?: unknown;
  /** What a 2xx answer must look like; anything else is `system.bad_response`. */
  schema: z.ZodType<T>;
  timeoutMs: number;
  /** The kill switch's signal: when it fires the request is cancelled (`tools.aborted`). */
  signal?: AbortSignal;
  fetch?: Fetch;
};

/** Largest answer read from a system; a bigger one is refused rather than held in memory. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * One JSON request to Prometheus or Alertmanager with the connection's credential, a timeout and the
 * caller's abort signal. Every failure is a coded error naming the connection (see `system-errors.ts`);
 * the credential never appears in one.
 */
export async function httpJson<T>(request: HttpJsonRequest<T>): Promise<T> {
  const { connection, timeoutMs } = request;
  const url = new URL(`${connection.url}${request.path}`);
  for (const [key, value] of Object.entries(request.query ?? {})) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, v);
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (connection.auth?.kind === 'bearer') headers.authorization = `Bearer ${connection.auth.token}`;
  if (connection.auth?.kind === 'basic')
    headers.authorization = `Basic ${Buffer.from(`${connection.auth.username}:${connection.auth.password}`).toString('base64')}`;
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  const { response, text } = await sendCapped({
    name: connection.name,
    url,
    init: { method: request.method ?? 'GET', headers, body: request.body },
    timeoutMs,
    signal: request.signal,
    fetch: request.fetch,
  });
  if (!response.ok)
    throw statusError({ connection: connection.name, status: response.status, said: serverSaid(text) });
  return parseAnswer({ name: connection.name, text, schema: request.schema });
}

/**
 * Sends one request (JSON body, no redirects) within `timeoutMs` and the caller's abort signal, and reads
 * the answer up to `maxBytes`. A cancelled call is `tools.aborted`; a failed or timed-out one a transport
 * error naming the connection (never its credential).
 */
export async function sendCapped({
  name,
  url,
  init,
  timeoutMs,
  signal,
  fetch: fetchImpl = fetch,
  maxBytes = MAX_RESPONSE_BYTES,
}: {
  name: string;
  url: URL;
  init: { method: string; headers: Record<string, string>; body?: unknown };
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  fetch?: Fetch | undefined;
  maxBytes?: number;
}): Promise<{ response: Response; text: string }> {
  const signals = [AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])];
  try {
    const response = await fetchImpl(url, {
      method: init.method,
      headers: init.headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.any(signals),
      redirect: 'error',
    });
    return { response, text: await readCapped(response, maxBytes) };
  } catch (error) {
    if (signal?.aborted)
      throw wardenError({
        code: 'tools.aborted',
        message: `The call to ${name} was cancelled.`,
        cause: signal.reason,
      });
    if (isWardenErrorLike(error)) throw error;
    throw transportError({ connection: name, error, timeoutMs });
  }
}

/** A 2xx answer's JSON, as `schema` says it must look; anything else is `system.bad_response`. */
export function parseAnswer<T>({
  name,
  text,
  schema,
}: {
  name: string;
  text: string;
  schema: z.ZodType<T>;
}): T {
  let json: unknown;
  try {
    json = text.length ? JSON.parse(text) : null;
  } catch {
    throw badResponse(name, 'the answer is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badResponse(name, `${issue?.path.join('.') || 'answer'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(maxBytes);
  }
  const buffer = await response.arrayBuffer();
  if (buffer.byteLength > maxBytes) throw tooLarge(maxBytes);
  return new TextDecoder().decode(buffer);
}

function tooLarge(maxBytes: number) {
  return wardenError({
    code: 'system.bad_response',
    message: `The answer is larger than ${maxBytes / 1024 / 1024} MiB; narrow the request.`,
  });
}

function isWardenErrorLike(error: unknown): boolean {
  return (error as { name?: unknown }).name === 'WardenError';
}

function badResponse(connection: string, why: string) {
  return wardenError({
    code: 'system.bad_response',
    message: `${connection} answered something Warden does not understand (${why}).`,
    details: { connection },
  });
}

/** The error text of a Prometheus (`error`) or Alertmanager (plain text or `message`) answer. */
function serverSaid(text: string): string {
  try {
    const json = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof json.error === 'string') return shortText(json.error);
    if (typeof json.message === 'string') return shortText(json.message);
  } catch {
    // plain text
  }
  return shortText(text);
}

/**
 * The same error with the connection's secrets replaced, in case a server or proxy echoed the credential
 * in its error text (the only place a server's words reach a message).
 */
export function withoutSecrets(error: unknown, connection: HttpConnection): unknown {
  const secrets = secretsOf(connection);
  if (!secrets.length || !isCoded(error)) return error;
  const scrub = (text: string) => secrets.reduce((out, secret) => out.split(secret).join(REDACTED), text);
  const details = JSON.stringify(error.details);
  if (!secrets.some((s) => error.message.includes(s) || details.includes(s))) return error;
  return wardenError({
    code: error.code,
    message: scrub(error.message),
    details: JSON.parse(scrub(details)) as Record<string, unknown>,
  });
}

function secretsOf({ auth }: HttpConnection): string[] {
  if (auth?.kind === 'bearer') return [auth.token];
  if (auth?.kind === 'basic')
    return [auth.password, Buffer.from(`${auth.username}:${auth.password}`).toString('base64')];
  return [];
}

function isCoded(error: unknown): error is WardenError {
  return (error as { name?: unknown }).name === 'WardenError';
}
