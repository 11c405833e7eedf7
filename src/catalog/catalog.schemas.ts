import { z } from 'zod';
import { githubConnectionSchema, githubEnvironmentSchema } from './catalog.github.schemas.ts';
import { mcpConnectionSchema } from './catalog.mcp.schemas.ts';
import { httpAuthSchema, secretSourceSchema, url } from './catalog.sources.schemas.ts';

export type { McpConnectionSpec } from './catalog.mcp.schemas.ts';
export { type SecretSource, secretSourceSchema } from './catalog.sources.schemas.ts';

// The service catalog: which real system holds each service's workload, metrics and alerts in each
// environment. Planners and charters speak in services, environments and query names; only the catalog
// turns those into a namespace, a label selector or PromQL, so a charter constraint on `service` or
// `query` bounds what a tool can touch.

const name = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, - or _');
const slackChannelId = z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel ID such as C0123ABCD');
/** A Kubernetes object name (RFC 1123 label, as namespaces and deployments use). */
const k8sName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Kubernetes name (lower-case, digits, -)');
/** Labels with names as Prometheus and Alertmanager accept them; values are any text, escaped where used. */
const labels = z
  .record(
    z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/, 'must be a Prometheus label name'),
    z.string().min(1),
  )
  .refine((l) => Object.keys(l).length > 0, 'must name at least one label');
