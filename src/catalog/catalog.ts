import type { ConnectionSpec, EnvironmentSpec, ServiceSpec } from './catalog.schemas.ts';

/** One service in one environment, as the catalog says where it lives. */
export type ServiceTarget = {
  service: string;
  environment: string;
  ownerChannel: string;
  systems: EnvironmentSpec;
  queries: Record<string, string>;
};

/** A lookup that either finds what was asked for or says, for the person, why not. */
export type Resolved<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * The loaded catalog. Every lookup by service, environment or query name answers with a clear refusal
 * when the name is unknown: a tool never guesses a namespace or a query.
 */
export function createCatalog({
  services,
  connections,
}: {
  services: ServiceSpec[];
  connections: Record<string, ConnectionSpec>;
}) {
  const byName = new Map(services.map((s) => [s.service, s]));

  function target({
    service,
    environment,
  }: {
    service: string;
    environment: string;
  }): Resolved<ServiceTarget> {
    const spec = byName.get(service);
    if (!spec) {
      const known = [...byName.keys()].sort();
      return {
        ok: false,
        message: `The service catalog has no service "${service}"${known.length ? ` (it knows ${known.join(', ')})` : ''}.`,
      };
    }
    const systems = spec.environments[environment];
    if (!systems) {
      return {
        ok: false,
        message: `The service catalog does not place ${service} in ${environment} (only in ${Object.keys(spec.environments).sort().join(', ')}).`,
      };
    }
    return {
      ok: true,
      value: { service, environment, ownerChannel: spec.owner_channel, systems, queries: spec.queries },
    };
  }

  /** The PromQL of a named query for a service in an environment, scoped by the catalog's labels. */
  function promql({
    service,
    environment,
    query,
  }: {
    service: string;
    environment: string;
    query: string;
  }): Resolved<{ promql: string; connection: string }> {
    const found = target({ service, environment });
    if (!found.ok) return found;
    const prometheus = found.value.systems.prometheus;
    if (!prometheus) {
      return {
        ok: false,
        message: `The service catalog names no Prometheus for ${service} in ${environment}.`,
      };
    }
    const template = found.value.queries[query];
    if (template === undefined) {
      const known = Object.keys(found.value.queries).sort();
      return {
        ok: false,
        message: `${service} has no query named "${query}"${known.length ? ` (it has ${known.join(', ')})` : ''}.`,
      };
    }
    return {
      ok: true,
      value: {
        promql: renderQuery({ template, labels: prometheus.labels }),
        connection: prometheus.connection,
      },
    };
  }

  return {
    services: () => [...byName.values()],
    connections: () => ({ ...connections }),
    connection: (name: string): ConnectionSpec | null => connections[name] ?? null,
    target,
    promql,
  };
}

export type Catalog = ReturnType<typeof createCatalog>;

/** Replaces `$selector` with the labels as PromQL equality matchers, each value escaped. Pure. */
export function renderQuery({
  template,
  labels,
}: {
  template: string;
  labels: Record<string, string>;
}): string {
  return template.replaceAll('$selector', labelMatchers(labels));
}

/** `a="x",b="y"`, sorted by label name, with `\`, `"` and new lines escaped as PromQL strings need. */
export function labelMatchers(labels: Record<string, string>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}="${escapeLabelValue(value)}"`)
    .join(',');
}

function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}
