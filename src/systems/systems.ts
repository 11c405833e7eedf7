import { type Clock, systemClock } from '../shared/clock.ts';
import { createRedactor, type Redactor } from '../shared/redact.ts';
import { type AlertmanagerClient, createAlertmanagerClient } from './alertmanager.client.ts';
import { createGitHubAccess, type GitHubAccess } from './github.access.ts';
import { createJiraClient, type JiraClient } from './jira.client.ts';
import { createKubernetesAccess, type KubernetesAccess } from './kubernetes/kubernetes.access.ts';
import { createPagerDutyClient, type PagerDutyClient } from './pagerduty.client.ts';
import { createPrometheusClient, type PrometheusClient } from './prometheus.client.ts';
import { createRunbookClient, type RunbookClient } from './runbook.client.ts';
import type { Fetch, ResolvedConnection } from './systems.types.ts';

/**
 * The clients of the real systems, one per connection, made once by the composition root. Tool wrappers
 * look a client up by the connection name the catalog gives for a service; nothing else holds one.
 */
export function createSystems({
  connections,
  redactor,
  clock,
  fetch: fetchImpl,
}: {
  connections: ReadonlyMap<string, ResolvedConnection>;
  redactor: Redactor;
  clock: Clock;
  fetch?: Fetch;
}) {
  const prometheus = new Map<string, PrometheusClient>();
  const alertmanager = new Map<string, AlertmanagerClient>();
  const kubernetes = new Map<string, KubernetesAccess>();
  const pagerduty = new Map<string, PagerDutyClient>();
  const pagerdutyWebhooks: PagerDutyWebhookSource[] = [];
  const jira = new Map<string, JiraClient>();
  const github = new Map<string, GitHubAccess>();
  const runbooks = new Map<string, RunbookClient>();
  for (const connection of connections.values()) {
    if (connection.kind === 'kubernetes')
      kubernetes.set(connection.name, createKubernetesAccess({ connection, redactor, clock }));
    else if (connection.kind === 'jira')
      jira.set(connection.name, createJiraClient({ connection, redactor }));
    else if (connection.kind === 'github')
      github.set(connection.name, createGitHubAccess({ connection, redactor, clock, fetch: fetchImpl }));
    else if (connection.kind === 'runbooks')
      runbooks.set(connection.name, createRunbookClient({ connection, now: () => clock.now() }));
    else if (connection.kind === 'pagerduty') {
      pagerduty.set(connection.name, createPagerDutyClient({ connection, fetch: fetchImpl }));
      const { name, incidentPrefix, webhookSecrets: secrets } = connection;
      if (secrets.length > 0) pagerdutyWebhooks.push({ connection: name, incidentPrefix, secrets });
    } else if (connection.kind === 'prometheus')
      prometheus.set(connection.name, createPrometheusClient({ connection, fetch: fetchImpl }));
    else alertmanager.set(connection.name, createAlertmanagerClient({ connection, fetch: fetchImpl }));
  }
  return {
    /** The client of a connection, or null when no usable connection has this name and kind. */
    prometheus: (name: string): PrometheusClient | null => prometheus.get(name) ?? null,
    alertmanager: (name: string): AlertmanagerClient | null => alertmanager.get(name) ?? null,
    kubernetes: (name: string): KubernetesAccess | null => kubernetes.get(name) ?? null,
    pagerduty: (name: string): PagerDutyClient | null => pagerduty.get(name) ?? null,
    jira: (name: string): JiraClient | null => jira.get(name) ?? null,
    github: (name: string): GitHubAccess | null => github.get(name) ?? null,
    runbooks: (name: string): RunbookClient | null => runbooks.get(name) ?? null,
    /** The PagerDuty client whose incident prefix is this one (`INC` for `INC-1234`), or null. */
    pagerdutyByPrefix: (prefix: string): PagerDutyClient | null =>
      [...pagerduty.values()].find((c) => c.incidentPrefix === prefix) ?? null,
    /** The PagerDuty connections that accept v3 webhooks, each with its signing secrets. */
    pagerdutyWebhooks: (): readonly PagerDutyWebhookSource[] => pagerdutyWebhooks,
    /** Every connection's client, for `warden connections check`. */
    all: () => ({
      prometheus: [...prometheus.values()],
      alertmanager: [...alertmanager.values()],
      kubernetes: [...kubernetes.values()],
      pagerduty: [...pagerduty.values()],
      jira: [...jira.values()],
      github: [...github.values()],
      runbooks: [...runbooks.values()],
    }),
    /**
     * Revokes the per-proposal credentials of these proposals on every cluster and GitHub App (the kill
     * switch; a lease another instance released). Each is tried; the first failure is thrown after all were.
     */
    revokeForProposals: async (proposalIds: readonly string[]): Promise<void> => {
      if (proposalIds.length === 0) return;
      const results = await Promise.allSettled(
        [...kubernetes.values(), ...github.values()].map((k) => k.revokeForProposals(proposalIds)),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

export type Systems = ReturnType<typeof createSystems>;

/** A PagerDuty connection whose webhook secrets (any of them, during a rotation) sign its v3 webhooks. */
export type PagerDutyWebhookSource = {
  connection: string;
  incidentPrefix: string;
  secrets: readonly string[];
};

/** Systems with no connection at all: the sandbox world. */
export function noSystems(): Systems {
  return createSystems({ connections: new Map(), redactor: createRedactor(), clock: systemClock });
}
