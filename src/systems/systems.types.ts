import type { ConnectionSpec } from '../catalog/catalog.schemas.ts';
import type { GitHubConnection } from './github.types.ts';
import type { JiraConnection } from './jira.types.ts';
import type { RunbooksConnection } from './runbook.types.ts';

/** How a request to Prometheus or Alertmanager authenticates; the secret was read from its source. */
export type HttpAuth =
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; username: string; password: string }
  | null;

/** An HTTP system (Prometheus, Alertmanager) with its secret resolved. Only wrappers ever hold one. */
export type HttpConnection = {
  name: string;
  kind: 'prometheus' | 'alertmanager';
  url: string;
  auth: HttpAuth;
};

/** A Kubernetes cluster: the broker's own token may only mint tokens for the executor accounts. */
export type KubernetesConnection = {
  name: string;
  kind: 'kubernetes';
  url: string;
  /** PEM of the cluster's CA, read from `ca_file`; null: the system's CAs. */
  caPem: string | null;
  brokerToken: string;
  executor: Extract<ConnectionSpec, { kind: 'kubernetes' }>['executor'];
};

/** PagerDuty's REST API with its token and webhook secrets read (see `catalog.schemas.ts`). */
export type PagerDutyConnection = {
  name: string;
  kind: 'pagerduty';
  url: string;
  token: string;
  incidentPrefix: string;
  /** Every secret a v3 webhook may be signed with (more than one while a secret is rotated). */
  webhookSecrets: string[];
  /** Slack user ID → PagerDuty login e-mail, sent as `From` on writes the person approved. */
  people: Record<string, string>;
  defaultFrom: string | null;
};

export type ResolvedConnection =
  | HttpConnection
  | KubernetesConnection
  | PagerDutyConnection
  | JiraConnection
  | GitHubConnection
  | RunbooksConnection;

/** The `fetch` the HTTP clients use: the global one in production, a recording or faulty one in tests. */
export type Fetch = typeof fetch;
