import { z } from 'zod';
import { plural } from '../../shared/plural.ts';
import { toolSpec } from '../tool-spec.ts';
import { describeService, serviceView } from './get-service-health.tool.ts';
import { type SandboxToolDeps, sandboxWriteTool } from './sandbox.calls.ts';
import { unknownService } from './sandbox.errors.ts';
import { computeHealth, healedMetrics, podCounts, restartPods } from './sandbox.model.ts';
import { findService, isFaultyVersion, updateService } from './sandbox.repository.ts';
import { serviceNameSchema } from './world.schemas.ts';

const input = z.strictObject({
  service: serviceNameSchema.describe('The service whose pods to restart, such as search.'),
});

/** Rolling restart of a service's pods. Clears a crash loop unless the running version itself is bad. */
export const restartServiceInfo = {
  name: 'restart_service',
  description:
    'Restart every pod of a service in the target environment (rolling restart, restart counters reset). Fixes pods stuck in a crash loop for transient reasons; does not fix a bad release.',
  input,
  kind: 'write',
  risk: 'medium',
  reversible: true,
  idempotent: true,
} as const;

/** Builds restart_service with its executor. */
export function createRestartServiceTool(deps: SandboxToolDeps) {
  return sandboxWriteTool({
    info: restartServiceInfo,
    deps,
    write: async ({ args, context, tx, now }) => {
      const { environment } = context;
      const before = await findService({ db: tx, environment, name: args.service, lock: true });
      if (!before) throw unknownService({ service: args.service, environment });
      const faulty = await isFaultyVersion({
        db: tx,
        environment,
        service: before.name,
        version: before.version,
      });
      const pods = restartPods({ pods: before.pods, faulty });
      const metrics = podCounts(pods).crashLooping === 0 ? healedMetrics(before) : before;
      const health = computeHealth({ pods, replicas: before.replicas, errorRate: metrics.errorRate });
      const after = { ...before, pods, health, ...pick(metrics), updatedAt: now };
      await updateService({
        db: tx,
        environment,
        name: before.name,
        set: { pods, health, ...pick(metrics), updatedAt: now },
      });
      const stillCrashing = podCounts(pods).crashLooping;
      return {
        summary: `Restarted ${plural(pods.length, 'pod')} of ${describeService(after)}${stillCrashing > 0 ? ` — ${plural(stillCrashing, 'pod')} went back into CrashLoopBackOff` : ''}`,
        data: {
          restartedPods: pods.length,
          before: { health: before.health, crashLoopingPods: podCounts(before.pods).crashLooping },
          service: serviceView(after),
        },
      };
    },
  });
}

function pick(metrics: { errorRate: number; latencyP99Ms: number }) {
  return { errorRate: metrics.errorRate, latencyP99Ms: metrics.latencyP99Ms };
}

/** restartService's entry in the tool catalog. */
export const restartServiceTool = toolSpec({
  info: restartServiceInfo,
  system: 'sandbox',
  worlds: ['sandbox'],
  build: createRestartServiceTool,
});
