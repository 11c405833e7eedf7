import type { V1ReplicaSet } from '@kubernetes/client-node';
import { z } from 'zod';
import { READ_TOOL } from '../define.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { kubernetesTool } from './kubernetes.calls.ts';
import {
  CHANGE_CAUSE_ANNOTATION,
  ownedReplicaSets,
  readDeployment,
  revisionOf,
} from './kubernetes.deployments.ts';
import { imagesOf, isoTime } from './kubernetes.format.ts';
import { serviceInput } from './kubernetes.inputs.ts';

const input = z.strictObject({
  service: serviceInput,
  limit: z
    .number()
    .int()
    .min(1)
    .max(20)
    .default(10)
    .describe('How many revisions to return, newest first (1–20).'),
});

/** Lists the service's rollout history: one entry per ReplicaSet revision. */
export const getRolloutHistoryInfo = {
  name: 'get_rollout_history',
  description:
    "List the rollout history of a service's Kubernetes Deployment in the target environment, newest first: each revision with its images, when it was created, its replicas, its change-cause annotation and whether it is the current one. Use a revision number from here with rollout_undo.",
  input,
  ...READ_TOOL,
} as const;

/** One revision as the tools report it. */
export function revisionView(rs: V1ReplicaSet, current: number) {
  const revision = revisionOf(rs);
  return {
    revision,
    current: revision === current,
    images: imagesOf(rs.spec?.template),
    createdAt: isoTime(rs.metadata?.creationTimestamp),
    replicas: { desired: rs.spec?.replicas ?? 0, ready: rs.status?.readyReplicas ?? 0 },
    changeCause: rs.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION] ?? null,
    replicaSet: rs.metadata?.name ?? '',
  };
}

/** Builds get_rollout_history over the app's dependencies. */
export function createGetRolloutHistoryTool(deps: ToolDeps) {
  return kubernetesTool({
    info: getRolloutHistoryInfo,
    deps,
    run: async ({ args, context, workload, k8s }) => {
      const deployment = await readDeployment({ apps: k8s.apps, workload });
      const current = revisionOf(deployment);
      const all = await ownedReplicaSets({ apps: k8s.apps, deployment });
      const revisions = all.slice(0, args.limit).map((rs) => revisionView(rs, current));
      const line = revisions
        .map((r) => `${r.revision}${r.current ? ' (current)' : ''}: ${r.images.join(', ')}`)
        .join('; ');
      return {
        summary: `${args.service} in ${context.environment}: ${all.length} revision${all.length === 1 ? '' : 's'}${line ? ` — ${line}` : ''}.`,
        data: { currentRevision: current, revisions, total: all.length },
      };
    },
  });
}

/** get_rollout_history's entry in the tool catalog. */
export const getRolloutHistoryTool = toolSpec({
  info: getRolloutHistoryInfo,
  system: 'kubernetes',
  worlds: ['catalog'],
  build: createGetRolloutHistoryTool,
});
