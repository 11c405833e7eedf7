/** Shapes shared by the Kubernetes emulator's files. Stored objects are plain JSON, as the API serves them. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The kinds the emulator stores. */
export type StoredKind =
  | 'Pod'
  | 'Deployment'
  | 'ReplicaSet'
  | 'Event'
  | 'HorizontalPodAutoscaler'
  | 'Secret'
  | 'ServiceAccount';

/** An RBAC rule, like a Role's rule plus the namespaces its binding covers. `'*'` matches anything. */
export type AccessRule = {
  verbs: string[];
  /** `deployments`, `deployments/scale`, `pods/log`, `serviceaccounts/token`, `*`, `*\/scale`. */
  resources: string[];
  namespaces: string[];
  /** Only these object names (as in RBAC, a rule with names never allows list or create-without-name). */
  resourceNames?: string[];
};

/** Someone the emulator knows: a static bearer token, or a service account whose issued tokens count. */
export type EmulatorIdentity =
  | { token: string; user: string; rules: AccessRule[] }
  | { serviceAccount: { namespace: string; name: string }; rules: AccessRule[] };

export type KubernetesEmulatorOptions = {
  identities: EmulatorIdentity[];
  /** Milliseconds since the epoch; drives timestamps, token expiry and `sinceSeconds`. */
  clock?: () => number;
  /** Audiences the API server accepts; a token issued for none of them is refused (401). */
  apiAudiences?: string[];
};

/** Who made a request, as RBAC names them. */
export type Caller = { user: string };

/** One HTTP request as the emulator received it, for assertions. */
export type RecordedRequest = {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | null;
  /** The parsed JSON body; the raw text when it was not JSON; null when empty. */
  body: Json;
  /** The authenticated user, or null when authentication failed or was not reached. */
  user: string | null;
  status: number;
  /** Set when an injected fault answered instead of the emulator. */
  fault: 'error' | 'drop' | null;
  at: number;
};

/** What the handlers answer: a status, and a JSON object or plain text. */
export type HttpAnswer = {
  status: number;
  body: JsonObject | string;
  headers?: Record<string, string>;
};
