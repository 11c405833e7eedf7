import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { canonical, podTemplateHash, randomSuffix } from './names.ts';
import { buildPod, isPodReady, type PodHealth } from './pod-factory.ts';
import { keyOf } from './store.ts';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const TEMPLATE_HASH = 'pod-template-hash';

/** A ReplicaSet's revision annotation as a number (0 when missing). */
export const revisionOf = (rs: IReplicaSet): number => Number(rs.metadata?.annotations?.[REVISION] ?? 0) || 0;

/** The template without `pod-template-hash`, which is how the controller compares templates. */
export function templateWithoutHash(template: IPodTemplateSpec | undefined): IPodTemplateSpec {
  const copy = structuredClone(template ?? {});
  if (copy.metadata?.labels) {
    const { [TEMPLATE_HASH]: _hash, ...labels } = copy.metadata.labels;
    copy.metadata.labels = labels;
  }
  return copy;
}

/** Equal templates, ignoring the hash label (the controller's `EqualIgnoreHash`). */
export function sameTemplate(a: IPodTemplateSpec | undefined, b: IPodTemplateSpec | undefined): boolean {
  return (
    JSON.stringify(canonical(templateWithoutHash(a))) === JSON.stringify(canonical(templateWithoutHash(b)))
  );
}

/** Whether the object's controller owner is the one with this uid. */
export const ownedBy = (
  object: { metadata?: { ownerReferences?: { uid: string; controller?: boolean }[] } },
  uid: string,
) => object.metadata?.ownerReferences?.some((o) => o.uid === uid && o.controller === true) ?? false;

/** The ReplicaSet the Deployment controller creates for a template: `<deployment>-<hash>`, selector plus hash. */
export function buildReplicaSet({
  deployment,
  revision,
}: {
  deployment: IDeployment;
  revision: number;
}): IReplicaSet {
  const d = keyOf(deployment);
  const template = templateWithoutHash(deployment.spec?.template);
  const hash = podTemplateHash(template);
  const labels = { ...template.metadata?.labels, [TEMPLATE_HASH]: hash };
  const replicas = String(deployment.spec?.replicas ?? 1);
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.name}-${hash}`,
      namespace: d.namespace,
      labels,
      annotations: {
        'deployment.kubernetes.io/desired-replicas': replicas,
        'deployment.kubernetes.io/max-replicas': replicas,
        [REVISION]: String(revision),
      },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: d.name,
          uid: d.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      replicas: 0,
      selector: {
        ...deployment.spec?.selector,
        matchLabels: { ...deployment.spec?.selector.matchLabels, [TEMPLATE_HASH]: hash },
      },
      template: { ...template, metadata: { ...template.metadata, labels } },
    },
    status: { replicas: 0 },
  };
}

/** Pods to remove first when scaling down: not ready before ready, then the newest (as the controller ranks). */
export function scaleDownOrder(pods: IPod[]): IPod[] {
  return [...pods].sort((a, b) => {
    const readiness = Number(isPodReady(a)) - Number(isPodReady(b));
    if (readiness !== 0) return readiness;
    return String(b.metadata?.creationTimestamp ?? '').localeCompare(
      String(a.metadata?.creationTimestamp ?? ''),
    );
  });
}

/** A new pod for a ReplicaSet: `<rs>-<5 random>`, from its template. */
export function podFor({ rs, health, now }: { rs: IReplicaSet; health: PodHealth; now: number }): IPod {
  const { name, namespace, uid } = keyOf(rs);
  const template = rs.spec?.template ?? {};
  return buildPod({
    namespace,
    name: `${name}-${randomSuffix()}`,
    template,
    owner: { name, uid },
    health,
    now,
  });
}

/** A ReplicaSet's status from its pods (all available as soon as ready: minReadySeconds is 0). */
export function replicaSetStatus(rs: IReplicaSet, pods: IPod[]): NonNullable<IReplicaSet['status']> {
  const ready = pods.filter(isPodReady).length;
  return {
    replicas: pods.length,
    ...(pods.length > 0 ? { fullyLabeledReplicas: pods.length } : {}),
    ...(ready > 0 ? { readyReplicas: ready, availableReplicas: ready } : {}),
    observedGeneration: rs.metadata?.generation ?? 1,
  };
}
