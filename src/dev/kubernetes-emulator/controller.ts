import type { IReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { deploymentStatus, type RolloutMode } from './deployment-status.ts';
import { recordEvent } from './events.ts';
import type { LogStore } from './logs.ts';
import { buildPod, type PodHealth } from './pod-factory.ts';
import {
  buildReplicaSet,
  ownedBy,
  podFor,
  REVISION,
  REVISION_HISTORY,
  replicaSetStatus,
  revisionOf,
  sameTemplate,
  scaleDownOrder,
} from './replica-sets.ts';
import { type ClusterStore, keyOf } from './store.ts';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The Deployment and ReplicaSet controllers, run synchronously after every change: a template no
 * ReplicaSet has gets a new one at revision max+1; a template an old ReplicaSet has (rollout undo) re-uses
 * it and re-numbers it max+1, keeping the old number in `revision-history`. By default the rollout
 * finishes at once (new pods ready, old ones gone); `hold` leaves the new pods pending next to the old
 * ones, and `fail` also marks the progress deadline exceeded.
 */
export function createDeploymentController({ store, logs }: { store: ClusterStore; logs: LogStore }) {
  const modes = new Map<string, RolloutMode>();

  const podsOf = (rs: IReplicaSet) => {
    const { namespace, uid } = keyOf(rs);
    return store.list('Pod', namespace).filter((pod) => ownedBy(pod, uid));
  };

  function scale({
    rs,
    replicas,
    health,
  }: {
    rs: IReplicaSet;
    replicas: number;
    health: PodHealth;
  }): IReplicaSet {
    const { name, namespace } = keyOf(rs);
    const next = structuredClone(rs);
    const from = rs.spec?.replicas ?? 0;
    if (from !== replicas && next.spec && next.metadata) {
      next.spec.replicas = replicas;
      next.metadata.generation = (next.metadata.generation ?? 1) + 1;
      const deployment = next.metadata.ownerReferences?.[0];
      if (deployment)
        recordEvent(store, {
          involved: {
            kind: 'Deployment',
            apiVersion: 'apps/v1',
            name: deployment.name,
            namespace,
            uid: deployment.uid,
          },
          type: 'Normal',
          reason: 'ScalingReplicaSet',
          message: `Scaled ${replicas > from ? 'up' : 'down'} replica set ${name} from ${from} to ${replicas}`,
          component: 'deployment-controller',
        });
    }
    let pods = podsOf(rs);
    const now = store.clock();
    while (pods.length < replicas) pods = [...pods, store.create('Pod', podFor({ rs: next, health, now }))];
    for (const pod of scaleDownOrder(pods).slice(0, Math.max(0, pods.length - replicas))) {
      const { name: podName } = keyOf(pod);
      store.remove('Pod', namespace, podName);
      logs.forgetPod(namespace, podName);
    }
    next.status = replicaSetStatus(next, podsOf(rs));
    return same(next, rs) ? rs : store.update('ReplicaSet', next);
  }

  function reconcile({ namespace, name }: { namespace: string; name: string }): void {
    const deployment = store.get('Deployment', namespace, name);
    if (!deployment) return;
    const { uid } = keyOf(deployment);
    const owned = store.list('ReplicaSet', namespace).filter((rs) => ownedBy(rs, uid));
    const maxRevision = Math.max(0, ...owned.map(revisionOf));
    let current = owned.find((rs) => sameTemplate(rs.spec?.template, deployment.spec?.template));
    if (!current)
      current = store.create('ReplicaSet', buildReplicaSet({ deployment, revision: maxRevision + 1 }));
    else if (revisionOf(current) < maxRevision && current.metadata) {
      const history = current.metadata.annotations?.[REVISION_HISTORY];
      current.metadata.annotations = {
        ...current.metadata.annotations,
        [REVISION]: String(maxRevision + 1),
        [REVISION_HISTORY]: [history, String(revisionOf(current))].filter(Boolean).join(','),
      };
      current = store.update('ReplicaSet', current);
    }
    const currentName = keyOf(current).name;
    const mode = modes.get(`${namespace}/${name}`) ?? 'complete';
    const desired = deployment.spec?.replicas ?? 1;
    const replicas = String(desired);
    if (
      current.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'] !== replicas &&
      current.metadata
    ) {
      current.metadata.annotations = {
        ...current.metadata.annotations,
        'deployment.kubernetes.io/desired-replicas': replicas,
        'deployment.kubernetes.io/max-replicas': replicas,
      };
      current = store.update('ReplicaSet', current);
    }
    const health: PodHealth = mode === 'complete' ? { state: 'running' } : { state: 'pending' };
    current = scale({ rs: current, replicas: desired, health });
    const all = owned
      .filter((rs) => keyOf(rs).name !== currentName)
      .map((rs) => (mode === 'complete' ? scale({ rs, replicas: 0, health }) : rs));

    const next = structuredClone(deployment);
    next.metadata = {
      ...next.metadata,
      annotations: { ...next.metadata?.annotations, [REVISION]: String(revisionOf(current)) },
    };
    next.status = deploymentStatus({
      deployment: next,
      newReplicaSet: current,
      replicaSets: [current, ...all],
      mode,
      now: store.clock(),
    });
    if (!same(next, deployment)) store.update('Deployment', next);
  }

  return {
    reconcile,
    /** Rollouts of this Deployment stay in progress until `complete` (or `fail`). */
    hold({ namespace, name }: { namespace: string; name: string }): void {
      modes.set(`${namespace}/${name}`, 'hold');
    },
    /** The held rollout's pending pods become ready, the old ReplicaSets scale to zero. */
    complete({ namespace, name }: { namespace: string; name: string }): void {
      modes.delete(`${namespace}/${name}`);
      const deployment = store.get('Deployment', namespace, name);
      const uid = deployment ? keyOf(deployment).uid : '';
      const now = store.clock();
      for (const rs of store.list('ReplicaSet', namespace).filter((r) => ownedBy(r, uid)))
        for (const pod of podsOf(rs).filter((p: IPod) => p.status?.phase === 'Pending')) {
          const podKey = keyOf(pod);
          const running = buildPod({
            namespace,
            name: podKey.name,
            uid: podKey.uid,
            template: rs.spec?.template ?? {},
            owner: { name: keyOf(rs).name, uid: keyOf(rs).uid },
            health: { state: 'running' },
            now,
          });
          store.update('Pod', {
            ...running,
            metadata: { ...running.metadata, creationTimestamp: pod.metadata?.creationTimestamp },
          });
        }
      reconcile({ namespace, name });
    },
    /** The rollout stops progressing: `Progressing` turns False with `ProgressDeadlineExceeded`. */
    fail({ namespace, name }: { namespace: string; name: string }): void {
      modes.set(`${namespace}/${name}`, 'failed');
      reconcile({ namespace, name });
    },
  };
}
export type DeploymentController = ReturnType<typeof createDeploymentController>;
