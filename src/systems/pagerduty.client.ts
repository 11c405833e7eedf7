import type { z } from 'zod';
import { wardenError } from '../shared/errors.ts';
import { parseAnswer, sendCapped } from './http-json.ts';
import {
  abilitiesAnswerSchema,
  alertsAnswerSchema,
  incidentAnswerSchema,
  logEntriesAnswerSchema,
  noteAnswerSchema,
  notesAnswerSchema,
  oncallsAnswerSchema,
  type PagerDutyAlert,
  type PagerDutyIncident,
  type PagerDutyLogEntry,
  type PagerDutyNote,
  type PagerDutyOncall,
} from './pagerduty.schemas.ts';
import { shortText, statusError } from './system-errors.ts';
import type { Fetch, PagerDutyConnection } from './systems.types.ts';

export type { PagerDutyAlert, PagerDutyIncident, PagerDutyLogEntry, PagerDutyNote, PagerDutyOncall };

/** The media type PagerDuty's REST API v2 asks for. */
export const PAGERDUTY_ACCEPT = 'application/vnd.pagerduty+json;version=2';
/** A 429 whose `ratelimit-reset` is further away than this is not waited for: the call fails instead. */
const MAX_RATE_LIMIT_WAIT_MS = 10_000;
const MAX_ATTEMPTS = 3;
const MAX_RESPONSE_BYTES = 2 * 1024 * 1024;

export type PagerDutyClient = {
  connection: string;
  incidentPrefix: string;
  people: Readonly<Record<string, string>>;
  defaultFrom: string | null;
  /** An incident by its id (`PT4KHLK`) or its number (`1234`): PagerDuty's show accepts either. */
  incident: (request: { ref: string; signal?: AbortSignal }) => Promise<PagerDutyIncident>;
  alerts: (request: { incidentId: string; limit: number; signal?: AbortSignal }) => Promise<PagerDutyAlert[]>;
  logEntries: (request: {
    incidentId: string;
    limit: number;
    signal?: AbortSignal;
  }) => Promise<PagerDutyLogEntry[]>;
  notes: (request: { incidentId: string; signal?: AbortSignal }) => Promise<PagerDutyNote[]>;
  /** Adds a note; `from` is the PagerDuty user's e-mail PagerDuty's own log will name. */
  addNote: (request: {
    incidentId: string;
    content: string;
    from: string;
    signal?: AbortSignal;
  }) => Promise<PagerDutyNote>;
  acknowledge: (request: {
    incidentId: string;
    from: string;
    signal?: AbortSignal;
  }) => Promise<PagerDutyIncident>;
  /** Who is on call now for one escalation policy (`GET /oncalls`, users included: their e-mails). */
  oncalls: (request: { escalationPolicyId: string; signal?: AbortSignal }) => Promise<PagerDutyOncall[]>;
  /** A harmless read for `warden connections check`: `PagerDuty API, 12 abilities`. */
  ping: (options?: { signal?: AbortSignal }) => Promise<string>;
};

/**
 * PagerDuty's REST API v2 for one connection: `Authorization: Token token=…`, the v2 `Accept`, `From` on
 * writes. A 429 is waited out for as long as `ratelimit-reset` says (at most 10 s, at most twice), then
 * fails as `system.rate_limited`. Failures are coded errors naming the connection, never the token.
 */
