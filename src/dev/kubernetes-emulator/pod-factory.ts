import { createHash } from 'node:crypto';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { kubeTime, newUid } from './names.ts';

/** How a pod's containers are doing. `crashloop` applies to the first container only. */
export type PodHealth =
  | { state: 'running' }
  | { state: 'not-ready' }
  | { state: 'pending' }
  | { state: 'crashloop'; restartCount: number; exitCode?: number; reason?: string };

const containerId = (seed: string) => `containerd://${createHash('sha256').update(seed).digest('hex')}`;
const imageId = (image: string) =>
  `${image.split(':')[0]}@sha256:${createHash('sha256').update(image).digest('hex')}`;

function podIp(name: string): string {
  const digest = createHash('sha256').update(name).digest();
  return `10.244.${(digest[0] ?? 0) % 4}.${2 + ((digest[1] ?? 0) % 250)}`;
}

function containerStatus({
  container,
  health,
  first,
  podName,
  now,
}: {
  container: { name: string; image?: string };
  health: PodHealth;
  first: boolean;
  podName: string;
  now: number;
}) {
  const image = container.image ?? 'busybox:latest';
  const base = { name: container.name, image, imageID: imageId(image) };
  const started = kubeTime(now);
  if (health.state === 'pending')
    return {
      ...base,
      imageID: '',
      ready: false,
      started: false,
      restartCount: 0,
      state: { waiting: { reason: 'ContainerCreating' } },
    };
  if (health.state === 'crashloop' && first) {
    const exitCode = health.exitCode ?? 1;
    return {
      ...base,
      containerID: containerId(`${podName}/${container.name}/${health.restartCount}`),
      ready: false,
      started: false,
      restartCount: health.restartCount,
      state: {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off 5m0s restarting failed container=${container.name} pod=${podName}`,
        },
      },
      lastState: {
        terminated: {
          exitCode,
          reason: health.reason ?? 'Error',
          startedAt: kubeTime(now - 40_000),
          finishedAt: kubeTime(now - 30_000),
          containerID: containerId(`${podName}/${container.name}/${health.restartCount}`),
        },
      },
    };
  }
  const ready = health.state === 'running' || (health.state === 'crashloop' && !first);
  return {
    ...base,
    containerID: containerId(`${podName}/${container.name}/0`),
    ready,
    started: true,
    restartCount: 0,
    state: { running: { startedAt: started } },
  };
}

/**
 * A pod as the ReplicaSet controller, scheduler and kubelet would have left it: owned by its ReplicaSet,
 * scheduled on the emulator's node, with container statuses matching `health`.
 */
export function buildPod({
  namespace,
  name,
  uid,
  template,
  owner,
  health,
  now,
}: {
  namespace: string;
  name: string;
  uid?: string;
  template: IPodTemplateSpec;
  owner: { name: string; uid: string };
  health: PodHealth;
  now: number;
}): IPod {
  const containers = template.spec?.containers ?? [];
  const statuses = containers.map((container, index) =>
    containerStatus({ container, health, first: index === 0, podName: name, now }),
  );
  const ready = statuses.every((s) => s.ready);
  const at = kubeTime(now);
  const conditionOf = (type: string, ok: boolean) => ({
    type,
    status: ok ? 'True' : 'False',
    lastTransitionTime: at,
  });
  const scheduled = true;
  const running = health.state !== 'pending';
  const ip = podIp(name);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: uid ?? newUid(),
      generateName: `${owner.name}-`,
      creationTimestamp: at,
      labels: { ...template.metadata?.labels },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: owner.name,
          uid: owner.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      ...template.spec,
      containers,
      nodeName: 'emulator-node-1',
    },
    status: {
      phase: running ? 'Running' : 'Pending',
      conditions: [
        conditionOf('Initialized', true),
        conditionOf('Ready', ready),
        conditionOf('ContainersReady', ready),
        conditionOf('PodScheduled', scheduled),
      ],
      hostIP: '10.0.0.11',
      ...(running ? { podIP: ip, podIPs: [{ ip }] } : {}),
      startTime: at,
      containerStatuses: statuses,
      qosClass: containers.some((c) => c.resources?.requests || c.resources?.limits)
        ? 'Burstable'
        : 'BestEffort',
    },
  };
}

/** Whether a pod counts as ready (its Ready condition is True). */
export const isPodReady = (pod: IPod): boolean =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
