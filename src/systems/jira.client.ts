import type { Version3Client } from 'jira.js';
import { z } from 'zod';
import { wardenError } from '../shared/errors.ts';
import type { Redactor } from '../shared/redact.ts';
import { jiraError, retryAfterSeconds, statusOf } from './jira.errors.ts';
import {
  type AdfNode,
  commentsAnswerSchema,
  createdIssueSchema,
  issueSchema,
  type JiraComment,
  type JiraIssue,
  type JiraTransition,
  myselfSchema,
  searchAnswerSchema,
  serverInfoSchema,
  transitionsAnswerSchema,
} from './jira.schemas.ts';
import type { JiraConnection } from './jira.types.ts';

export type { JiraComment, JiraIssue, JiraTransition };

/** The issue fields the tools read; asking for fewer keeps answers small. */
export const ISSUE_FIELDS = ['summary', 'status', 'labels', 'created', 'updated', 'issuetype', 'project'];

export type JiraClient = {
  connection: string;
  /** The site people open, for links (`https://acme.atlassian.net/browse/OPS-1`). */
  site: string;
  getIssue: (r: { key: string; description?: boolean; signal?: AbortSignal }) => Promise<JiraIssue>;
  search: (r: { jql: string; maxResults: number; signal?: AbortSignal }) => Promise<JiraIssue[]>;
  createIssue: (r: {
    project: string;
    issueType: string;
    summary: string;
    description: AdfNode;
    labels: string[];
    signal?: AbortSignal;
  }) => Promise<{ id: string; key: string }>;
  comments: (r: { key: string; signal?: AbortSignal }) => Promise<JiraComment[]>;
  addComment: (r: { key: string; body: AdfNode; signal?: AbortSignal }) => Promise<{ id: string }>;
  transitions: (r: { key: string; signal?: AbortSignal }) => Promise<JiraTransition[]>;
  transition: (r: { key: string; id: string; signal?: AbortSignal }) => Promise<void>;
  /** `connections check`: who the token is, and that the cloud id is the site's (a wrong host fails). */
  ping: (options?: { signal?: AbortSignal }) => Promise<string>;
};

/** `jira.js` (~0.4 s to import) loads with the first call to Jira, never at start-up. */
let loading: Promise<typeof Version3Client> | undefined;
const jiraClientClass = () => {
  loading ??= import('jira.js').then((m) => m.Version3Client);
  return loading;
};

/** Largest answer read from Jira. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
/** A 429 is retried while Jira asks for at most this long a wait, at most twice. */
const MAX_RETRY_AFTER_S = 10;
const MAX_RETRIES = 2;

/**
 * Jira Cloud's REST API v3 for one connection, through the official client (jira.js) with the service
 * account's scoped token. Every answer is checked against a schema; every failure is a coded error
 * without the credential (its basic-auth form is registered with the redactor too).
 */
