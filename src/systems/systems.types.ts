import type { ConnectionSpec } from '../catalog/catalog.schemas.ts';

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

export type ResolvedConnection = HttpConnection | KubernetesConnection;

/** The `fetch` the HTTP clients use: the global one in production, a recording or faulty one in tests. */
export type Fetch = typeof fetch;
