import { z } from 'zod';

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

/** A variable's name. A value that is not one may be the secret pasted in: refused without echoing it. */
const envVariableName = z.string().check((ctx) => {
  if (!/^[A-Z_][A-Z0-9_]{0,127}$/.test(ctx.value))
    ctx.issues.push({
      code: 'custom',
      input: undefined,
      message:
        'must be an environment variable name such as WARDEN_PROM_TOKEN (the secret itself never goes in the catalog)',
    });
});

/** Where a secret comes from: an environment variable or a mounted file, never the YAML itself. */
const secretSourceShape = z.union([
  z.strictObject({ env: envVariableName }),
  z.strictObject({ file: z.string().startsWith('/', 'must be an absolute path') }),
]);
/** Anything but a mapping is refused without echoing it: it may be the secret itself, pasted in. */
export const secretSourceSchema = z
  .unknown()
  .check((ctx) => {
    const v = ctx.value;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      ctx.issues.push({
        code: 'custom',
        input: undefined,
        message:
          'must say where the secret comes from, { env: VARIABLE } or { file: /path }, never the secret itself',
      });
    }
  })
  .pipe(secretSourceShape);
export type SecretSource = z.infer<typeof secretSourceSchema>;

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const httpAuthSchema = z.union([
  z.strictObject({ bearer: secretSourceSchema }),
  z.strictObject({ basic: z.strictObject({ username: z.string().min(1), password: secretSourceSchema }) }),
]);

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
]);
export type ConnectionSpec = z.infer<typeof connectionSchema>;
export type ConnectionKind = ConnectionSpec['kind'];

export const connectionsFileSchema = z.strictObject({ connections: z.record(name, connectionSchema) });
