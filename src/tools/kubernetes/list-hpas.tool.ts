import { z } from 'zod';
import { READ_TOOL } from '../define.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { kubernetesTool } from './kubernetes.calls.ts';
import { hpasOf, hpaView } from './kubernetes.hpas.ts';
import { serviceInput } from './kubernetes.inputs.ts';

const input = z.strictObject({ service: serviceInput });

/** Lists the HorizontalPodAutoscalers that scale the service's Deployment. */
export const listHpasInfo = {
  name: 'list_hpas',
  description:
    "List the HorizontalPodAutoscalers that scale a service's Kubernetes Deployment in the target environment: minimum, maximum, current and desired replicas, each metric's target and current value, and their conditions. An HPA overrides a manual scale.",
  input,
  ...READ_TOOL,
} as const;

/** Builds list_hpas over the app's dependencies. */
export function createListHpasTool(deps: ToolDeps) {
  return kubernetesTool({
    info: listHpasInfo,
    deps,
    run: async ({ args, context, workload, k8s }) => {
      const hpas = (
        await hpasOf({
          autoscaling: k8s.autoscaling,
          namespace: workload.namespace,
          deployment: workload.deployment,
        })
      ).map(hpaView);
      const where = `${args.service} in ${context.environment}`;
      const line = hpas
        .map(
          (h) =>
            `${h.name}: ${h.currentReplicas} → ${h.desiredReplicas} replicas (min ${h.minReplicas}, max ${h.maxReplicas}; ${h.metrics.map((m) => `${m.name} ${m.current ?? 'no data'}, target ${m.target ?? 'unset'}`).join('; ')})`,
        )
        .join('; ');
      return {
        summary:
          hpas.length === 0
            ? `${where}: no HorizontalPodAutoscaler scales ${workload.deployment}.`
            : `${where}: ${line}.`,
        data: { hpas },
      };
    },
  });
}

/** list_hpas's entry in the tool catalog. */
export const listHpasTool = toolSpec({
  info: listHpasInfo,
  system: 'kubernetes',
  worlds: ['catalog'],
  build: createListHpasTool,
});
