import type { StoredKind } from './emulator.types.ts';

/** A served resource: where it lives in the API and which stored kind backs it. */
export type ResourceInfo = {
  group: string;
  version: string;
  resource: string;
  kind: StoredKind;
  listKind: string;
};

/** A namespaced resource request, as the API server's request-info resolver splits the path. */
export type Route = ResourceInfo & {
  namespace: string;
  /** Empty for a collection. */
  name: string;
  subresource: string | null;
  /** The RBAC verb: get, list, create, update, patch, delete, watch, deletecollection. */
  verb: string;
};

export const RESOURCES: ResourceInfo[] = [
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', listKind: 'PodList' },
  { group: '', version: 'v1', resource: 'events', kind: 'Event', listKind: 'EventList' },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', listKind: 'SecretList' },
  {
    group: '',
    version: 'v1',
    resource: 'serviceaccounts',
    kind: 'ServiceAccount',
    listKind: 'ServiceAccountList',
  },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', listKind: 'DeploymentList' },
  { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', listKind: 'ReplicaSetList' },
  {
    group: 'autoscaling',
    version: 'v2',
    resource: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    listKind: 'HorizontalPodAutoscalerList',
  },
];

/** `apps/v1`, or `v1` for the core group. */
export const apiVersionOf = ({ group, version }: { group: string; version: string }) =>
  group === '' ? version : `${group}/${version}`;

function verbOf(method: string, named: boolean, watch: boolean): string {
  if (method === 'GET') return watch ? 'watch' : named ? 'get' : 'list';
  if (method === 'POST') return 'create';
  if (method === 'PUT') return 'update';
  if (method === 'PATCH') return 'patch';
  if (method === 'DELETE') return named ? 'delete' : 'deletecollection';
  return method.toLowerCase();
}

const CORE = /^\/api\/(v1)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/;
const GROUPED = /^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/;

/** The route of a request path, or undefined when it names no resource the emulator serves. */
export function resolveRoute({ method, url }: { method: string; url: URL }): Route | undefined {
  const core = CORE.exec(url.pathname);
  const grouped = GROUPED.exec(url.pathname);
  const parts = core ? ['', ...core.slice(1)] : grouped ? grouped.slice(1) : undefined;
  if (!parts) return undefined;
  const [group = '', version = '', namespace = '', resource = '', name = '', subresource] = parts.map((p) =>
    p === undefined ? undefined : decodeURIComponent(p),
  );
  const info = RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
  if (!info) return undefined;
  const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
  return {
    ...info,
    namespace,
    name,
    subresource: subresource ?? null,
    verb: verbOf(method, name !== '', watch),
  };
}
