import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IEvent } from 'kubernetes-models/v1/Event';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { StoredKind } from './emulator.types.ts';
import { kubeTime, newUid } from './names.ts';
import { assertValidObject } from './validate.ts';

/** The `kubernetes-models` interface of each stored kind. */
export type KindTypes = {
  Pod: IPod;
  Deployment: IDeployment;
  ReplicaSet: IReplicaSet;
  Event: IEvent;
  HorizontalPodAutoscaler: IHorizontalPodAutoscaler;
  Secret: ISecret;
  ServiceAccount: IServiceAccount;
};

/** The identifying metadata every stored object has. */
export type ObjectKey = { name: string; namespace: string; uid: string; resourceVersion: string };

/** Reads the metadata the store guarantees on every object it holds. */
export function keyOf(object: {
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}): ObjectKey {
  const { name, namespace, uid, resourceVersion } = object.metadata ?? {};
  if (!name || !namespace || !uid || !resourceVersion)
    throw new Error(
      `kubernetes emulator: ${String(object.kind)} without name, namespace, uid or resourceVersion`,
    );
  return { name, namespace, uid, resourceVersion };
}

/**
 * The cluster's objects, in memory. Every write is validated against the kind's schema (a failure is an
 * emulator bug and throws) and gets a new cluster-wide `resourceVersion`, as etcd revisions do. Readers
 * get copies, so a handler can never change a stored object by accident.
 */
export function createClusterStore({ clock }: { clock: () => number }) {
  const objects = new Map<StoredKind, Map<string, object>>();
  const namespaces = new Set<string>();
  let revision = 1000;

  const bucket = (kind: StoredKind) => {
    let found = objects.get(kind);
    if (!found) {
      found = new Map();
      objects.set(kind, found);
    }
    return found;
  };
  const write = <K extends StoredKind>(kind: K, object: KindTypes[K]): KindTypes[K] => {
    revision += 1;
    const next = structuredClone(object);
    next.metadata = { ...next.metadata, resourceVersion: String(revision) };
    assertValidObject(next);
    const { namespace, name } = keyOf(next);
    namespaces.add(namespace);
    bucket(kind).set(`${namespace}/${name}`, next);
    return structuredClone(next);
  };

  return {
    clock,
    /** The latest resourceVersion, as a list's `metadata.resourceVersion`. */
    resourceVersion: () => String(revision),
    get<K extends StoredKind>(kind: K, namespace: string, name: string): KindTypes[K] | undefined {
      const found = bucket(kind).get(`${namespace}/${name}`);
      return found === undefined ? undefined : (structuredClone(found) as KindTypes[K]);
    },
    /** Objects of a kind in a namespace, ordered by name as etcd lists them. */
    list<K extends StoredKind>(kind: K, namespace: string): KindTypes[K][] {
      return [...bucket(kind).entries()]
        .filter(([key]) => key.startsWith(`${namespace}/`))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, object]) => structuredClone(object) as KindTypes[K]);
    },
    /** Stores a new object with a fresh uid and creationTimestamp (a given uid is kept, for seeding). */
    create<K extends StoredKind>(kind: K, object: KindTypes[K]): KindTypes[K] {
      const metadata = object.metadata ?? {};
      const generation = kind === 'Deployment' || kind === 'ReplicaSet' ? { generation: 1 } : {};
      return write(kind, {
        ...object,
        metadata: {
          ...generation,
          ...metadata,
          uid: metadata.uid ?? newUid(),
          creationTimestamp: metadata.creationTimestamp ?? kubeTime(clock()),
        },
      });
    },
    /** Replaces a stored object with a new version. */
    update<K extends StoredKind>(kind: K, object: KindTypes[K]): KindTypes[K] {
      const { namespace, name } = keyOf({
        ...object,
        metadata: { resourceVersion: '0', ...object.metadata },
      });
      if (!bucket(kind).has(`${namespace}/${name}`))
        throw new Error(`kubernetes emulator: update of missing ${kind} ${namespace}/${name}`);
      return write(kind, object);
    },
    remove<K extends StoredKind>(kind: K, namespace: string, name: string): KindTypes[K] | undefined {
      const key = `${namespace}/${name}`;
      const found = bucket(kind).get(key);
      bucket(kind).delete(key);
      return found === undefined ? undefined : (found as KindTypes[K]);
    },
    /** Makes a namespace exist (objects can only be created in one that does). */
    addNamespace(namespace: string): void {
      namespaces.add(namespace);
    },
    hasNamespace: (namespace: string) => namespaces.has(namespace),
  };
}
export type ClusterStore = ReturnType<typeof createClusterStore>;
