import { type Clock, systemClock } from '../shared/clock.ts';
import { createRedactor, type Redactor } from '../shared/redact.ts';
import { type AlertmanagerClient, createAlertmanagerClient } from './alertmanager.client.ts';
import { createKubernetesAccess, type KubernetesAccess } from './kubernetes/kubernetes.access.ts';
import { createPrometheusClient, type PrometheusClient } from './prometheus.client.ts';
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
  for (const connection of connections.values()) {
    if (connection.kind === 'kubernetes')
      kubernetes.set(connection.name, createKubernetesAccess({ connection, redactor, clock }));
    else if (connection.kind === 'prometheus')
      prometheus.set(connection.name, createPrometheusClient({ connection, fetch: fetchImpl }));
    else alertmanager.set(connection.name, createAlertmanagerClient({ connection, fetch: fetchImpl }));
  }
  return {
    /** The client of a connection, or null when no usable connection has this name and kind. */
    prometheus: (name: string): PrometheusClient | null => prometheus.get(name) ?? null,
    alertmanager: (name: string): AlertmanagerClient | null => alertmanager.get(name) ?? null,
    kubernetes: (name: string): KubernetesAccess | null => kubernetes.get(name) ?? null,
    /** Every connection's client, for `warden connections check`. */
    all: () => ({
      prometheus: [...prometheus.values()],
      alertmanager: [...alertmanager.values()],
      kubernetes: [...kubernetes.values()],
    }),
    /**
     * Revokes the per-proposal credentials of these proposals on every cluster (the kill switch; a lease
     * another instance released). Each cluster is tried; the first failure is thrown after all were tried.
     */
    revokeForProposals: async (proposalIds: readonly string[]): Promise<void> => {
      if (proposalIds.length === 0) return;
      const results = await Promise.allSettled(
        [...kubernetes.values()].map((k) => k.revokeForProposals(proposalIds)),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

export type Systems = ReturnType<typeof createSystems>;

/** Systems with no connection at all: the sandbox world. */
export function noSystems(): Systems {
  return createSystems({ connections: new Map(), redactor: createRedactor(), clock: systemClock });
}
