import { z } from 'zod';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { deploymentView, describeDeployment } from './get-deployment.tool.ts';
import { kubernetesTool } from './kubernetes.calls.ts';
import { readDeployment, revisionOf } from './kubernetes.deployments.ts';
import { serviceInput } from './kubernetes.inputs.ts';
import { kubeTime, patchAs, retryOnConflict } from './kubernetes.writes.ts';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
/** The idempotency key of the proposal that last restarted the Deployment (on the pod template). */
export const RESTART_KEY = 'warden.dev/restart-key';

const input = z.strictObject({ service: serviceInput });

/** Restarts every pod of the service's Deployment, as `kubectl rollout restart` does. */
export const rolloutRestartInfo = {
  name: 'rollout_restart',
  description:
    "Restart every pod of a service's Kubernetes Deployment in the target environment, as `kubectl rollout restart` does: a rolling replacement of the pods with the same images and configuration (a new revision). Use it for stuck or leaking pods, not for a bad release (that is rollout_undo).",
  input,
  kind: 'write',
  risk: 'medium',
  reversible: true,
  idempotent: true,
} as const;

/** Builds rollout_restart over the app's dependencies. */
export function createRolloutRestartTool(deps: ToolDeps) {
  return kubernetesTool({
    info: rolloutRestartInfo,
    deps,
    // After a timeout: the restart annotation carries the proposal's key exactly when it took effect.
    verify: async ({ args, context, workload, k8s }) => {
      const deployment = await readDeployment({ apps: k8s.apps, workload });
      const annotations = deployment.spec?.template.metadata?.annotations ?? {};
      const where = `${args.service} in ${context.environment}`;
      if (annotations[RESTART_KEY] !== context.idempotencyKey)
        return {
          effect: 'absent',
          summary: `${where}: the pod template does not carry this proposal's restart key.`,
        };
      const view = deploymentView(deployment);
      return {
        effect: 'present',
        result: {
          summary: `${where}: restarted ${workload.deployment} at ${annotations[RESTARTED_AT] ?? 'an unknown time'} (verified after the call timed out); rollout ${view.rollout.state}.`,
          data: { alreadyDone: true, restartedAt: annotations[RESTARTED_AT] ?? null, deployment: view },
        },
      };
    },
    run: async ({ args, context, workload, k8s }) => {
      const where = `${args.service} in ${context.environment}`;
      return retryOnConflict(async () => {
        const before = await readDeployment({ apps: k8s.apps, workload });
        const annotations = before.spec?.template.metadata?.annotations ?? {};
        if (annotations[RESTART_KEY] === context.idempotencyKey) {
          const view = deploymentView(before);
          return {
            summary: `${where}: already restarted by this proposal at ${annotations[RESTARTED_AT] ?? 'an earlier attempt'}; nothing changed. ${describeDeployment(view, workload.deployment)}`,
            data: { alreadyDone: true, restartedAt: annotations[RESTARTED_AT] ?? null, deployment: view },
          };
        }
        const restartedAt = kubeTime(deps.clock.now());
        const after = await k8s.apps.patchNamespacedDeployment(
          {
            namespace: workload.namespace,
            name: workload.deployment,
            body: {
              // The resourceVersion makes the key check and the patch one step: a concurrent change is a 409.
              metadata: { resourceVersion: before.metadata?.resourceVersion },
              spec: {
                template: {
                  metadata: {
                    annotations: { [RESTARTED_AT]: restartedAt, [RESTART_KEY]: context.idempotencyKey },
                  },
                },
              },
            },
          },
          await patchAs('StrategicMergePatch'),
        );
        const view = deploymentView(after);
        return {
          summary: `${where}: restarted ${workload.deployment} at ${restartedAt} (revision ${revisionOf(before)} → ${view.revision}); rollout ${view.rollout.state}.`,
          data: {
            alreadyDone: false,
            restartedAt,
            previousRevision: revisionOf(before),
            deployment: view,
          },
        };
      });
    },
  });
}

/** rollout_restart's entry in the tool catalog. */
export const rolloutRestartTool = toolSpec({
  info: rolloutRestartInfo,
  system: 'kubernetes',
  worlds: ['catalog'],
  build: createRolloutRestartTool,
});