/** Kubernetes labels (names may hold a prefix, dots and dashes); values as Kubernetes allows them. */
const podLabels = z
  .record(
    z
      .string()
      .regex(
        /^([a-z0-9.-]{1,253}\/)?[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?$/,
        'must be a Kubernetes label name',
      ),
    z
      .string()
      .regex(/^([a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?)?$/, 'must be a Kubernetes label value'),
  )
  .refine((l) => Object.keys(l).length > 0, 'must name at least one label');

/** A PromQL template: `$selector` stands for the environment's label matchers, so every query is scoped. */
const promqlTemplate = z
  .string()
  .min(1)
  .max(2000)
  .refine((q) => q.includes('$selector'), {
    message: 'does not use $selector, so it would not be limited to this service',
  });

export const environmentSchema = z.strictObject({
  kubernetes: z
    .strictObject({
      connection: name,
      namespace: k8sName,
      deployment: k8sName,
      /** The labels of the service's pods, for listing them and their logs. */
      pod_labels: podLabels,
    })
    .optional(),
  prometheus: z
    .strictObject({
      connection: name,
      /** The series labels that select this service here; they replace `$selector` in its queries. */
      labels,
    })
    .optional(),
  alertmanager: z
    .strictObject({
      connection: name,
      /** Equality matchers that select this service's alerts here; silences are made of these and nothing wider. */
      matchers: labels,
    })
    .optional(),
  pagerduty: z
    .strictObject({
      connection: name,
      /** The PagerDuty service ids (`PXXXXXX`) whose incidents belong to this service here. */
      service_ids: z
        .array(z.string().regex(/^P[A-Z0-9]{5,13}$/, 'must be a PagerDuty service id such as PF9KMXH'))
        .min(1, 'must name at least one PagerDuty service id'),
    })
    .optional(),
  /** The Jira project this service's tickets go to here; every Jira tool is confined to it. */
  jira: z
    .strictObject({
      connection: name,
      project: z.string().regex(/^[A-Z][A-Z0-9_]{1,9}$/, 'must be a Jira project key such as OPS'),
    })
    .optional(),
  /** The service's GitHub repository here: deployments, commits, workflow runs, issues, its rollback workflow. */
  github: githubEnvironmentSchema.optional(),
  /** Where create_ticket files here, when both Jira and GitHub are named (default: Jira when named). */
  tickets: z.enum(['jira', 'github']).optional(),
  /** Runbooks that may be requested here, by name: the only URLs a runbook request is ever sent to. */
  runbooks: z
    .strictObject({
      connection: name,
      urls: z
        .record(
          z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a runbook name'),
          z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
        )
        .refine((u) => Object.keys(u).length > 0, 'must name at least one runbook'),
    })
    .optional(),
});

export const serviceSchema = z.strictObject({
  service: name,
  description: z.string().max(500).optional(),
  /** Where the service's team talks: runs started by its alerts post here. */
  owner_channel: slackChannelId,
  environments: z
    .record(name, environmentSchema)
    .refine((e) => Object.keys(e).length > 0, 'must list at least one environment'),
  /** Named PromQL queries; tools take a name from here, never PromQL. */
  queries: z
    .record(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a query name'), promqlTemplate)
    .default({}),
});

export type ServiceSpec = z.infer<typeof serviceSchema>;
export type EnvironmentSpec = z.infer<typeof environmentSchema>;

/**
 * PagerDuty's REST API v2 (`url` defaults to https://api.pagerduty.com): the API token, the incident id
 * prefix that maps Warden's incident ids to it (`INC-1234` → incident number 1234, `INC-PT4KHLK` → that
 * id), the v3 webhook signing secrets (several while one is rotated) and who a write is sent `From`.
 */
const pagerdutyConnectionSchema = z.strictObject({
  kind: z.literal('pagerduty'),
  url: url.default('https://api.pagerduty.com'),
  token: secretSourceSchema,
  incident_prefix: z
    .string()
    .regex(/^[A-Z][A-Z0-9]{0,9}$/, 'must be upper-case letters or digits, such as INC')
    .refine((p) => p !== 'ALERT', 'ALERT is the prefix of the incidents Alertmanager opens')
    .default('PD'),
  webhook_secrets: z.array(secretSourceSchema).max(4).default([]),
  /** The PagerDuty login e-mail of each approver (Slack user ID → e-mail): sent as `From` on writes. */
  people: z.record(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user ID'), z.email()).default({}),
  /** `From` for a write that needed no approval (a PagerDuty user, e.g. a bot); absent: such writes are refused. */
  default_from: z.email().optional(),
});

/** `https://api.atlassian.com/ex/jira/{cloudId}`: what a scoped token needs (the site URL answers 401). */
const jiraApiUrl = url.refine(
  (u) =>
    URL.canParse(u) &&
    /^\/ex\/jira\/[0-9a-f-]{8,64}\/?$/.test(new URL(u).pathname) &&
    !new URL(u).hostname.endsWith('.atlassian.net'),
  {
    message:
      'must be the API gateway URL a scoped token needs, https://api.atlassian.com/ex/jira/<cloud id> (not the site URL)',
  },
);

/** Jira Cloud through a service account's scoped API token (basic auth, email:token). */
const jiraConnectionSchema = z.strictObject({
  kind: z.literal('jira'),
  url: jiraApiUrl,
  /** The site people open (`https://acme.atlassian.net`): links, and the check that the cloud id is it. */
  site: url,
  email: z.email(),
  token: secretSourceSchema,
});

/** Signed runbook webhooks (Standard Webhooks); the URLs are per service and environment. */
const runbooksConnectionSchema = z.strictObject({
  kind: z.literal('runbooks'),
  /** The signing secret: `whsec_` + base64 (the key is the decoded bytes), else the text itself. */
  signing_secret: secretSourceSchema,
  /** Loopback addresses are refused unless this says so (a local receiver in tests). */
  allow_loopback: z.boolean().default(false),
  timeout_ms: z.number().int().min(100).max(30_000).default(10_000),
  max_response_bytes: z.number().int().min(1).max(1_048_576).default(65_536),
});

export const connectionSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('kubernetes'),
    url,
    /** The cluster's CA bundle; without it the system's CAs are used. */
    ca_file: z.string().startsWith('/', 'must be an absolute path').optional(),
    /** The broker's own identity: it may only create tokens for the executor accounts below. */
    token: secretSourceSchema,
    executor: z.strictObject({
      namespace: k8sName,
      /** The service account whose short-lived token a read uses, and the one a write uses. */
      read_account: k8sName,
      write_account: k8sName,
      audience: z.string().min(1).optional(),
    }),
  }),
  z.strictObject({ kind: z.literal('prometheus'), url, auth: httpAuthSchema.optional() }),
  z.strictObject({ kind: z.literal('alertmanager'), url, auth: httpAuthSchema.optional() }),
  pagerdutyConnectionSchema,
  jiraConnectionSchema,
  githubConnectionSchema,
  runbooksConnectionSchema,
  mcpConnectionSchema,
]);
export type ConnectionSpec = z.infer<typeof connectionSchema>;
export type ConnectionKind = ConnectionSpec['kind'];

export const connectionsFileSchema = z.strictObject({ connections: z.record(name, connectionSchema) });
