import type {
  AutoscalingV2Api,
  V2HorizontalPodAutoscaler,
  V2MetricSpec,
  V2MetricStatus,
} from '@kubernetes/client-node';
import { isoTime } from './kubernetes.format.ts';

/** The HPAs in the namespace whose scale target is this Deployment. */
export async function hpasOf({
  autoscaling,
  namespace,
  deployment,
}: {
  autoscaling: AutoscalingV2Api;
  namespace: string;
  deployment: string;
}): Promise<V2HorizontalPodAutoscaler[]> {
  const list = await autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace });
  return list.items.filter(
    (hpa) => hpa.spec?.scaleTargetRef.kind === 'Deployment' && hpa.spec.scaleTargetRef.name === deployment,
  );
}

/** What a metric measures: `cpu`, `memory`, or the custom metric's name. */
function metricName(metric: V2MetricSpec | V2MetricStatus): string {
  const source =
    metric.resource ?? metric.containerResource ?? metric.pods ?? metric.object ?? metric.external;
  if (source && 'name' in source && source.name) return source.name;
  if (source && 'metric' in source && source.metric?.name) return source.metric.name;
  return metric.type;
}

/** A target or current value as a short phrase: `70%`, `100 per pod`, `5`. */
function valuePhrase(
  value: { averageUtilization?: number; averageValue?: string; value?: string } | undefined,
) {
  if (value?.averageUtilization !== undefined) return `${value.averageUtilization}%`;
  if (value?.averageValue !== undefined) return `${value.averageValue} per pod`;
  if (value?.value !== undefined) return value.value;
  return null;
}

const targetOf = (m: V2MetricSpec) =>
  (m.resource ?? m.containerResource ?? m.pods ?? m.object ?? m.external)?.target;
const currentOf = (m: V2MetricStatus) =>
  (m.resource ?? m.containerResource ?? m.pods ?? m.object ?? m.external)?.current;

/** An HPA as the tools report it: bounds, replicas, each metric's target and current value, conditions. */
export function hpaView(hpa: V2HorizontalPodAutoscaler) {
  const current = hpa.status?.currentMetrics ?? [];
  return {
    name: hpa.metadata?.name ?? '',
    minReplicas: hpa.spec?.minReplicas ?? 1,
    maxReplicas: hpa.spec?.maxReplicas ?? 0,
    currentReplicas: hpa.status?.currentReplicas ?? 0,
    desiredReplicas: hpa.status?.desiredReplicas ?? 0,
    lastScaleTime: isoTime(hpa.status?.lastScaleTime),
    metrics: (hpa.spec?.metrics ?? []).map((m) => {
      const now = current.find((c) => c.type === m.type && metricName(c) === metricName(m));
      return {
        type: m.type,
        name: metricName(m),
        target: valuePhrase(targetOf(m)),
        current: now ? valuePhrase(currentOf(now)) : null,
      };
    }),
    conditions: (hpa.status?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason ?? null,
      message: c.message ?? null,
    })),
  };
}
