import { z } from 'zod';
import {
  type Alert,
  alertsAnswerSchema,
  createdSilenceSchema,
  type Silence,
  type SilenceMatcher,
  silenceSchema,
  silencesAnswerSchema,
  statusAnswerSchema,
} from './alertmanager.schemas.ts';
import { httpJson, withoutSecrets } from './http-json.ts';
import type { Fetch, HttpConnection } from './systems.types.ts';

export type { Alert, Silence, SilenceMatcher };

/** Label equality matchers (`name="value"`); the only kind of matcher Warden ever sends. */
export type EqualityMatchers = Record<string, string>;

export type AlertmanagerClient = {
  connection: string;
  /** Alerts whose labels equal every matcher, in the states asked for (Alertmanager's defaults: all). */
  alerts: (request: {
    matchers: EqualityMatchers;
    active?: boolean;
    silenced?: boolean;
    inhibited?: boolean;
    unprocessed?: boolean;
    signal?: AbortSignal;
  }) => Promise<Alert[]>;
  /** Silences (any state) that have a matcher for each given label with that value. */
  silences: (request: { matchers: EqualityMatchers; signal?: AbortSignal }) => Promise<Silence[]>;
  /** One silence by id; `system.not_found` when Alertmanager has none. */
  silence: (request: { id: string; signal?: AbortSignal }) => Promise<Silence>;
  /** Creates a silence of equality matchers only; resolves with its id. */
  createSilence: (request: {
    matchers: EqualityMatchers;
    startsAt: Date;
    endsAt: Date;
    createdBy: string;
    comment: string;
    signal?: AbortSignal;
  }) => Promise<string>;
  /** Expires a silence now (`DELETE /api/v2/silence/{id}`). */
  expireSilence: (request: { id: string; signal?: AbortSignal }) => Promise<void>;
  /** A harmless read for `warden connections check`: `Alertmanager 0.25.0, cluster disabled`. */
  ping: (options?: { signal?: AbortSignal }) => Promise<string>;
};

/**
 * Alertmanager's API v2 for one connection. Matchers are equality only, by construction: the client has
 * no way to send a regex or negative matcher, so a silence can never be wider than the labels given.
 */
export function createAlertmanagerClient({
  connection,
  fetch: fetchImpl,
  requestTimeoutMs = 10_000,
}: {
  connection: HttpConnection;
  fetch?: Fetch;
  requestTimeoutMs?: number;
}): AlertmanagerClient {
  async function call<T>(request: {
    method?: 'GET' | 'POST' | 'DELETE';
    path: string;
    query?: Record<string, string | string[] | undefined>;
    body?: unknown;
    schema: z.ZodType<T>;
    signal?: AbortSignal;
  }): Promise<T> {
    try {
      return await httpJson({ connection, fetch: fetchImpl, timeoutMs: requestTimeoutMs, ...request });
    } catch (error) {
      throw withoutSecrets(error, connection);
    }
  }

  return {
    connection: connection.name,

    alerts: ({ matchers, active, silenced, inhibited, unprocessed, signal }) =>
      call({
        path: '/api/v2/alerts',
        query: {
          filter: filterOf(matchers),
          active: flag(active),
          silenced: flag(silenced),
          inhibited: flag(inhibited),
          unprocessed: flag(unprocessed),
        },
        schema: alertsAnswerSchema,
        signal,
      }),

    silences: ({ matchers, signal }) =>
      call({
        path: '/api/v2/silences',
        query: { filter: filterOf(matchers) },
        schema: silencesAnswerSchema,
        signal,
      }),

    silence: ({ id, signal }) =>
      call({ path: `/api/v2/silence/${encodeURIComponent(id)}`, schema: silenceSchema, signal }),

    createSilence: async ({ matchers, startsAt, endsAt, createdBy, comment, signal }) => {
      const created = await call({
        method: 'POST',
        path: '/api/v2/silences',
        body: {
          matchers: Object.entries(matchers).map(([name, value]) => ({
            name,
            value,
            isRegex: false,
            isEqual: true,
          })),
          startsAt: startsAt.toISOString(),
          endsAt: endsAt.toISOString(),
          createdBy,
          comment,
        },
        schema: createdSilenceSchema,
        signal,
      });
      return created.silenceID;
    },

    expireSilence: async ({ id, signal }) => {
      await call({
        method: 'DELETE',
        path: `/api/v2/silence/${encodeURIComponent(id)}`,
        schema: z.unknown(),
        signal,
      });
    },

    ping: async ({ signal } = {}) => {
      const status = await call({ path: '/api/v2/status', schema: statusAnswerSchema, signal });
      return `Alertmanager ${status.versionInfo.version}, cluster ${status.cluster.status}`;
    },
  };
}

/** `name="value"` filters, the value escaped as Alertmanager's matcher parser reads it. */
export function filterOf(matchers: EqualityMatchers): string[] {
  return Object.entries(matchers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}="${escapeValue(value)}"`);
}

function escapeValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function flag(value: boolean | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}
