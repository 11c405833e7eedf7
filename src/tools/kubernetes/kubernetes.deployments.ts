import type { AppsV1Api, V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { wardenError } from '../../shared/errors.ts';
import type { Workload } from './kubernetes.calls.ts';
import { labelSelector } from './kubernetes.format.ts';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';

/** A Deployment's or ReplicaSet's revision number (0 when it has none yet). */
export function revisionOf(object: { metadata?: { annotations?: Record<string, string> } }): number {
  return Number(object.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0) || 0;
}

/** Where a rollout stands, as `kubectl rollout status` judges it. */
export type RolloutStatus = {
  state: 'complete' | 'progressing' | 'failed';
  message: string;
};

/** `kubectl rollout status` for a Deployment (its `DeploymentStatusViewer`), without waiting. */
export function rolloutStatus(deployment: V1Deployment): RolloutStatus {
  const name = deployment.metadata?.name ?? '';
  const status = deployment.status ?? {};
  if ((deployment.metadata?.generation ?? 0) > (status.observedGeneration ?? 0))
    return { state: 'progressing', message: 'Waiting for deployment spec update to be observed...' };
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { state: 'failed', message: `deployment "${name}" exceeded its progress deadline` };
  const desired = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const replicas = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < desired)
    return {
      state: 'progressing',
      message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...`,
    };
  if (replicas > updated)
    return {
      state: 'progressing',
      message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`,
    };
  if (available < updated)
    return {
      state: 'progressing',
      message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
    };
  return { state: 'complete', message: `deployment "${name}" successfully rolled out` };
}

/** Reads the service's Deployment; a missing one is the catalog's mistake, said as such. */
export async function readDeployment({
  apps,
  workload,
}: {
  apps: AppsV1Api;
  workload: Workload;
}): Promise<V1Deployment> {
  try {
    return await apps.readNamespacedDeployment({ namespace: workload.namespace, name: workload.deployment });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'system.not_found')
      throw wardenError({
        code: 'kubernetes.deployment_missing',
        message: `The service catalog names Deployment ${workload.namespace}/${workload.deployment}, but ${workload.connection} has none; fix the catalog or the cluster.`,
        details: {
          connection: workload.connection,
          namespace: workload.namespace,
          deployment: workload.deployment,
        },
        cause: error,
      });
    throw error;
  }
}

/** The Deployment's own ReplicaSets (selected by its selector, owned by its uid), newest revision first. */
export async function ownedReplicaSets({
  apps,
  deployment,
}: {
  apps: AppsV1Api;
  deployment: V1Deployment;
}): Promise<V1ReplicaSet[]> {
  const uid = deployment.metadata?.uid;
  const list = await apps.listNamespacedReplicaSet({
    namespace: deployment.metadata?.namespace ?? '',
    labelSelector: labelSelector(deployment.spec?.selector.matchLabels ?? {}),
  });
  return list.items
    .filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === uid && o.controller))
    .sort((a, b) => revisionOf(b) - revisionOf(a));
}
