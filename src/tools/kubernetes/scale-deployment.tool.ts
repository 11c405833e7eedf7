import { z } from 'zod';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { kubernetesTool } from './kubernetes.calls.ts';
import { readDeployment } from './kubernetes.deployments.ts';
import { hpasOf, hpaView } from './kubernetes.hpas.ts';
import { serviceInput } from './kubernetes.inputs.ts';
import { patchAs, readRecord, retryOnConflict, type Undo } from './kubernetes.writes.ts';

/** Which proposal last scaled the Deployment, from what and to what: a retry finds its own scale here. */
export const SCALE_RECORD = 'warden.dev/last-scale';
type ScaleRecord = { key: string; previous: number; replicas: number };

const input = z.strictObject({
  service: serviceInput,
  replicas: z.number().int().min(0).max(50).describe('The number of pods the Deployment should run (0–50).'),
});

/** Sets the replica count of the service's Deployment, as `kubectl scale` does. */
export const scaleDeploymentInfo = {
  name: 'scale_deployment',
  description:
    "Set how many pods a service's Kubernetes Deployment runs in the target environment (0–50), as `kubectl scale` does. The result records the previous count so the change can be undone. If a HorizontalPodAutoscaler manages the Deployment it will override a manual scale; the result warns when one does.",
  input,
  kind: 'write',
  risk: 'medium',
  reversible: true,
  idempotent: true,
} as const;

/** Why a manual scale will not last (or will stop the autoscaler), one warning per HPA. */
function hpaWarnings(hpas: ReturnType<typeof hpaView>[], replicas: number, deployment: string): string[] {
  return hpas.map((h) =>
    replicas === 0
      ? `HPA ${h.name} (min ${h.minReplicas}, max ${h.maxReplicas}) manages ${deployment}; at 0 replicas it stops autoscaling until the Deployment is scaled up again.`
      : `HPA ${h.name} (min ${h.minReplicas}, max ${h.maxReplicas}) manages ${deployment} and will override this manual scale${replicas < h.minReplicas || replicas > h.maxReplicas ? ` (${replicas} is outside its bounds)` : ''} at its next sync.`,
  );
}

/** Builds scale_deployment over the app's dependencies. */
export function createScaleDeploymentTool(deps: ToolDeps) {
  return kubernetesTool({
    info: scaleDeploymentInfo,
    deps,
    // After a timeout: the scale record (written first) names this key, and the replicas are the ones asked for.
    verify: async ({ args, context, workload, k8s }) => {
      const deployment = await readDeployment({ apps: k8s.apps, workload });
      const record = readRecord<ScaleRecord>(
        deployment.metadata?.annotations,
        SCALE_RECORD,
        (r) => typeof r.previous === 'number' && typeof r.replicas === 'number',
      );
      const where = `${args.service} in ${context.environment}`;
      const ours = record?.key === context.idempotencyKey && record.replicas === args.replicas;
      if (!ours || deployment.spec?.replicas !== args.replicas)
        return {
          effect: 'absent',
          summary: `${where}: ${workload.deployment} was not scaled to ${args.replicas} by this proposal.`,
        };
      return {
        effect: 'present',
        result: {
          summary: `${where}: scaled ${workload.deployment} from ${record.previous} to ${args.replicas} replicas (verified after the call timed out).`,
          data: {
            previousReplicas: record.previous,
            replicas: args.replicas,
            changed: true,
            alreadyDone: true,
            undo: { tool: 'scale_deployment', args: { service: args.service, replicas: record.previous } },
          },
        },
      };
    },
    run: async ({ args, context, workload, k8s }) => {
      const where = `${args.service} in ${context.environment}`;
      const key = context.idempotencyKey;
      const hpas = (
        await hpasOf({
          autoscaling: k8s.autoscaling,
          namespace: workload.namespace,
          deployment: workload.deployment,
        })
      ).map(hpaView);
      const warnings = hpaWarnings(hpas, args.replicas, workload.deployment);
      const outcome = await retryOnConflict(async () => {
        const deployment = await readDeployment({ apps: k8s.apps, workload });
        const current = deployment.spec?.replicas ?? 1;
        const record = readRecord<ScaleRecord>(
          deployment.metadata?.annotations,
          SCALE_RECORD,
          (r) => typeof r.previous === 'number' && typeof r.replicas === 'number',
        );
        const ours = record?.key === key && record.replicas === args.replicas ? record : null;
        const previous = ours ? ours.previous : current;
        if (current === args.replicas)
          return { previous, changed: ours !== null, alreadyDone: ours !== null };
        if (!ours) {
          // Written first, with the resourceVersion read: a retry after the scale still knows `previous`.
          const entry: ScaleRecord = { key, previous: current, replicas: args.replicas };
          await k8s.apps.patchNamespacedDeployment(
            {
              namespace: workload.namespace,
              name: workload.deployment,
              body: {
                metadata: {
                  resourceVersion: deployment.metadata?.resourceVersion,
                  annotations: { [SCALE_RECORD]: JSON.stringify(entry) },
                },
              },
            },
            await patchAs('MergePatch'),
          );
        }
        await k8s.apps.patchNamespacedDeploymentScale(
          {
            namespace: workload.namespace,
            name: workload.deployment,
            body: { spec: { replicas: args.replicas } },
          },
          await patchAs('MergePatch'),
        );
        return { previous, changed: true, alreadyDone: false };
      });
      const undo: Undo | null = outcome.changed
        ? { tool: 'scale_deployment', args: { service: args.service, replicas: outcome.previous } }
        : null;
      const what = !outcome.changed
        ? `${workload.deployment} already runs ${args.replicas} replicas; nothing changed`
        : outcome.alreadyDone
          ? `already scaled ${workload.deployment} from ${outcome.previous} to ${args.replicas} by this proposal; nothing changed`
          : `scaled ${workload.deployment} from ${outcome.previous} to ${args.replicas} replicas`;
      return {
        summary: `${where}: ${what}.${warnings.length ? ` Warning: ${warnings.join(' ')}` : ''}`,
        data: {
          previousReplicas: outcome.previous,
          replicas: args.replicas,
          changed: outcome.changed,
          alreadyDone: outcome.alreadyDone,
          hpas,
          warnings,
          ...(undo ? { undo } : {}),
        },
      };
    },
  });
}

/** scale_deployment's entry in the tool catalog. */
export const scaleDeploymentTool = toolSpec({
  info: scaleDeploymentInfo,
  system: 'kubernetes',
  worlds: ['catalog'],
  build: createScaleDeploymentTool,
});