export function createPagerDutyClient({
  connection,
  fetch: fetchImpl = fetch,
  requestTimeoutMs = 10_000,
  sleep = (ms: number, signal?: AbortSignal) => defaultSleep(ms, signal),
}: {
  connection: PagerDutyConnection;
  fetch?: Fetch;
  requestTimeoutMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}): PagerDutyClient {
  const name = connection.name;

  async function call<T>(request: {
    method?: 'GET' | 'POST' | 'PUT';
    path: string;
    query?: Record<string, string> | [string, string][];
    body?: unknown;
    from?: string;
    schema: z.ZodType<T>;
    signal?: AbortSignal;
  }): Promise<T> {
    const url = new URL(`${connection.url}${request.path}`);
    const query = Array.isArray(request.query) ? request.query : Object.entries(request.query ?? {});
    for (const [k, v] of query) url.searchParams.append(k, v);
    const headers: Record<string, string> = {
      accept: PAGERDUTY_ACCEPT,
      authorization: `Token token=${connection.token}`,
    };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (request.from !== undefined) headers.from = request.from;
    for (let attempt = 1; ; attempt++) {
      const { response, text } = await sendCapped({
        name,
        url,
        init: { method: request.method ?? 'GET', headers, body: request.body },
        timeoutMs: requestTimeoutMs,
        signal: request.signal,
        fetch: fetchImpl,
        maxBytes: MAX_RESPONSE_BYTES,
      });
      if (response.status === 429) {
        const resetMs = resetOf(response.headers) * 1_000;
        if (attempt >= MAX_ATTEMPTS || resetMs > MAX_RATE_LIMIT_WAIT_MS)
          throw wardenError({
            code: 'system.rate_limited',
            message: `${name} is rate limiting Warden (429; it resets in ${Math.ceil(resetMs / 1000)} s). Nothing was changed by this request; try again later.`,
            details: { connection: name, status: 429, resetSeconds: Math.ceil(resetMs / 1000) },
          });
        await sleep(resetMs, request.signal);
        continue;
      }
      if (!response.ok)
        throw statusError({ connection: name, status: response.status, said: scrub(serverSaid(text)) });
      return parseAnswer({ name, text, schema: request.schema });
    }
  }

  /** A server's words never carry the token back into a message. */
  function scrub(said: string): string {
    return said.split(connection.token).join('[REDACTED]');
  }

  const incidentPath = (id: string) => `/incidents/${encodeURIComponent(id)}`;

  return {
    connection: name,
    incidentPrefix: connection.incidentPrefix,
    people: connection.people,
    defaultFrom: connection.defaultFrom,
    incident: async ({ ref, signal }) =>
      (await call({ path: incidentPath(ref), schema: incidentAnswerSchema, signal })).incident,
    alerts: async ({ incidentId, limit, signal }) =>
      (
        await call({
          path: `${incidentPath(incidentId)}/alerts`,
          query: { limit: String(limit) },
          schema: alertsAnswerSchema,
          signal,
        })
      ).alerts,
    logEntries: async ({ incidentId, limit, signal }) =>
      (
        await call({
          path: `${incidentPath(incidentId)}/log_entries`,
          query: { limit: String(limit) },
          schema: logEntriesAnswerSchema,
          signal,
        })
      ).log_entries,
    notes: async ({ incidentId, signal }) =>
      (await call({ path: `${incidentPath(incidentId)}/notes`, schema: notesAnswerSchema, signal })).notes,
    addNote: async ({ incidentId, content, from, signal }) =>
      (
        await call({
          method: 'POST',
          path: `${incidentPath(incidentId)}/notes`,
          body: { note: { content } },
          from,
          schema: noteAnswerSchema,
          signal,
        })
      ).note,
    acknowledge: async ({ incidentId, from, signal }) =>
      (
        await call({
          method: 'PUT',
          path: incidentPath(incidentId),
          body: { incident: { type: 'incident_reference', status: 'acknowledged' } },
          from,
          schema: incidentAnswerSchema,
          signal,
        })
      ).incident,
    oncalls: async ({ escalationPolicyId, signal }) =>
      (
        await call({
          path: '/oncalls',
          query: [
            ['escalation_policy_ids[]', escalationPolicyId],
            ['include[]', 'users'],
            ['limit', '100'],
          ],
          schema: oncallsAnswerSchema,
          signal,
        })
      ).oncalls,
    ping: async ({ signal } = {}) => {
      const answer = await call({ path: '/abilities', schema: abilitiesAnswerSchema, signal });
      return `PagerDuty API, ${answer.abilities.length} abilities`;
    },
  };
}

/** Seconds until the limit resets (`ratelimit-reset`, else `retry-after`); 1 when neither says. */
function resetOf(headers: Headers): number {
  for (const name of ['ratelimit-reset', 'retry-after']) {
    const value = Number(headers.get(name));
    if (Number.isFinite(value) && value >= 0 && headers.get(name) !== null) return value;
  }
  return 1;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(
        wardenError({ code: 'tools.aborted', message: 'The call was cancelled.', cause: signal?.reason }),
      );
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function serverSaid(text: string): string {
  try {
    const json = JSON.parse(text) as { error?: { message?: unknown; errors?: unknown } };
    const message = json.error?.message;
    const errors = Array.isArray(json.error?.errors) ? json.error.errors.map(String).join('; ') : '';
    if (typeof message === 'string') return shortText(errors ? `${message}: ${errors}` : message);
  } catch {
    // plain text
  }
  return shortText(text);
}
