import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { kubeTime } from './names.ts';
import type { SeedHpa } from './seed.types.ts';

/** An autoscaling/v2 HorizontalPodAutoscaler with the status and conditions the HPA controller writes. */
export function buildHpa({
  namespace,
  hpa,
  now,
}: {
  namespace: string;
  hpa: SeedHpa;
  now: number;
}): IHorizontalPodAutoscaler {
  const current = hpa.currentReplicas ?? hpa.minReplicas;
  const desired = hpa.desiredReplicas ?? current;
  const at = kubeTime(now - 3600_000);
  const limited = desired >= hpa.maxReplicas;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: hpa.name, namespace, creationTimestamp: kubeTime(now - 7 * 24 * 3600_000) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: hpa.target },
      minReplicas: hpa.minReplicas,
      maxReplicas: hpa.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: {
            name: 'cpu',
            target: { type: 'Utilization', averageUtilization: hpa.cpu.targetUtilization },
          },
        },
      ],
    },
    status: {
      currentReplicas: current,
      desiredReplicas: desired,
      lastScaleTime: at,
      ...(hpa.cpu.currentUtilization === undefined
        ? {}
        : {
            currentMetrics: [
              {
                type: 'Resource',
                resource: { name: 'cpu', current: { averageUtilization: hpa.cpu.currentUtilization } },
              },
            ],
          }),
      conditions: [
        {
          type: 'AbleToScale',
          status: 'True',
          reason: 'ReadyForNewScale',
          message: 'recommended size matches current size',
          lastTransitionTime: at,
        },
        {
          type: 'ScalingActive',
          status: 'True',
          reason: 'ValidMetricFound',
          message:
            'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
          lastTransitionTime: at,
        },
        {
          type: 'ScalingLimited',
          status: limited ? 'True' : 'False',
          reason: limited ? 'TooManyReplicas' : 'DesiredWithinRange',
          message: limited
            ? 'the desired replica count is more than the maximum replica count'
            : 'the desired count is within the acceptable range',
          lastTransitionTime: at,
        },
      ],
    },
  };
}
