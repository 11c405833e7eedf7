import type { V1Deployment } from '@kubernetes/client-node';
import { z } from 'zod';
import { READ_TOOL } from '../define.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { kubernetesTool } from './kubernetes.calls.ts';
import { readDeployment, revisionOf, rolloutStatus } from './kubernetes.deployments.ts';
import { imagesOf, isoTime } from './kubernetes.format.ts';
import { serviceInput } from './kubernetes.inputs.ts';

const input = z.strictObject({ service: serviceInput });

/** Reads the service's Deployment: replicas, images, revision and rollout status. */
export const getDeploymentInfo = {
  name: 'get_deployment',
  description:
    "Read the Kubernetes Deployment of a service in the target environment: desired, updated, ready and available replicas, container images, the current revision, the rollout status as `kubectl rollout status` reports it (complete, progressing, or failed when the progress deadline was exceeded) and the Deployment's conditions.",
  input,
  ...READ_TOOL,
} as const;

/** The Deployment as the tools report it (also part of the write tools' results). */
export function deploymentView(deployment: V1Deployment) {
  const status = deployment.status ?? {};
  return {
    name: deployment.metadata?.name ?? '',
    namespace: deployment.metadata?.namespace ?? '',
    revision: revisionOf(deployment),
    images: imagesOf(deployment.spec?.template),
    paused: deployment.spec?.paused === true,
    strategy: deployment.spec?.strategy?.type ?? 'RollingUpdate',
    replicas: {
      desired: deployment.spec?.replicas ?? 1,
      current: status.replicas ?? 0,
      updated: status.updatedReplicas ?? 0,
      ready: status.readyReplicas ?? 0,
      available: status.availableReplicas ?? 0,
      unavailable: status.unavailableReplicas ?? 0,
    },
    rollout: rolloutStatus(deployment),
    conditions: (status.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason ?? null,
      message: c.message ?? null,
      lastUpdate: isoTime(c.lastUpdateTime),
    })),
  };
}

/** `checkout in production: revision 2 (…:v2.14.0), 2/3 ready, 3 updated, 2 available; rollout complete`. */
export function describeDeployment(view: ReturnType<typeof deploymentView>, where: string): string {
  const r = view.replicas;
  return `${where}: revision ${view.revision} (${view.images.join(', ')}), ${r.ready}/${r.desired} ready, ${r.updated} updated, ${r.available} available; rollout ${view.rollout.state}${view.rollout.state === 'complete' ? '' : ` (${view.rollout.message})`}${view.paused ? '; paused' : ''}.`;
}

/** Builds get_deployment over the app's dependencies. */
export function createGetDeploymentTool(deps: ToolDeps) {
  return kubernetesTool({
    info: getDeploymentInfo,
    deps,
    run: async ({ args, context, workload, k8s }) => {
      const deployment = await readDeployment({ apps: k8s.apps, workload });
      const view = deploymentView(deployment);
      return {
        summary: describeDeployment(view, `${args.service} in ${context.environment}`),
        data: { deployment: view },
      };
    },
  });
}

/** get_deployment's entry in the tool catalog. */
export const getDeploymentTool = toolSpec({
  info: getDeploymentInfo,
  system: 'kubernetes',
  worlds: ['catalog'],
  build: createGetDeploymentTool,
});