export function createJiraClient({
  connection,
  redactor,
  requestTimeoutMs = 10_000,
  sleep = defaultSleep,
}: {
  connection: JiraConnection;
  redactor: Redactor;
  requestTimeoutMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}): JiraClient {
  redactor.addSecret(connection.token);
  redactor.addSecret(Buffer.from(`${connection.email}:${connection.token}`).toString('base64'));

  async function call<T>(
    schema: z.ZodType<T>,
    signal: AbortSignal | undefined,
    send: (client: Version3Client) => Promise<unknown>,
  ): Promise<T> {
    const Client = await jiraClientClass();
    for (let attempt = 0; ; attempt++) {
      const client = new Client({
        host: connection.url,
        authentication: { basic: { email: connection.email, apiToken: connection.token } },
        baseRequestConfig: {
          timeout: requestTimeoutMs,
          ...(signal ? { signal } : {}),
          maxRedirects: 0,
          maxContentLength: MAX_RESPONSE_BYTES,
          proxy: false,
        },
      });
      let answer: unknown;
      try {
        answer = await send(client);
      } catch (error) {
        const wait = retryAfterSeconds(error);
        if (statusOf(error) === 429 && attempt < MAX_RETRIES && wait !== null && wait <= MAX_RETRY_AFTER_S) {
          await sleep(wait * 1000, signal);
          continue;
        }
        const aborted = signal?.aborted ?? false;
        const coded = jiraError({ connection: connection.name, error, timeoutMs: requestTimeoutMs, aborted });
        // Jira's own words reach the message: a proxy that echoed the credential must not show it.
        throw wardenError({
          code: coded.code,
          message: redactor.redactText(coded.message),
          details: redactor.redactValue(coded.details),
        });
      }
      const parsed = schema.safeParse(answer);
      if (parsed.success) return parsed.data;
      const issue = parsed.error.issues[0];
      throw wardenError({
        code: 'system.bad_response',
        message: `${connection.name} answered something Warden does not understand (${issue?.path.join('.') || 'answer'}: ${issue?.message ?? 'invalid'}).`,
        details: { connection: connection.name },
      });
    }
  }

  return {
    connection: connection.name,
    site: connection.site,
    getIssue: ({ key, description, signal }) =>
      call(issueSchema, signal, (c) =>
        c.issues.getIssue({
          issueIdOrKey: key,
          fields: description ? [...ISSUE_FIELDS, 'description'] : ISSUE_FIELDS,
        }),
      ),
    search: async ({ jql, maxResults, signal }) => {
      const found = await call(searchAnswerSchema, signal, (c) =>
        c.issueSearch.searchForIssuesUsingJqlEnhancedSearchPost({ jql, maxResults, fields: ISSUE_FIELDS }),
      );
      return found.issues;
    },
    createIssue: ({ project, issueType, summary, description, labels, signal }) =>
      call(createdIssueSchema, signal, (c) =>
        c.issues.createIssue({
          fields: {
            project: { key: project },
            issuetype: { name: issueType },
            summary,
            description: description as never,
            labels,
          },
        }),
      ),
    comments: async ({ key, signal }) => {
      const found = await call(commentsAnswerSchema, signal, (c) =>
        c.issueComments.getComments({ issueIdOrKey: key, maxResults: 100, orderBy: '-created' }),
      );
      return found.comments;
    },
    addComment: ({ key, body, signal }) =>
      call(createdIssueSchema.pick({ id: true }), signal, (c) =>
        c.issueComments.addComment({ issueIdOrKey: key, comment: body as never }),
      ),
    transitions: async ({ key, signal }) => {
      const found = await call(transitionsAnswerSchema, signal, (c) =>
        c.issues.getTransitions({ issueIdOrKey: key }),
      );
      return found.transitions;
    },
    transition: async ({ key, id, signal }) => {
      await call(emptySchema, signal, (c) =>
        c.issues.doTransition({ issueIdOrKey: key, transition: { id } }),
      );
    },
    ping: async ({ signal } = {}) => {
      let me: z.infer<typeof myselfSchema>;
      try {
        me = await call(myselfSchema, signal, (c) => c.myself.getCurrentUser());
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'system.unauthorized') throw error;
        throw wardenError({
          code: 'system.unauthorized',
          message: `${connection.name} refused the token (401). A scoped API token works only through https://api.atlassian.com/ex/jira/<cloud id> (the site's ${connection.site}/_edge/tenant_info shows the cloud id), with the service account's e-mail; check both and the secret.`,
          details: { connection: connection.name, status: 401 },
        });
      }
      const info = await call(serverInfoSchema, signal, (c) => c.serverInfo.getServerInfo());
      if (info.baseUrl.replace(/\/+$/, '') !== connection.site)
        throw wardenError({
          code: 'system.rejected',
          message: `${connection.name}: the cloud id in ${connection.url} is the site ${info.baseUrl}, not ${connection.site}; fix the url's cloud id or the site.`,
          details: { connection: connection.name },
        });
      return `${connection.name}: signed in as ${me.displayName ?? me.accountId} on ${info.baseUrl} through ${connection.url}`;
    },
  };
}

/** A 204 answer: jira.js resolves with an empty body. */
const emptySchema = z.unknown();

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
