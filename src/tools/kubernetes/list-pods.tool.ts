import { z } from 'zod';
import { READ_TOOL } from '../define.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { kubernetesTool } from './kubernetes.calls.ts';
import { serviceInput } from './kubernetes.inputs.ts';
import { describePod, podView } from './kubernetes.pods.ts';

/** Most pods one answer lists; a service with more says so. */
export const MAX_PODS = 100;

const input = z.strictObject({ service: serviceInput });

/** Lists the service's pods in the call's environment with readiness, restarts and last termination. */
export const listPodsInfo = {
  name: 'list_pods',
  description:
    "List the Kubernetes pods of a service in the target environment: each pod's name, phase and status (such as CrashLoopBackOff), how many containers are ready, restarts, the last termination reason and exit code, images and age. Use a pod name from here with get_pod_logs.",
  input,
  ...READ_TOOL,
} as const;

/** Builds list_pods over the app's dependencies. */
export function createListPodsTool(deps: ToolDeps) {
  return kubernetesTool({
    info: listPodsInfo,
    deps,
    run: async ({ args, context, workload, k8s }) => {
      const list = await k8s.core.listNamespacedPod({
        namespace: workload.namespace,
        labelSelector: workload.podSelector,
        limit: MAX_PODS,
      });
      const now = deps.clock.now();
      const pods = list.items.map((pod) => podView(pod, now)).sort((a, b) => a.name.localeCompare(b.name));
      const truncated = Boolean(list.metadata?._continue);
      const ready = pods.filter((p) => p.ready).length;
      const unhealthy = pods.filter((p) => !p.ready || p.restarts > 0);
      const where = `${args.service} in ${context.environment}`;
      const summary =
        pods.length === 0
          ? `${where}: no pods match ${workload.podSelector} in ${workload.namespace}.`
          : `${where}: ${pods.length}${truncated ? '+' : ''} pods, ${ready} ready${unhealthy.length ? `; ${unhealthy.slice(0, 3).map(describePod).join('; ')}` : ''}.`;
      return {
        summary,
        data: { namespace: workload.namespace, selector: workload.podSelector, pods, ready, truncated },
      };
    },
  });
}

/** list_pods's entry in the tool catalog. */
export const listPodsTool = toolSpec({
  info: listPodsInfo,
  system: 'kubernetes',
  worlds: ['catalog'],
  build: createListPodsTool,
});
