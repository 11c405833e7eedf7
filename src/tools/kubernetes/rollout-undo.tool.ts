import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { z } from 'zod';
import { wardenError } from '../../shared/errors.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { deploymentView } from './get-deployment.tool.ts';
import { kubernetesTool } from './kubernetes.calls.ts';
import {
  CHANGE_CAUSE_ANNOTATION,
  ownedReplicaSets,
  readDeployment,
  revisionOf,
} from './kubernetes.deployments.ts';
import { imagesOf } from './kubernetes.format.ts';
import { serviceInput } from './kubernetes.inputs.ts';
import { patchAs, readRecord, retryOnConflict, type Undo } from './kubernetes.writes.ts';

/** Which proposal last rolled the Deployment back, from and to which revision. */
export const UNDO_RECORD = 'warden.dev/last-undo';
type UndoRecord = { key: string; from: number; to: number };

const input = z.strictObject({
  service: serviceInput,
  to_revision: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .describe('The revision to go back to, from get_rollout_history (not the current one).'),
});

/** Rolls the service's Deployment back to an earlier revision, as `kubectl rollout undo --to-revision`. */
export const rolloutUndoInfo = {
  name: 'rollout_undo',
  description:
    "Roll a service's Kubernetes Deployment in the target environment back to an earlier revision, as `kubectl rollout undo --to-revision` does: the pod template (images, configuration) of that revision replaces the current one and every pod is replaced. Use get_rollout_history first to pick the revision. The result names the revision it replaced so it can be undone.",
  input,
  kind: 'write',
  risk: 'high',
  reversible: true,
  idempotent: true,
} as const;

/** The ReplicaSet's template as the Deployment's: without the `pod-template-hash` label the controller adds. */
function deploymentTemplate(template: V1PodTemplateSpec | undefined): V1PodTemplateSpec {
  const copy = JSON.parse(JSON.stringify(template ?? {})) as V1PodTemplateSpec;
  if (copy.metadata?.labels) delete copy.metadata.labels['pod-template-hash'];
  return copy;
}

/** Builds rollout_undo over the app's dependencies. */
export function createRolloutUndoTool(deps: ToolDeps) {
  return kubernetesTool({
    info: rolloutUndoInfo,
    deps,
    // After a timeout: the Deployment's undo record names this proposal's key once the template changed.
    verify: async ({ args, context, workload, k8s }) => {
      const deployment = await readDeployment({ apps: k8s.apps, workload });
      const record = readRecord<UndoRecord>(
        deployment.metadata?.annotations,
        UNDO_RECORD,
        (r) => typeof r.from === 'number' && typeof r.to === 'number',
      );
      const where = `${args.service} in ${context.environment}`;
      if (record?.key !== context.idempotencyKey || record.to !== args.to_revision)
        return {
          effect: 'absent',
          summary: `${where}: no rollback by this proposal is recorded on ${workload.deployment}.`,
        };
      const view = deploymentView(deployment);
      return {
        effect: 'present',
        result: {
          summary: `${where}: rolled back to revision ${args.to_revision} (verified after the call timed out); now revision ${view.revision}, rollout ${view.rollout.state}.`,
          data: {
            alreadyDone: true,
            previousRevision: record.from,
            toRevision: args.to_revision,
            deployment: view,
            undo: { tool: 'rollout_undo', args: { service: args.service, to_revision: record.from } },
          },
        },
      };
    },
    run: async ({ args, context, workload, k8s }) => {
      const where = `${args.service} in ${context.environment}`;
      const key = context.idempotencyKey;
      return retryOnConflict(async () => {
        const deployment = await readDeployment({ apps: k8s.apps, workload });
        const current = revisionOf(deployment);
        const annotations = deployment.metadata?.annotations ?? {};
        const record = readRecord<UndoRecord>(
          annotations,
          UNDO_RECORD,
          (r) => typeof r.from === 'number' && typeof r.to === 'number',
        );
        const undoOf = (from: number): Undo => ({
          tool: 'rollout_undo',
          args: { service: args.service, to_revision: from },
        });
        if (record?.key === key && record.to === args.to_revision) {
          const view = deploymentView(deployment);
          return {
            summary: `${where}: already rolled back to revision ${args.to_revision} by this proposal (now revision ${current}, ${view.images.join(', ')}); nothing changed.`,
            data: {
              alreadyDone: true,
              previousRevision: record.from,
              deployment: view,
              undo: undoOf(record.from),
            },
          };
        }
        if (deployment.spec?.paused)
          throw wardenError({
            code: 'kubernetes.deployment_paused',
            message: `${where}: ${workload.deployment} is paused; a paused Deployment cannot be rolled back (resume it first).`,
            details: { service: args.service },
          });
        if (args.to_revision === current)
          throw wardenError({
            code: 'kubernetes.revision_current',
            message: `${where}: revision ${current} is already the current one; nothing to roll back to.`,
            details: { service: args.service, revision: current },
          });
        const replicaSets = await ownedReplicaSets({ apps: k8s.apps, deployment });
        const target = replicaSets.find((rs) => revisionOf(rs) === args.to_revision);
        if (!target) {
          const known = replicaSets.map(revisionOf).filter((r) => r > 0);
          throw wardenError({
            code: 'kubernetes.unknown_revision',
            message: `${where}: ${workload.deployment} has no revision ${args.to_revision} (it has ${known.join(', ') || 'none'}; current ${current}).`,
            details: { service: args.service, revision: args.to_revision, known, current },
          });
        }
        const entry: UndoRecord = { key, from: current, to: args.to_revision };
        const changeCause = target.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION];
        const nextAnnotations: Record<string, string> = {
          ...annotations,
          [UNDO_RECORD]: JSON.stringify(entry),
        };
        if (changeCause) nextAnnotations[CHANGE_CAUSE_ANNOTATION] = changeCause;
        else delete nextAnnotations[CHANGE_CAUSE_ANNOTATION];
        // What `kubectl rollout undo` sends, plus a test of the resourceVersion read: one atomic step.
        const after = await k8s.apps.patchNamespacedDeployment(
          {
            namespace: workload.namespace,
            name: workload.deployment,
            body: [
              { op: 'test', path: '/metadata/resourceVersion', value: deployment.metadata?.resourceVersion },
              { op: 'replace', path: '/spec/template', value: deploymentTemplate(target.spec?.template) },
              { op: 'add', path: '/metadata/annotations', value: nextAnnotations },
            ],
          },
          await patchAs('JsonPatch'),
        );
        const view = deploymentView(after);
        const from = imagesOf(deployment.spec?.template).join(', ');
        return {
          summary: `${where}: rolled ${workload.deployment} back to revision ${args.to_revision} (${view.images.join(', ')}), replacing revision ${current} (${from}); now revision ${view.revision}, rollout ${view.rollout.state}.`,
          data: {
            alreadyDone: false,
            previousRevision: current,
            toRevision: args.to_revision,
            deployment: view,
            undo: undoOf(current),
          },
        };
      });
    },
  });
}

/** rollout_undo's entry in the tool catalog. */
export const rolloutUndoTool = toolSpec({
  info: rolloutUndoInfo,
  system: 'kubernetes',
  worlds: ['catalog'],
  build: createRolloutUndoTool,
});
