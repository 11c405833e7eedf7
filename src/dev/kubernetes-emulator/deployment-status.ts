import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IDeploymentCondition } from 'kubernetes-models/apps/v1/DeploymentCondition';
import type { IReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import { kubeTime } from './names.ts';

/** How a rollout goes: done at once (default), held in progress, or past its progress deadline. */
export type RolloutMode = 'complete' | 'hold' | 'failed';

/** `maxUnavailable` as a count: an int, or a percentage of the replicas rounded down (default 25%). */
function maxUnavailable(deployment: IDeployment, desired: number): number {
  if (deployment.spec?.strategy?.type === 'Recreate' || desired === 0) return 0;
  const value = deployment.spec?.strategy?.rollingUpdate?.maxUnavailable ?? '25%';
  if (typeof value === 'number') return Math.min(value, desired);
  return Math.floor((desired * Number.parseInt(value, 10)) / 100);
}

/** Keeps a condition's timestamps when nothing about it changed, as the controller does. */
function condition(
  previous: IDeploymentCondition[] | undefined,
  next: Omit<IDeploymentCondition, 'lastUpdateTime' | 'lastTransitionTime'>,
  now: number,
): IDeploymentCondition {
  const old = previous?.find((c) => c.type === next.type);
  const at = kubeTime(now);
  const transition = old && old.status === next.status ? (old.lastTransitionTime ?? at) : at;
  const updated =
    old && old.status === next.status && old.reason === next.reason ? (old.lastUpdateTime ?? at) : at;
  return { ...next, lastUpdateTime: updated, lastTransitionTime: transition };
}

const positive = (key: string, value: number) => (value > 0 ? { [key]: value } : {});

/**
 * The Deployment status the controller would write from its ReplicaSets' statuses: counts (zeros omitted,
 * as the API omits them), `Available` against `maxUnavailable`, and `Progressing` by rollout mode.
 */
export function deploymentStatus({
  deployment,
  newReplicaSet,
  replicaSets,
  mode,
  now,
}: {
  deployment: IDeployment;
  newReplicaSet: IReplicaSet;
  replicaSets: IReplicaSet[];
  mode: RolloutMode;
  now: number;
}): NonNullable<IDeployment['status']> {
  const desired = deployment.spec?.replicas ?? 1;
  const sum = (read: (rs: IReplicaSet) => number | undefined) =>
    replicaSets.reduce((n, rs) => n + (read(rs) ?? 0), 0);
  const replicas = sum((rs) => rs.status?.replicas);
  const specReplicas = sum((rs) => rs.spec?.replicas);
  const ready = sum((rs) => rs.status?.readyReplicas);
  const available = sum((rs) => rs.status?.availableReplicas);
  const updated = newReplicaSet.status?.replicas ?? 0;
  const rsName = newReplicaSet.metadata?.name ?? '';
  const previous = deployment.status?.conditions;
  const minimumAvailable = available >= desired - maxUnavailable(deployment, desired);
  const complete = updated === desired && replicas === desired && available === desired;

  const progressing =
    mode === 'failed'
      ? {
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: `ReplicaSet "${rsName}" has timed out progressing.`,
        }
      : complete && mode === 'complete'
        ? {
            status: 'True',
            reason: 'NewReplicaSetAvailable',
            message: `ReplicaSet "${rsName}" has successfully progressed.`,
          }
        : { status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` };
  const availability = minimumAvailable
    ? { status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
    : {
        status: 'False',
        reason: 'MinimumReplicasUnavailable',
        message: 'Deployment does not have minimum availability.',
      };

  return {
    observedGeneration: deployment.metadata?.generation ?? 1,
    ...positive('replicas', replicas),
    ...positive('updatedReplicas', updated),
    ...positive('readyReplicas', ready),
    ...positive('availableReplicas', available),
    ...positive('unavailableReplicas', Math.max(0, specReplicas - available)),
    conditions: [
      condition(previous, { type: 'Available', ...availability }, now),
      condition(previous, { type: 'Progressing', ...progressing }, now),
    ],
  };
}
